using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Cluster.Rpc;

/// <summary>Kestrel HTTP/2 settings for RPC traffic with large messages (e.g. 1 MiB KV-transfer chunks).</summary>
public static class RpcKestrelExtensions
{
    /// <summary>Default per-stream receive window: 16 MiB (Kestrel's own default is 768 KiB).</summary>
    public const int DefaultStreamWindowSize = 16 * 1024 * 1024;

    /// <summary>Default per-connection receive window: 64 MiB (room for several streams at full speed).</summary>
    public const int DefaultConnectionWindowSize = 64 * 1024 * 1024;

    /// <summary>Default largest HTTP/2 frame Kestrel accepts: 1 MiB (protocol default 16 KiB).</summary>
    public const int DefaultMaxFrameSize = 1024 * 1024;

    /// <summary>
    /// Raises Kestrel's HTTP/2 flow-control windows and maximum frame size. Windows must be at least
    /// 65,535 bytes; the frame size between 16 KiB and 16 MiB - 1.
    /// </summary>
    public static KestrelServerOptions ConfigureRpcHttp2(
        this KestrelServerOptions options,
        int streamWindowSize = DefaultStreamWindowSize,
        int connectionWindowSize = DefaultConnectionWindowSize,
        int maxFrameSize = DefaultMaxFrameSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        var http2 = options.Limits.Http2;
        http2.InitialStreamWindowSize = streamWindowSize;
        http2.InitialConnectionWindowSize = Math.Max(connectionWindowSize, streamWindowSize);
        http2.MaxFrameSize = maxFrameSize;
        return options;
    }
}
