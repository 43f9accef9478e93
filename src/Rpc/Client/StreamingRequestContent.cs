using System.Net;

namespace Cluster.Rpc.Client;

/// <summary>
/// A request body written message by message: HttpClient hands over its request stream, the call's writer
/// writes to it, and the body ends (END_STREAM) when the writer completes or the call finishes.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The HTTP/2 request stream, once HttpClient has opened it.</summary>
    public Task<Stream> StreamAsync => _stream.Task;

    /// <summary>Ends the request body normally.</summary>
    public void Complete() => _complete.TrySetResult();

    /// <summary>
    /// Aborts the request body because the call finished: unless already completed, HttpClient resets the
    /// stream instead of ending it cleanly, so the server never mistakes an abort for a complete stream.
    /// </summary>
    public void Abort()
    {
        _stream.TrySetCanceled();
        _complete.TrySetCanceled();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // HttpClient holds back the HEADERS frame of a body without END_STREAM until a flush
        // (dotnet/runtime#96223); flush now so the server sees the call before the first message.
        await stream.FlushAsync(cancellationToken);
        _stream.TrySetResult(stream);
        await _complete.Task.WaitAsync(cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
