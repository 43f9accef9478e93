using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Cluster.Router.Api.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Cluster.Router.Batch;

/// <summary>A batch or file API request that cannot be served: its HTTP status, OpenAI error code and what to fix.</summary>
public sealed class BatchApiException(int status, string code, string message, string? param = null) : Exception(message)
{
    public BatchApiException()
        : this(StatusCodes.Status500InternalServerError, "internal_error", "unexpected failure")
    {
    }

    public BatchApiException(string message)
        : this(StatusCodes.Status400BadRequest, "invalid_request", message)
    {
    }

    public BatchApiException(string message, Exception inner)
        : this(StatusCodes.Status400BadRequest, "invalid_request", message + ": " + inner?.Message)
    {
    }

    public int Status { get; } = status;

    public string Code { get; } = code;

    public string? Param { get; } = param;

    public static BatchApiException Invalid(string param, string message) => new(StatusCodes.Status400BadRequest, "invalid_request", message, param);

    public static BatchApiException NotFound(string what, string id) =>
        new(StatusCodes.Status404NotFound, "not_found", $"No {what} with id '{id}'.", "id");
}

/// <summary>JSON answers and OpenAI-style error bodies (<c>{"error":{"message","type","param","code"}}</c>) of the batch and file endpoints.</summary>
internal static class BatchHttp
{
    public static Task JsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    /// <summary>Runs a handler; its <see cref="BatchApiException"/>s and store failures become error bodies.</summary>
    public static async Task GuardAsync(HttpContext context, Func<Task> handler)
    {
        try
        {
            await handler();
        }
        catch (BatchApiException e) when (!context.Response.HasStarted)
        {
            await ErrorAsync(context, e.Status, e.Code, e.Message, e.Param);
        }
        catch (BatchStoreException e) when (!context.Response.HasStarted)
        {
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "service_unavailable", e.Message, null);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted && e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "file_too_large", "The upload is larger than Batch:MaxFileBytes allows.", "file");
        }
        catch (Exception e) when (!context.Response.HasStarted && e is InvalidDataException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", $"The upload could not be read: {e.Message}", "file");
        }
    }

    public static Task ErrorAsync(HttpContext context, int status, string code, string message, string? param)
    {
        context.Response.StatusCode = status;
        var type = status >= 500 ? "server_error" : "invalid_request_error";
        return JsonAsync(context, new OpenAiErrorBody(new OpenAiError(message, type, param, code)), OpenAiJsonContext.Default.OpenAiErrorBody);
    }
}
