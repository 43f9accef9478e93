using System.Buffers;

namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// One client-initiated stream of an <see cref="Http2Connection"/>. Window and state fields are guarded by the
/// connection's lock; the owner writes through <c>WriteAsync</c> and ends with <see cref="Reset"/> when it
/// gives up before both sides have closed.
/// </summary>
internal sealed class Http2Stream(Http2Connection connection, int id, IHttp2StreamHandler handler, long sendWindow, int receiveWindow)
{
    public int Id { get; } = id;

    public IHttp2StreamHandler Handler { get; } = handler;

    /// <summary>Bytes the peer still accepts on this stream (may go negative after a SETTINGS change).</summary>
    internal long SendWindow { get; set; } = sendWindow;

    /// <summary>Bytes we still accept before granting more.</summary>
    internal int ReceiveWindow { get; set; } = receiveWindow;

    /// <summary>Bytes received and not yet granted back with WINDOW_UPDATE.</summary>
    internal int Unacknowledged { get; set; }

    internal bool LocalClosed { get; set; }

    internal bool RemoteClosed { get; set; }

    /// <summary>Set when the stream was reset by either side or failed with its connection.</summary>
    internal Status? Aborted { get; set; }

    /// <summary>Writes request body bytes as DATA frames (END_STREAM on the last with <paramref name="endStream"/>).</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken) =>
        connection.WriteDataAsync(this, new ReadOnlySequence<byte>(data), endStream, cancellationToken);

    /// <summary>Writes the pieces of <paramref name="data"/> as DATA frames, from their own memory.</summary>
    public ValueTask WriteAsync(ReadOnlySequence<byte> data, bool endStream, CancellationToken cancellationToken) =>
        connection.WriteDataAsync(this, data, endStream, cancellationToken);

    /// <summary>Resets the stream (RST_STREAM) unless both sides have already closed it.</summary>
    public void Reset(Http2ErrorCode code) => connection.ResetStream(this, code);
}
