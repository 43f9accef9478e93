namespace Cluster.Router.Api;

/// <summary>A request that cannot be served; the message says what to fix, <see cref="Param"/> names the field.</summary>
public sealed class ApiException : Exception
{
    public ApiException(ApiErrorKind kind, string message, string? param = null, TimeSpan? retryAfter = null)
        : base(message)
    {
        Kind = kind;
        Param = param;
        RetryAfter = retryAfter;
    }

    public ApiException()
        : this(ApiErrorKind.Internal, "unexpected failure")
    {
    }

    public ApiException(string message)
        : this(ApiErrorKind.Internal, message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = ApiErrorKind.Internal;
    }

    public ApiErrorKind Kind { get; }

    /// <summary>The request field at fault, in the API's own spelling (e.g. <c>temperature</c> or <c>sampling.temperature</c>).</summary>
    public string? Param { get; }

    /// <summary>How long the client should wait before retrying (overload only).</summary>
    public TimeSpan? RetryAfter { get; }

    public static ApiException Invalid(string param, string message) => new(ApiErrorKind.InvalidArgument, message, param);
}
