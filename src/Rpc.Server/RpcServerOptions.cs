namespace Cluster.Rpc;

/// <summary>Options of the RPC server (<c>services.AddRpcServer(o => ...)</c>).</summary>
public sealed class RpcServerOptions
{
    /// <summary>Default largest request message: 4 MiB, as in gRPC.</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>Largest request message accepted (after decompression); null for no limit. Default 4 MiB.</summary>
    public int? MaxReceiveMessageSize { get; set; } = DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; null (default) for no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>Compress responses with gzip when the client accepts it. Default off.</summary>
    public bool ResponseCompression { get; set; }

    /// <summary>Send exception messages of failing handlers to clients. Default off.</summary>
    public bool EnableDetailedErrors { get; set; }
}
