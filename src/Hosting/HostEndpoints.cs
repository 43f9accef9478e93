using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Cluster.Hosting;

/// <summary>The host's two listeners; after start-up their addresses carry the bound ports (port 0 resolved).</summary>
public sealed class HostEndpoints
{
    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Http { get; set; }

    internal bool GrpcUsesTls { get; set; }

    /// <summary>The gRPC endpoint, e.g. <c>http://127.0.0.1:50051</c>.</summary>
    public Uri GrpcAddress => ToUri(Grpc, GrpcUsesTls ? "https" : "http");

    /// <summary>The HTTP/1.1 endpoint.</summary>
    public Uri HttpAddress => ToUri(Http, "http");

    private static Uri ToUri(ListenOptions? listen, string scheme)
    {
        var endpoint = listen?.IPEndPoint ?? throw new InvalidOperationException("The host has not been configured with AddClusterHost.");
        var address = endpoint.Address;
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        return new Uri($"{scheme}://{new IPEndPoint(address, endpoint.Port)}");
    }
}
