using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Cluster.Router.Api.OpenAi;

/// <summary>Writes <see cref="ApiException"/>s as OpenAI error bodies: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAiErrors
{
    /// <summary>A request cancelled through its request id, before its response started (nginx's "client closed request").</summary>
    public const int CancelledStatus = 499;

    public static int StatusCode(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        ApiErrorKind.NotFound or ApiErrorKind.UnknownPath or ApiErrorKind.RequestNotFound => StatusCodes.Status404NotFound,
        ApiErrorKind.Cancelled => CancelledStatus,
        ApiErrorKind.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        ApiErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ApiErrorKind.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        ApiErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ApiErrorKind.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static OpenAiErrorBody Body(ApiException e)
    {
        var (type, code) = e.Kind switch
        {
            ApiErrorKind.InvalidArgument => ("invalid_request_error", (string?)null),
            ApiErrorKind.NotFound => ("invalid_request_error", "model_not_found"),
            ApiErrorKind.UnknownPath => ("invalid_request_error", "unknown_url"),
            ApiErrorKind.MethodNotAllowed => ("invalid_request_error", "method_not_allowed"),
            ApiErrorKind.TooLarge => ("invalid_request_error", "request_too_large"),
            ApiErrorKind.ResourceExhausted => ("rate_limit_error", "rate_limit_exceeded"),
            ApiErrorKind.Unavailable => ("service_unavailable_error", "service_unavailable"),
            ApiErrorKind.Conflict => ("invalid_request_error", "request_id_in_use"),
            ApiErrorKind.RequestNotFound => ("invalid_request_error", "request_not_found"),
            ApiErrorKind.Cancelled => ("invalid_request_error", "request_cancelled"),
            _ => ("server_error", "internal_error"),
        };
        return new OpenAiErrorBody(new OpenAiError(e.Message, type, e.Param, code));
    }

    public static async Task WriteAsync(HttpContext context, ApiException e)
    {
        var response = context.Response;
        response.StatusCode = StatusCode(e.Kind);
        if (e.Kind == ApiErrorKind.ResourceExhausted)
        {
            // Whole seconds, rounded up; at least 1 unless the cluster said "do not retry" (negative pushback).
            var seconds = e.RetryAfter is { } wait ? Math.Ceiling(wait.TotalSeconds) : 1;
            if (seconds >= 0)
            {
                response.Headers.RetryAfter = Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);
            }
        }

        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body, Body(e), OpenAiJsonContext.Default.OpenAiErrorBody, context.RequestAborted);
    }

    public static ApiException FromJson(JsonException e)
    {
        var param = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        var where = param is null ? "" : $" at '{param}'";
        return new ApiException(ApiErrorKind.InvalidArgument,
            $"The request body is not valid JSON for this endpoint{where}: {Why(e, param)}", param);
    }

    /// <summary>The reason without .NET type names (System.Text.Json's conversion messages name CLR types).</summary>
    private static string Why(JsonException e, string? param)
    {
        var first = e.Message.Split('\n')[0].Trim();
        if (first.Contains("could not be converted", StringComparison.Ordinal) || first.Contains("System.", StringComparison.Ordinal))
        {
            return param is null
                ? "the body must be a JSON object."
                : $"'{param}' must be {OpenAiFieldTypes.Expected(param)}.";
        }

        var cut = first.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? first[..cut] : first;
    }
}
