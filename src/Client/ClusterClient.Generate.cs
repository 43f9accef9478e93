using System.Runtime.CompilerServices;
using Cluster.Contracts.V1;
using Grpc.Core;

namespace Cluster.Client;

public sealed partial class ClusterClient
{
    /// <summary>Streams the generation for a text prompt.</summary>
    public IAsyncEnumerable<GenerationChunk> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        var request = ProtoMapping.Request(options, _options.DefaultModel);
        request.Text = prompt;
        return StreamAsync(request, options, cancellationToken);
    }

    /// <summary>Streams the generation for an already tokenized prompt.</summary>
    public IAsyncEnumerable<GenerationChunk> GenerateAsync(IReadOnlyList<int> promptTokenIds, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        options ??= new GenerationOptions();
        var request = ProtoMapping.Request(options, _options.DefaultModel);
        request.TokenIds = new TokenIds { Ids = { promptTokenIds.Select(id => (uint)id) } };
        return StreamAsync(request, options, cancellationToken);
    }

    /// <summary>Streams the assistant's reply to a conversation (rendered with the model's chat template).</summary>
    public IAsyncEnumerable<GenerationChunk> ChatStreamAsync(IEnumerable<ChatMessage> messages, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        var request = ProtoMapping.Request(options, _options.DefaultModel);
        request.Chat = ChatPrompt(messages);
        return StreamAsync(request, options, cancellationToken);
    }

    /// <summary>Generates the whole output for a text prompt.</summary>
    public Task<Completion> CompleteAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        var request = ProtoMapping.Request(options, _options.DefaultModel);
        request.Text = prompt;
        return UnaryAsync(request, options, cancellationToken);
    }

    /// <summary>The assistant's whole reply to a conversation.</summary>
    public Task<Completion> ChatAsync(IEnumerable<ChatMessage> messages, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        var request = ProtoMapping.Request(options, _options.DefaultModel);
        request.Chat = ChatPrompt(messages);
        return UnaryAsync(request, options, cancellationToken);
    }

    private async Task<Completion> UnaryAsync(GenerateRequest request, GenerationOptions options, CancellationToken cancellationToken)
    {
        var callOptions = CallOptionsFor(options, cancellationToken);
        var response = await _retry.ExecuteAsync(async ct => await Inference().CompleteAsync(request, callOptions), cancellationToken);
        return ProtoMapping.Completion(response);
    }

    // Retries cover only the start of the call up to its first message; once a token has arrived, errors surface.
    private async IAsyncEnumerable<GenerationChunk> StreamAsync(GenerateRequest request, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var callOptions = CallOptionsFor(options, cancellationToken);
        var (call, first) = await _retry.ExecuteAsync(async ct =>
        {
            var started = Inference().Generate(request, callOptions);
            try
            {
                var any = await started.ResponseStream.MoveNext(cancellationToken);
                return (started, any ? started.ResponseStream.Current : null);
            }
            catch
            {
                started.Dispose();
                throw;
            }
        }, cancellationToken);

        using (call)
        {
            if (first is null)
            {
                yield break;
            }

            yield return ProtoMapping.Chunk(first);
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                yield return ProtoMapping.Chunk(call.ResponseStream.Current);
            }
        }
    }

    private static ChatPrompt ChatPrompt(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = new ChatPrompt();
        prompt.Messages.AddRange(messages.Select(m => new Contracts.V1.ChatMessage { Role = m.Role, Content = m.Content }));
        return prompt;
    }
}
