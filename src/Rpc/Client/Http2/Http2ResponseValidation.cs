using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client.Http2;

/// <summary>Checks of response headers, with the HttpClient path's statuses and messages (gRPC's HTTP mapping).</summary>
internal static class Http2ResponseValidation
{
    /// <summary>Null when the headers start a valid gRPC response; otherwise the call's status.</summary>
    public static Status? Validate(List<(string Name, string Value)> fields, out string? encoding)
    {
        encoding = null;
        string? status = null;
        string? contentType = null;
        foreach (var (name, value) in fields)
        {
            switch (name)
            {
                case ":status": status = value; break;
                case "content-type": contentType = value; break;
                case GrpcProtocol.EncodingHeader: encoding = value; break;
            }
        }

        if (status != "200")
        {
            var code = int.TryParse(status, out var http) ? StatusMapping.FromHttpStatus((System.Net.HttpStatusCode)http) : StatusCode.Internal;
            return new Status(code, $"Bad gRPC response. HTTP status code: {status}");
        }

        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            return new Status(StatusCode.Unknown, $"Bad gRPC response. Invalid content-type value: {contentType}");
        }

        if (encoding is not null && encoding != GrpcProtocol.Identity && encoding != GrpcProtocol.Gzip)
        {
            return new Status(StatusCode.Internal, $"Unsupported grpc-encoding value '{encoding}' in response.");
        }

        return null;
    }

    /// <summary>grpc-status / grpc-message as the HttpClient path parses them.</summary>
    public static Status ParseStatus(string code, string? message) => ClientCall<object, object>.ParseStatus(code, message);
}
