using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Cluster.Router.Api.OpenAi;

/// <summary>Reads and parses a request body, refusing bodies over <c>Router:MaxRequestBytes</c> (413) and bad JSON (400).</summary>
internal static class OpenAiBodyReader
{
    public static async Task<OpenAiRequestBody> ReadAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new ApiException(ApiErrorKind.InvalidArgument, "The request body is empty: send a JSON object.");
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), OpenAiJsonContext.Default.OpenAiRequestBody)
                ?? throw new ApiException(ApiErrorKind.InvalidArgument, "The request body is null: send a JSON object.");
        }
        catch (JsonException e)
        {
            throw OpenAiErrors.FromJson(e);
        }
    }

    private static ApiException TooLarge(long maxBytes) =>
        new(ApiErrorKind.TooLarge, $"The request body is larger than {maxBytes} bytes (Router:MaxRequestBytes): send a shorter prompt.");
}
