using Cluster.Rpc.Server;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Rpc;

/// <summary>
/// Larger buffers for Kestrel's socket transport. Kestrel reads a socket into blocks of its memory pool (4 KiB by
/// default), so a 1 GB upload costs some 250,000 receive calls and as many pipe segments; measured on loopback this,
/// not the client, bounds a large client-streaming upload (KvTransfer.Push) at about a sixth of a raw socket.
/// </summary>
public static class RpcReceiveBufferExtensions
{
    /// <summary>Default block: 64 KiB (one receive call per 64 KiB instead of per 4 KiB).</summary>
    public const int DefaultBlockSize = 64 * 1024;

    /// <summary>
    /// Replaces Kestrel's memory pool with one of <paramref name="blockSize"/>-byte pinned blocks (at most 64 MiB kept
    /// free). Worth it on hosts that receive bulk streams; every connection's buffers grow to this block size.
    /// </summary>
    public static IServiceCollection AddRpcLargeReceiveBuffers(this IServiceCollection services, int blockSize = DefaultBlockSize)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 4096);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockSize, 16 * 1024 * 1024);
        services.AddSingleton<IMemoryPoolFactory<byte>>(new LargeBlockMemoryPoolFactory(blockSize));
        return services;
    }
}
