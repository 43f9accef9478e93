using Cluster.Contracts.V1;
using Cluster.Router.Api.Text;
using Cluster.Router.Models;

namespace Cluster.Router.Api.OpenAi;

/// <summary>Builds the OpenAI response and chunk bodies of one request (id, created and model fixed per request).</summary>
internal sealed class OpenAiResponseBuilder(PreparedRequest prepared, long created, bool chat)
{
    private readonly string _id = (chat ? "chatcmpl-" : "cmpl-") + prepared.Label;
    private readonly string _model = prepared.Model.Id.Value;
    private readonly ServedModel _served = prepared.Model;
    private int _textOffset;

    public string Id => _id;

    public static string? FinishReasonName(FinishReason reason) => reason switch
    {
        FinishReason.Unspecified => null,
        FinishReason.Length => "length",
        FinishReason.Cancelled => "abort",
        _ => "stop",
    };

    public static OpenAiUsage Usage(GenerationUsage u) =>
        new(u.PromptTokens, u.CompletionTokens, u.TotalTokens, new OpenAiPromptTokensDetails(u.CachedPromptTokens));

    public CompletionResponse Completion(CompletedText done, bool logprobs) =>
        new(_id, "text_completion", created, _model,
            [new CompletionChoice(0, done.Text, FinishReasonName(done.FinishReason), logprobs ? CompletionLogprobs(done.TokenIds, done.Logprobs) : null)],
            Usage(done.Usage));

    public ChatCompletionResponse Chat(CompletedText done, bool logprobs) =>
        new(_id, "chat.completion", created, _model,
            [new ChatChoice(0, new ChatMessageBody("assistant", done.Text), FinishReasonName(done.FinishReason), logprobs ? ChatLogprobs(done.TokenIds, done.Logprobs) : null)],
            Usage(done.Usage));

    public CompletionResponse CompletionChunk(TextChunk chunk, bool logprobs) =>
        new(_id, "text_completion", created, _model,
            [new CompletionChoice(0, chunk.Text, FinishReasonName(chunk.FinishReason), logprobs ? CompletionLogprobs(chunk.TokenIds, chunk.Logprobs) : null)],
            null);

    public ChatCompletionChunk ChatChunk(TextChunk chunk, bool logprobs, bool first) =>
        new(_id, "chat.completion.chunk", created, _model,
            [new ChatChunkChoice(0, new ChatDelta(first ? "assistant" : null, chunk.Text), FinishReasonName(chunk.FinishReason),
                logprobs ? ChatLogprobs(chunk.TokenIds, chunk.Logprobs) : null)],
            null);

    public CompletionResponse CompletionUsageChunk(GenerationUsage usage) => new(_id, "text_completion", created, _model, [], Usage(usage));

    public ChatCompletionChunk ChatUsageChunk(GenerationUsage usage) => new(_id, "chat.completion.chunk", created, _model, [], Usage(usage));

    private CompletionLogprobs CompletionLogprobs(IReadOnlyList<int> ids, IReadOnlyList<float> logprobs)
    {
        var tokens = new string[logprobs.Count];
        var offsets = new int[logprobs.Count];
        for (var i = 0; i < logprobs.Count; i++)
        {
            tokens[i] = _served.Tokenizer.Decode([ids[i]]);
            offsets[i] = _textOffset;
            _textOffset += tokens[i].Length;
        }

        return new CompletionLogprobs(tokens, logprobs.ToArray(), offsets);
    }

    private ChatLogprobs ChatLogprobs(IReadOnlyList<int> ids, IReadOnlyList<float> logprobs) =>
        new(logprobs.Select((p, i) =>
        {
            var token = _served.Tokenizer.Decode([ids[i]]);
            return new ChatTokenLogprob(token, p, System.Text.Encoding.UTF8.GetBytes(token).Select(b => (int)b).ToArray(), []);
        }).ToArray());
}
