using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Auth;

/// <summary>
/// Checks <c>authorization: Bearer …</c> on endpoints carrying a <see cref="CredentialRequirement"/>. A gRPC call
/// without the right credential ends with UNAUTHENTICATED (trailers-only); an HTTP request gets 401 with an
/// OpenAI-style error body. Comparisons take constant time.
/// </summary>
internal sealed class CredentialMiddleware(RequestDelegate next, IOptionsMonitor<AuthOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var requirement = context.GetEndpoint()?.Metadata.GetMetadata<CredentialRequirement>();
        if (requirement is null)
        {
            return next(context);
        }

        var auth = options.CurrentValue;
        var accepted = requirement.Kind == CredentialKind.ClusterToken
            ? (string.IsNullOrEmpty(auth.ClusterToken) ? null : [auth.ClusterToken])
            : (auth.ApiKeys.Count == 0 ? null : auth.ApiKeys);
        if (accepted is null)
        {
            return next(context);
        }

        var presented = BearerToken(context.Request.Headers.Authorization.ToString());
        if (presented is not null && accepted.Any(key => FixedTimeEquals(key, presented)))
        {
            return next(context);
        }

        var what = requirement.Kind == CredentialKind.ClusterToken ? "cluster token (Auth:ClusterToken)" : "API key";
        var message = presented is null
            ? $"Missing credentials: send 'authorization: Bearer <{what}>'."
            : $"The presented {what} is not valid.";
        return IsGrpc(context.Request) ? RejectGrpc(context, message) : RejectHttp(context, message);
    }

    private static string? BearerToken(string header) =>
        header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;

    private static bool FixedTimeEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));

    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    // Trailers-only response: the status travels in the only HEADERS frame. Messages here are plain ASCII.
    private static Task RejectGrpc(HttpContext context, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = "16";
        response.Headers["grpc-message"] = message;
        return Task.CompletedTask;
    }

    private static Task RejectHttp(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(new
        {
            error = new { message, type = "invalid_request_error", param = (string?)null, code = "invalid_api_key" },
        });
    }
}
