using System.Diagnostics;
using Grpc.Core;

namespace Cluster.Cli.Bench;

/// <summary>Runs one measured transfer: raw sockets, RPC client streaming (upload) or server streaming (download).</summary>
internal sealed class RpcBenchRunner(RpcBenchServer server, int messageSize)
{
    private readonly byte[] _payload = CreatePayload(messageSize);

    public async Task<(long Bytes, double Seconds)> RawAsync(int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var bytes = await RpcBenchRawSocket.RunAsync(streams, bytesPerStream, messageSize, cancellationToken);
        return (bytes, watch.Elapsed.TotalSeconds);
    }

    public async Task<(long Bytes, double Seconds)> UploadAsync(IReadOnlyList<RpcChannel> channels, int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            var invoker = channels[s % channels.Count].CreateCallInvoker();
            using var call = invoker.AsyncClientStreamingCall(RpcBenchPayload.Upload, null, new CallOptions(cancellationToken: cancellationToken));
            var message = new RpcBenchPayload(_payload, _payload.Length);
            for (long sent = 0; sent < bytesPerStream; sent += _payload.Length)
            {
                await call.RequestStream.WriteAsync(message, cancellationToken);
            }

            await call.RequestStream.CompleteAsync();
            var response = await call.ResponseAsync;
            return BitConverter.ToInt64(response.Data.Span);
        }));
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
    }

    public async Task<(long Bytes, double Seconds)> DownloadAsync(IReadOnlyList<RpcChannel> channels, int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var messages = (int)Math.Max(1, bytesPerStream / _payload.Length);
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            var invoker = channels[s % channels.Count].CreateCallInvoker();
            var request = new RpcBenchPayload(new byte[messages], messages);
            using var call = invoker.AsyncServerStreamingCall(RpcBenchPayload.Download, null, new CallOptions(cancellationToken: cancellationToken), request);
            long bytes = 0;
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                bytes += call.ResponseStream.Current.Length;
            }

            return bytes;
        }));
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
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

    public RpcChannel CreateChannel(int connections) => RpcChannel.ForAddress(server.Address, new RpcChannelOptions
    {
        MaxReceiveMessageSize = messageSize + 1024,
        ConnectionCount = connections,
    });

    private static byte[] CreatePayload(int size)
    {
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        return payload;
    }
}
