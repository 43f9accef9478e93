using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Cluster.Router.Api.OpenAi;

/// <summary>Reads and parses a request body, refusing bodies over <c>Router:MaxRequestBytes</c> (413), bad JSON and invalid text (400).</summary>
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

        var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        OpenAiBodyText.Check(json);
        try
        {
            return JsonSerializer.Deserialize(json, OpenAiJsonContext.Default.OpenAiRequestBody)
                ?? throw new ApiException(ApiErrorKind.InvalidArgument, "The request body is null: send a JSON object.");
        }
        catch (JsonException e)
        {
            throw OpenAiErrors.FromJson(e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // Text was checked above; any other value the serializer cannot read is still the client's input.
            throw new ApiException(ApiErrorKind.InvalidArgument, "The request body holds a value this endpoint cannot read: check the JSON types of its fields.");
        }
    }

    private static ApiException TooLarge(long maxBytes) =>
        new(ApiErrorKind.TooLarge, $"The request body is larger than {maxBytes} bytes (Router:MaxRequestBytes): send a shorter prompt.");
}
