using System.Diagnostics;

namespace Cluster.Cli.Bench;

/// <summary>Runs one measured transfer: raw sockets or plain HTTP/2 upload/download.</summary>
internal sealed class RpcBenchRunner(RpcBenchServer server, int messageSize)
{
    private readonly byte[] _payload = CreatePayload(messageSize);

    public async Task<(long Bytes, double Seconds)> RawAsync(int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var bytes = await RpcBenchRawSocket.RunAsync(streams, bytesPerStream, messageSize, cancellationToken);
        return (bytes, watch.Elapsed.TotalSeconds);
    }

    public async Task<(long Bytes, double Seconds)> PlainUploadAsync(IReadOnlyList<HttpClient> clients, int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, streams).Select(s =>
            RpcBenchPlainHttp2.UploadAsync(clients[s % clients.Count], server.Address, bytesPerStream, _payload, cancellationToken)));
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
    }

    public async Task<(long Bytes, double Seconds)> PlainDownloadAsync(IReadOnlyList<HttpClient> clients, int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, streams).Select(s =>
            RpcBenchPlainHttp2.DownloadAsync(clients[s % clients.Count], server.Address, bytesPerStream, 256 * 1024, cancellationToken)));
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
    }

    private static byte[] CreatePayload(int size)
    {
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        return payload;
    }
}
