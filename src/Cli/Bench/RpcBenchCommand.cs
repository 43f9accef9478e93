using System.CommandLine;
using System.Globalization;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench rpc</c>: streaming throughput of large messages through grpc-dotnet (Grpc.Net.Client to a
/// Grpc.AspNetCore host: <see cref="RpcBenchGrpcDotnet"/>) over loopback h2c, one
/// stream and N concurrent streams, each next to a raw TCP copy of the same bytes (one and N
/// connections) measured in the same run. Figures are medians of <c>--repeat</c> runs after a warm-up.
/// </summary>
internal static class RpcBenchCommand
{
    public static Command Create()
    {
        var totalMib = new Option<int>("--total-mib") { Description = "MiB moved per measurement (split over the streams)", DefaultValueFactory = _ => 512 };
        var messageKib = new Option<int>("--message-kib") { Description = "Message (and raw chunk) size in KiB", DefaultValueFactory = _ => 1024 };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams of the multi-stream rows", DefaultValueFactory = _ => 8 };
        var repeat = new Option<int>("--repeat") { Description = "Runs per figure; the median is shown", DefaultValueFactory = _ => 3 };
        var kestrelBuffer = new Option<int>("--kestrel-buffer-kib") { Description = "Kestrel MaxRequestBufferSize/MaxResponseBufferSize in KiB (0 = Kestrel's defaults)", DefaultValueFactory = _ => 0 };
        var timeout = new Option<int>("--timeout-seconds") { Description = "Limit of the whole benchmark", DefaultValueFactory = _ => 300 };
        var command = new Command("rpc", "gRPC streaming throughput of large messages vs raw TCP sockets, loopback h2c.") { totalMib, messageKib, streams, repeat, kestrelBuffer, timeout };
        command.SetAction(async (parse, ct) =>
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
            var settings = new RpcBenchSettings(
                (long)parse.GetValue(totalMib) * 1024 * 1024,
                parse.GetValue(messageKib) * 1024,
                parse.GetValue(streams),
                Math.Max(1, parse.GetValue(repeat)),
                parse.GetValue(kestrelBuffer) * 1024);
            try
            {
                await RunAsync(settings, cts.Token);
                return 0;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"bench rpc: stopped after --timeout-seconds {parse.GetValue(timeout)}.");
                return 1;
            }
        });
        return command;
    }

    private static async Task RunAsync(RpcBenchSettings settings, CancellationToken cancellationToken)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rpc bench: {settings.TotalBytes / 1048576} MiB per run, {settings.MessageSize / 1024} KiB messages, median of {settings.Repeat}, loopback h2c, {Environment.ProcessorCount} cores"));
        await using var server = await RpcBenchServer.StartAsync(settings.MessageSize, settings.KestrelBufferBytes);
        var runner = new RpcBenchRunner(server, settings.MessageSize);
        await using var stock = await RpcBenchGrpcDotnet.StartAsync(settings.MessageSize);
        var stockShared = stock.CreateChannels(1);
        var stockPooled = stock.CreateChannels(settings.Streams);
        var n = settings.Streams;
        using var sharedHttp = RpcBenchPlainHttp2.CreateClient(RpcBenchPlainHttp2.StreamWindow);
        var clients = Enumerable.Range(0, n).Select(_ => RpcBenchPlainHttp2.CreateClient(RpcBenchPlainHttp2.StreamWindow)).ToArray();
        try
        {
            var rows = new List<RpcBenchRow>();
            var cases = new[]
            {
                ("1 stream", 1, new[] { sharedHttp }, stockShared),
                ($"{n} streams, 1 connection", n, new[] { sharedHttp }, stockShared),
                ($"{n} streams, {n} connections", n, clients, stockPooled),
            };
            foreach (var (label, streams, http, grpc) in cases)
            {
                var perStream = settings.TotalBytes / streams;
                Console.WriteLine($"{label}:");
                var raw = await MeasureAsync($"raw TCP, {streams} connection(s)", settings, ct => runner.RawAsync(streams, perStream, ct), cancellationToken);
                var plainUp = await MeasureAsync("plain HTTP/2 upload", settings, ct => runner.PlainUploadAsync(http, streams, perStream, ct), cancellationToken);
                var plainDown = await MeasureAsync("plain HTTP/2 download", settings, ct => runner.PlainDownloadAsync(http, streams, perStream, ct), cancellationToken);
                var stockUp = await MeasureAsync("grpc-dotnet client streaming", settings, ct => stock.UploadAsync(grpc, streams, perStream, ct), cancellationToken);
                var stockDown = await MeasureAsync("grpc-dotnet server streaming", settings, ct => stock.DownloadAsync(grpc, streams, perStream, ct), cancellationToken);
                rows.Add(new RpcBenchRow(label, raw, plainUp, plainDown, stockUp, stockDown));
            }

            Console.WriteLine();
            Console.WriteLine($"{"GB/s",-26} {"raw TCP",8} | {"h2 up",6} {"g-d up",7} {"g-d/raw",8} | {"h2 down",8} {"g-d down",9} {"g-d/raw",8}");
            foreach (var r in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Label,-26} {r.Raw,8:F2} | {r.PlainUpload,6:F2} {r.StockUpload,7:F2} {r.StockUpload / r.Raw,8:P0} | {r.PlainDownload,8:F2} {r.StockDownload,9:F2} {r.StockDownload / r.Raw,8:P0}"));
            }

            Console.WriteLine("raw TCP: one connection per stream, no framing. h2: the same chunks through HttpClient + Kestrel without gRPC (the");
            Console.WriteLine("HTTP/2 stack's ceiling). g-d: grpc-dotnet, Grpc.Net.Client to a Grpc.AspNetCore host, client streaming (up) and");
            Console.WriteLine("server streaming (down); N connections = N GrpcChannels. GB = 1e9 bytes.");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var channel in stockShared.Concat(stockPooled))
            {
                channel.Dispose();
            }
        }
    }

    private static async Task<double> MeasureAsync(
        string name,
        RpcBenchSettings settings,
        Func<CancellationToken, Task<(long Bytes, double Seconds)>> run,
        CancellationToken cancellationToken)
    {
        Console.Write($"  {name,-34} warm-up");
        await run(cancellationToken); // JIT, connections, pools, TCP windows
        var figures = new List<double>();
        for (var i = 0; i < settings.Repeat; i++)
        {
            var (bytes, seconds) = await run(cancellationToken);
            if (bytes < settings.TotalBytes - settings.MessageSize * (long)settings.Streams)
            {
                throw new InvalidOperationException($"{name}: moved {bytes} bytes, expected {settings.TotalBytes}.");
            }

            figures.Add(bytes / seconds / 1e9);
            Console.Write(string.Create(CultureInfo.InvariantCulture, $" {figures[^1]:F2}"));
        }

        figures.Sort();
        var median = figures[figures.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  -> {median:F2} GB/s"));
        return median;
    }
}
