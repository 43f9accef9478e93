namespace Cluster.Rpc.Client.Http2;

/// <summary>A header block that does not decode (an HTTP/2 COMPRESSION_ERROR: the connection cannot continue).</summary>
internal sealed class HpackException(string message) : Exception(message);
