using System.Net;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client;

/// <summary>The single framed request message, sent from a pooled buffer that is returned once sent.</summary>
internal sealed class UnaryRequestContent(PooledBufferWriter frame) : HttpContent
{
    private const int Idle = 0;
    private const int Sending = 1;
    private const int Released = 2;
    private int _state;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Sending, Idle) != Idle)
        {
            throw new InvalidOperationException("The request message was already sent or released.");
        }

        try
        {
            await stream.WriteAsync(frame.WrittenMemory, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _state, Released);
            frame.Dispose();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = frame.WrittenCount;
        return Volatile.Read(ref _state) == Idle;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.CompareExchange(ref _state, Released, Idle) == Idle)
        {
            frame.Dispose();
        }

        base.Dispose(disposing);
    }
}
