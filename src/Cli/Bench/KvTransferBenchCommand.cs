using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.Reservations;
using Cluster.KvTransfer.Server;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench kv-transfer</c>: pushes the KV of whole prompts (default: 2,048 tokens of the Llama-3.1-8B
/// shape, 256 MiB in bf16) through the real KvTransfer client and server over loopback h2c and through the same-host
/// shared-memory ring, one stream and N concurrent, next to a raw TCP copy of the same bytes measured in the same run.
/// Push paths: KvPushClient on a GrpcChannel (the workers' path), shared memory, and a bare Grpc.Net.Client stream
/// (<see cref="KvTransferBenchGrpcDotnet"/>); Push is hosted on Grpc.AspNetCore as in worker hosts.
/// With <c>--model</c>: engines on both sides (<see cref="KvTransferBenchEngines"/>).
/// </summary>
internal static class KvTransferBenchCommand
{
    public static Command Create()
    {
        var tokens = new Option<int>("--tokens") { Description = "Prompt tokens per transfer", DefaultValueFactory = _ => 2048 };
        var streams = new Option<int>("--streams") { Description = "Concurrent transfers of the multi-stream row", DefaultValueFactory = _ => 8 };
        var repeat = new Option<int>("--repeat") { Description = "Runs per figure; the median is shown", DefaultValueFactory = _ => 3 };
        var chunkKib = new Option<int>("--chunk-kib") { Description = "Largest chunk payload", DefaultValueFactory = _ => KvTransferOptions.DefaultMaxChunkBytes / 1024 };
        var model = new Option<string?>("--model") { Description = "Model directory: prefill and decode engines on --device, prefill then push vs layer-by-layer streaming" };
        var device = new Option<string>("--device") { Description = "Device of both engines (with --model)", DefaultValueFactory = _ => "cpu" };
        var dtype = new Option<string>("--dtype") { Description = "Model dtype (with --model)", DefaultValueFactory = _ => "bf16" };
        var decodeDevice = new Option<string?>("--decode-device") { Description = "Device of the decode engine (with --model; default --device), e.g. cuda:1" };
        var processes = new Option<int>("--processes") { Description = "With --model: 2 runs the decode engine in a second process, 1 in this one", DefaultValueFactory = _ => 2 };
        var transports = new Option<string>("--transports") { Description = "Push paths measured beside raw TCP: any of grpc (KvPushClient on GrpcChannel), shm (same-host ring), grpc-dotnet (a bare generated-style client)", DefaultValueFactory = _ => "grpc,shm,grpc-dotnet" };
        var connections = new Option<int>("--connections") { Description = "GrpcChannels of the grpc-dotnet path, shared round-robin by the streams (default: KvTransfer:PushConnections' default)", DefaultValueFactory = _ => KvTransferOptions.DefaultPushConnections };
        var decodeServer = new Option<bool>("--decode-server") { Description = "Internal: the decode-side process of --processes 2", Hidden = true };
        var command = new Command("kv-transfer", "KV-cache transfer throughput (Llama-3.1-8B shape, bf16) vs raw TCP: gRPC (grpc-dotnet) over loopback h2c and the same-host shared-memory ring.")
        {
            tokens, streams, repeat, chunkKib, model, device, decodeDevice, dtype, processes, transports, connections, decodeServer,
        };
        command.SetAction(async (parse, ct) =>
        {
            var chunk = parse.GetValue(chunkKib) * 1024;
            if (parse.GetValue(model) is not { } dir)
            {
                await RunAsync(parse.GetValue(tokens), parse.GetValue(streams), Math.Max(1, parse.GetValue(repeat)), chunk, Paths(parse.GetValue(transports)!), parse.GetValue(connections), ct);
                return 0;
            }
            if (parse.GetValue(decodeServer))
            {
                return await KvTransferBenchDecodeSide.ServeStdinAsync(dir, Torch.Device.Parse(parse.GetValue(device)!), Torch.ScalarTypeExtensions.Parse(parse.GetValue(dtype)!), parse.GetValue(tokens));
            }
            if (parse.GetValue(processes) is not (1 or 2)) throw new ArgumentException("--processes must be 1 or 2");
            await KvTransferBenchEngines.RunAsync(dir, parse.GetValue(device)!, parse.GetValue(decodeDevice) ?? parse.GetValue(device)!, parse.GetValue(dtype)!, parse.GetValue(tokens), Math.Max(1, parse.GetValue(repeat)), parse.GetValue(processes), chunk, ct);
            return 0;
        });
        return command;
    }

    private static HashSet<string> Paths(string list)
    {
        var paths = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = paths.Except(["grpc", "shm", "grpc-dotnet"], StringComparer.OrdinalIgnoreCase).ToArray();
        return unknown.Length == 0 ? paths : throw new ArgumentException($"--transports: unknown path(s) {string.Join(", ", unknown)}; use grpc, shm, grpc-dotnet.");
    }

    private static async Task RunAsync(int tokens, int streams, int repeat, int chunkBytes, HashSet<string> paths, int connections, CancellationToken cancellationToken)
    {
        if (connections < 1) throw new ArgumentException($"--connections must be at least 1 (got {connections}).");
        var layout = new KvCacheLayout(Layers: 32, KvHeads: 8, HeadDim: 128, KvDataType.BFloat16, BlockSize: 16);
        var blocks = layout.BlocksFor(tokens);
        var bytesPerTransfer = layout.RangeBytes(layout.Layers, blocks);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"kv-transfer bench: {tokens} tokens × ({layout}) = {bytesPerTransfer / 1048576.0:F0} MiB per transfer, {chunkBytes / 1024} KiB chunks, median of {repeat}, {Environment.ProcessorCount} cores, Push hosted on Grpc.AspNetCore"));

        var target = new KvTransferBenchTarget(layout, chunkBytes);
        using var table = new KvReservationTable(target, Options.Create(new KvTransferOptions()), TimeProvider.System);
        await using var app = await StartServerAsync(table);
        using var channel = GrpcChannel.ForAddress(app.Urls.First(), new KvTransferOptions().CreatePushChannelOptions());
        var service = new KvTransferService.KvTransferClient(channel);
        var grpc = new KvPushClient(service, new KvTransferOptions { MaxChunkBytes = chunkBytes });
        var shm = new KvPushClient(service, new KvTransferOptions { MaxChunkBytes = chunkBytes, SharedMemory = true });
        using var stock = new KvTransferBenchGrpcDotnet(app.Urls.First(), connections);
        var payload = new byte[chunkBytes];
        Random.Shared.NextBytes(payload);

        var cpu = new List<string>();
        Console.WriteLine($"{"GB/s",-12} {"raw TCP",8} {"gRPC",8} {"gRPC/raw",9} {"shm",8} {"shm/raw",8} {"grpc-dotnet",11} {"g-d/raw",8} {"shm/g-d",8}");
        foreach (var n in new[] { 1, streams })
        {
            var raw = await MedianAsync(repeat, () => TimeAsync(() => RpcBenchRawSocket.RunAsync(n, bytesPerTransfer, chunkBytes, cancellationToken)));
            Task<Figure> Push(Func<KvPushRequest, CancellationToken, Task<Contracts.V1.PushResult>> push) => MedianAsync(repeat, () => TimeAsync(async () =>
            {
                var results = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => PushOneAsync(push, table, layout, tokens, blocks, chunkBytes, payload, cancellationToken)));
                return results.Sum();
            }));
            var viaGrpc = paths.Contains("grpc") ? await Push(grpc.PushAsync) : Figure.None;
            var viaShm = paths.Contains("shm") && shm.UsesSharedMemory ? await Push(shm.PushAsync) : Figure.None;
            var viaStock = paths.Contains("grpc-dotnet") ? await Push(stock.PushAsync) : Figure.None;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n + " stream(s)",-12} {raw.Rate,8:F2} {viaGrpc.Rate,8:F2} {viaGrpc.Rate / raw.Rate,9:P0} {viaShm.Rate,8:F2} {viaShm.Rate / raw.Rate,8:P0} {viaStock.Rate,11:F2} {viaStock.Rate / raw.Rate,8:P0} {viaShm.Rate / viaStock.Rate,8:F2}").Replace("NaN", "  —", StringComparison.Ordinal));   // — : path not measured
            cpu.Add(string.Create(CultureInfo.InvariantCulture,
                $"{n + " stream(s)",-12} {raw.CpuPerGb,8:F2} {viaGrpc.CpuPerGb,8:F2} {viaShm.CpuPerGb,8:F2} {viaStock.CpuPerGb,11:F2}").Replace("NaN", "  —", StringComparison.Ordinal));
        }

        // Process CPU time (both ends run in this process) per GB moved: less sensitive to other load than GB/s.
        Console.WriteLine($"{"CPU s/GB",-12} {"raw TCP",8} {"gRPC",8} {"shm",8} {"grpc-dotnet",11}");
        cpu.ForEach(Console.WriteLine);
    }

    /// <summary>A median throughput and the median process CPU seconds spent per GB moved.</summary>
    private readonly record struct Figure(double Rate, double CpuPerGb)
    {
        public static Figure None => new(double.NaN, double.NaN);
    }

    private static async Task<long> PushOneAsync(Func<KvPushRequest, CancellationToken, Task<Contracts.V1.PushResult>> push, KvReservationTable table, KvCacheLayout layout, int tokens, int blocks, int chunkBytes, byte[] payload, CancellationToken cancellationToken)
    {
        var reservation = table.Reserve(RequestId.New(), tokens, "bench", layout);
        var ranges = KvChunkPlanner.ForAllLayers(layout, blocks, chunkBytes).ToArray();
        var request = new KvPushRequest(reservation.Ticket!, "bench", layout, tokens, (from, _) => Chunks(layout, ranges, from, payload));
        var result = await push(request, cancellationToken);
        if (!result.Complete || table.TakeForDecode(reservation.Ticket!) is null)
        {
            throw new InvalidOperationException("A benchmark transfer did not complete.");
        }

        return (long)result.CommittedBytes;
    }

    private static async IAsyncEnumerable<KvChunkData> Chunks(KvCacheLayout layout, KvChunkRange[] ranges, uint from, byte[] payload)
    {
        await Task.CompletedTask;
        for (var i = (int)from; i < ranges.Length; i++)
        {
            var r = ranges[i];
            yield return new KvChunkData(r, payload.AsMemory(0, (int)layout.RangeBytes(r.LayerCount, r.BlockCount)));
        }
    }

    internal static async Task<WebApplication> StartServerAsync(KvReservationTable table, KvTransfer.CudaIpc.KvIpcReceiver? ipc = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.InitialConnectionWindowSize = 16 << 20;
            k.Limits.Http2.InitialStreamWindowSize = 16 << 20;
            k.Limits.Http2.MaxFrameSize = (1 << 20) - 1;
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 80 * 1024 * 1024);   // chunks up to 64 MiB (--chunk-kib)
        builder.Services.AddSingleton(ipc is null
            ? new KvTransferGrpcService(table, NullLogger<KvTransferGrpcService>.Instance)
            : new KvTransferGrpcService(table, NullLogger<KvTransferGrpcService>.Instance, new KvTransferInstruments(new BenchMeters()), ipc));
        var app = builder.Build();
        app.MapGrpcService<KvTransferGrpcService>();
        await app.StartAsync();
        return app;
    }

    private static async Task<(long Bytes, double Seconds, double CpuSeconds)> TimeAsync(Func<Task<long>> run)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var bytes = await run();
        return (bytes, watch.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    private static async Task<Figure> MedianAsync(int repeat, Func<Task<(long Bytes, double Seconds, double CpuSeconds)>> run)
    {
        await run(); // warm-up
        var rates = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            var (bytes, seconds, cpuSeconds) = await run();
            rates.Add(bytes / seconds / 1e9);
            cpu.Add(cpuSeconds / (bytes / 1e9));
        }

        rates.Sort();
        cpu.Sort();
        return new Figure(rates[rates.Count / 2], cpu[cpu.Count / 2]);
    }
}

/// <summary>Meters nobody listens to (the bench's receiver counts nothing).</summary>
internal sealed class BenchMeters : System.Diagnostics.Metrics.IMeterFactory
{
    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}
