namespace Cluster.Router.Api;

/// <summary>Why a client request failed; each API maps it to its own status (gRPC code, HTTP status).</summary>
public enum ApiErrorKind
{
    /// <summary>Bad input: INVALID_ARGUMENT / HTTP 400.</summary>
    InvalidArgument,

    /// <summary>Unknown model: NOT_FOUND / HTTP 404.</summary>
    NotFound,

    /// <summary>Overload: RESOURCE_EXHAUSTED / HTTP 429 with a retry delay.</summary>
    ResourceExhausted,

    /// <summary>The cluster cannot serve it now: UNAVAILABLE / HTTP 503.</summary>
    Unavailable,

    /// <summary>The request is larger than allowed: RESOURCE_EXHAUSTED / HTTP 413.</summary>
    TooLarge,

    /// <summary>An HTTP path the API does not have: HTTP 404 (OpenAI API only).</summary>
    UnknownPath,

    /// <summary>A known HTTP path called with another method: HTTP 405 (OpenAI API only).</summary>
    MethodNotAllowed,

    /// <summary>A live request on this router already uses the client's request id: ALREADY_EXISTS / HTTP 409.</summary>
    Conflict,

    /// <summary>
    /// A cancel named a request id with no live request of the caller's (unknown, finished, or another principal's: the
    /// answer is the same, so it reveals nothing): NOT_FOUND / HTTP 404.
    /// </summary>
    RequestNotFound,

    /// <summary>The request was cancelled through its request id (by another call): CANCELLED / HTTP 499.</summary>
    Cancelled,

    /// <summary>A bug or an unexpected failure: INTERNAL / HTTP 500.</summary>
    Internal,
}
