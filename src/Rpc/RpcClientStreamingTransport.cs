namespace Cluster.Rpc;

/// <summary>What carries a channel's client-streaming calls (<see cref="RpcChannelOptions.ClientStreamingTransport"/>).</summary>
public enum RpcClientStreamingTransport
{
    /// <summary>HttpClient / SocketsHttpHandler, like every other call kind (request DATA frames of at most 16 KiB).</summary>
    HttpClient,

    /// <summary>
    /// The channel's own HTTP/2 connections (Cluster.Rpc.Client.Http2): DATA frames as large as the server's
    /// SETTINGS_MAX_FRAME_SIZE and windows allow, one gather of a message per write. For bulk uploads such as
    /// KvTransfer.Push; unary, server-streaming and duplex calls stay on HttpClient.
    /// </summary>
    DirectHttp2,
}
