using System.Text;
using System.Text.Json;
using Cluster.Contracts.V1;
using Cluster.Router.Api;
using Cluster.Router.Api.OpenAi;
using Cluster.Router.Api.Text;
using Grpc.Core;

namespace Cluster.Router.Batch;

/// <summary>A batch line validated and tokenized by the online front end, ready to run.</summary>
internal sealed record PreparedBatchRequest(BatchLine Line, string RequestId, PreparedRequest Prepared, OpenAiCallShape Shape, bool Chat);

/// <summary>
/// Runs batch lines through exactly the path a non-streamed online request takes (<see cref="OpenAiRequestMapper"/>,
/// <see cref="RequestPreparer"/>, <see cref="TextGenerator"/>, <see cref="OpenAiResponseBuilder"/>), so a greedy
/// request's output is the same as when it is sent to <c>/v1/completions</c> or <c>/v1/chat/completions</c>. Batch
/// requests carry <c>api=batch</c> (metrics, <see cref="OnlineLoad"/>) and <see cref="RequestPriority.Low"/>: every
/// worker call of theirs (Prefill, Decode, retries, migrations) ranks behind online work in the engines' queues and is
/// preempted first.
/// </summary>
internal sealed class BatchRequestRunner(RequestPreparer preparer, TextGenerator generator, TimeProvider clock)
{
    public const string Api = "batch";

    /// <summary>Validates and tokenizes a line; a bad request throws <see cref="ApiException"/> (its error line says why).</summary>
    public PreparedBatchRequest Prepare(string batchId, BatchLine line, string endpoint)
    {
        var chat = endpoint == "/v1/chat/completions";
        var bytes = Encoding.UTF8.GetBytes(line.Body);
        OpenAiBodyText.Check(bytes);
        OpenAiRequestBody body;
        try
        {
            body = JsonSerializer.Deserialize(bytes, OpenAiJsonContext.Default.OpenAiRequestBody)
                ?? throw new ApiException(ApiErrorKind.InvalidArgument, "The body is null: send a JSON object.");
        }
        catch (JsonException e)
        {
            throw OpenAiErrors.FromJson(e);
        }

        var requestId = BatchIds.Request(batchId, line.Index);
        var (request, shape) = OpenAiRequestMapper.Map(body, chat, requestId);
        // The label (response id, logs) is the batch request's id plus a suffix per run: a body's request_id could collide
        // with another line's, and a router killed mid-request may still hold the label of its run in the router tier.
        request.RequestId = requestId + "." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        var prepared = preparer.Prepare(request, RequestFieldNames.OpenAi);
        prepared = prepared with { Request = prepared.Request with { Api = Api, Priority = RequestPriority.Low } };
        return new PreparedBatchRequest(line, requestId, prepared, shape, chat);
    }

    /// <summary>
    /// Runs the request; <paramref name="prefilled"/> is called once its first tokens arrive (its prompt is then in a
    /// worker's prefix cache). Returns the response body JSON; a cluster refusal throws <see cref="ApiException"/>.
    /// </summary>
    public async Task<string> RunAsync(PreparedBatchRequest request, Action? prefilled, CancellationToken cancellationToken)
    {
        var builder = new OpenAiResponseBuilder(request.Prepared, clock.GetUtcNow().ToUnixTimeSeconds(), request.Chat);
        var text = new StringBuilder();
        var ids = new List<int>();
        var logprobs = new List<float>();
        CompletedText? done = null;
        try
        {
            await foreach (var chunk in generator.GenerateAsync(request.Prepared, cancellationToken))
            {
                prefilled?.Invoke();
                prefilled = null;
                text.Append(chunk.Text);
                ids.AddRange(chunk.TokenIds);
                logprobs.AddRange(chunk.Logprobs);
                if (chunk.IsLast)
                {
                    done = new CompletedText(text.ToString(), ids, logprobs, chunk.FinishReason, chunk.Usage!);
                    break;
                }
            }
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw CoordinatorFailures.ToApi(e);
        }

        if (done is null)
        {
            throw new ApiException(ApiErrorKind.Unavailable, "The cluster ended the request without finishing it; retry.");
        }

        return request.Chat
            ? JsonSerializer.Serialize(builder.Chat(done, request.Shape.Logprobs), OpenAiJsonContext.Default.ChatCompletionResponse)
            : JsonSerializer.Serialize(builder.Completion(done, request.Shape.Logprobs), OpenAiJsonContext.Default.CompletionResponse);
    }

    /// <summary>The OpenAI error body and HTTP status of a failure (as the online endpoint would answer).</summary>
    public static (int Status, string Code, string Body) Describe(ApiException e)
    {
        var body = OpenAiErrors.Body(e);
        return (OpenAiErrors.StatusCode(e.Kind), body.Error.Code ?? body.Error.Type,
            JsonSerializer.Serialize(body, OpenAiJsonContext.Default.OpenAiErrorBody));
    }
}
