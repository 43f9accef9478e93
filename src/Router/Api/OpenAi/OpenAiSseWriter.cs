using System.Text.Json;
using Cluster.Router.Api.Text;
using Microsoft.AspNetCore.Http;

namespace Cluster.Router.Api.OpenAi;

/// <summary>Server-sent events: <c>data: {chunk}\n\n</c> per chunk, an optional usage chunk, then <c>data: [DONE]</c>.</summary>
internal static class OpenAiSseWriter
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Separator = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public static async Task StreamAsync(HttpContext context, IAsyncEnumerable<TextChunk> chunks, OpenAiResponseBuilder builder, OpenAiCallShape shape, bool chat)
    {
        var aborted = context.RequestAborted;
        var response = context.Response;
        var first = true;
        GenerationUsage? usage = null;
        try
        {
            await foreach (var chunk in chunks)
            {
                if (first)
                {
                    // Headers go out only now: errors before the first chunk still get their own HTTP status.
                    response.ContentType = "text/event-stream";
                    response.Headers.CacheControl = "no-cache";
                    response.Headers["X-Accel-Buffering"] = "no";
                }

                if (chunk.Text.Length > 0 || chunk.IsLast || first || chunk.Logprobs.Count > 0)
                {
                    if (chat)
                    {
                        await WriteAsync(response, builder.ChatChunk(chunk, shape.Logprobs, first), OpenAiJsonContext.Default.ChatCompletionChunk, aborted);
                    }
                    else
                    {
                        await WriteAsync(response, builder.CompletionChunk(chunk, shape.Logprobs), OpenAiJsonContext.Default.CompletionResponse, aborted);
                    }
                }

                first = false;
                usage = chunk.Usage ?? usage;
            }
        }
        catch (ApiException e) when (response.HasStarted)
        {
            await WriteAsync(response, OpenAiErrors.Body(e), OpenAiJsonContext.Default.OpenAiErrorBody, aborted);
            return;
        }

        if (shape.IncludeUsage && usage is not null)
        {
            if (chat)
            {
                await WriteAsync(response, builder.ChatUsageChunk(usage), OpenAiJsonContext.Default.ChatCompletionChunk, aborted);
            }
            else
            {
                await WriteAsync(response, builder.CompletionUsageChunk(usage), OpenAiJsonContext.Default.CompletionResponse, aborted);
            }
        }

        await response.Body.WriteAsync(Done, aborted);
        await response.Body.FlushAsync(aborted);
    }

    private static async Task WriteAsync<T>(HttpResponse response, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, type);
        await response.Body.WriteAsync(Prefix, cancellationToken);
        await response.Body.WriteAsync(json, cancellationToken);
        await response.Body.WriteAsync(Separator, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
