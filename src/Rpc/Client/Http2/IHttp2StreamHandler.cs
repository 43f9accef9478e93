namespace Cluster.Rpc.Client.Http2;

/// <summary>What a stream's owner (a call) receives; invoked on the connection's read loop, so it must not block.</summary>
internal interface IHttp2StreamHandler
{
    /// <summary>A decoded header block: the response headers first, then (with END_STREAM) the trailers.</summary>
    void OnHeaders(List<(string Name, string Value)> fields, bool endStream);

    /// <summary>Response body bytes; <paramref name="endStream"/> when the server ended the stream with them.</summary>
    void OnData(ReadOnlySpan<byte> data, bool endStream);

    /// <summary>The server reset the stream, or the connection ended or refused it; <paramref name="status"/> says why.</summary>
    void OnAborted(Status status);
}
