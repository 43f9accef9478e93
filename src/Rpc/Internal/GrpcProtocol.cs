namespace Cluster.Rpc.Internal;

/// <summary>Names and constants of the gRPC-over-HTTP/2 protocol.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string StatusTrailer = "grpc-status";
    public const string MessageTrailer = "grpc-message";
    public const string StatusDetailsTrailer = "grpc-status-details-bin";

    /// <summary>How long a client should wait before retrying (gRFC A6); application code may set it.</summary>
    public const string RetryPushbackTrailer = "grpc-retry-pushback-ms";
    public const string Identity = "identity";
    public const string Gzip = "gzip";
    public const string SupportedAcceptEncoding = "identity,gzip";
    public const int HeaderSize = 5;

    /// <summary>True for <c>application/grpc</c>, <c>application/grpc+proto</c>, <c>application/grpc;...</c>.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';';
    }

    /// <summary>Headers that are part of the protocol and never surface as metadata.</summary>
    public static bool IsReservedHeader(string key) =>
        key.Length == 0
        || key[0] == ':'
        || (key.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) && !IsApplicationGrpcKey(key))
        || key.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || key.Equals("te", StringComparison.OrdinalIgnoreCase)
        || key.Equals("host", StringComparison.OrdinalIgnoreCase)
        || key.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || key.Equals("connection", StringComparison.OrdinalIgnoreCase)
        || key.Equals("accept-encoding", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>grpc-</c> keys applications read and write as metadata.</summary>
    public static bool IsApplicationGrpcKey(string key) =>
        key.Equals(StatusDetailsTrailer, StringComparison.OrdinalIgnoreCase)
        || key.Equals(RetryPushbackTrailer, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether an accept-encoding list (e.g. <c>identity,deflate,gzip</c>) names gzip.</summary>
    public static bool AcceptsGzip(string? acceptEncoding)
    {
        if (string.IsNullOrEmpty(acceptEncoding))
        {
            return false;
        }

        foreach (var part in acceptEncoding.Split(','))
        {
            if (part.Trim().Equals(Gzip, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
