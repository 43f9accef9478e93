using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.Reservations;
using Cluster.KvTransfer.Server;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.KvTransfer.Tests;

/// <summary>A decode side (reservations over a <see cref="MemoryKvStore"/>) served on real h2c, and a push client.</summary>
internal sealed class TransferFixture : IAsyncDisposable
{
    public static readonly KvCacheLayout Layout = new(Layers: 4, KvHeads: 2, HeadDim: 8, KvDataType.Float16, BlockSize: 4);

    private readonly WebApplication _app;

    private TransferFixture(WebApplication app, MemoryKvStore store, KvReservationTable table, ManualTimeProvider time, GrpcChannel channel)
    {
        _app = app;
        Store = store;
        Table = table;
        Time = time;
        Channel = channel;
        Client = new KvTransferService.KvTransferClient(channel);
    }

    public MemoryKvStore Store { get; }

    public KvReservationTable Table { get; }

    public ManualTimeProvider Time { get; }

    public GrpcChannel Channel { get; }

    public KvTransferService.KvTransferClient Client { get; }

    /// <summary>A Push of exactly these frames (a header, then chunks), bypassing KvPushClient; ends with the server's answer.</summary>
    public async Task<PushResult> PushRawAsync(KvHeader header, params KvChunk[] chunks)
    {
        using var call = Client.Push();
        try
        {
            await call.RequestStream.WriteAsync(new KvFrame { Header = header });
            foreach (var chunk in chunks)
            {
                await call.RequestStream.WriteAsync(new KvFrame { Chunk = chunk });
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call early; its status is in ResponseAsync.
        }

        return await call.ResponseAsync;
    }

    /// <summary>The ways a sender's Push can travel: since issue 13 only Grpc.Net.Client (the ring rides on it).</summary>
    public static TheoryData<PushPath> Transports => [PushPath.GrpcNetClient];

    /// <param name="instruments">Makes the receiver's instruments over the fixture's table (metrics tests); none by default.</param>
    /// <param name="ipc">The receiver's CUDA IPC side (none by default: announced device rings are refused as "off").</param>
    public static async Task<TransferFixture> StartAsync(int totalBlocks = 1024, PushPath transport = PushPath.GrpcNetClient,
        Func<KvReservationTable, KvTransferInstruments>? instruments = null, CudaIpc.KvIpcReceiver? ipc = null)
    {
        var store = new MemoryKvStore(Layout, totalBlocks);
        var time = new ManualTimeProvider();
        var table = new KvReservationTable(store, Options.Create(new KvTransferOptions()), time);
        var app = await StartServerAsync(table, instruments?.Invoke(table), ipc);
        var channel = GrpcChannel.ForAddress(app.Urls.First(), new KvTransferOptions().CreatePushChannelOptions());
        return new TransferFixture(app, store, table, time, channel);
    }

    /// <summary>Serves <c>cluster.v1.KvTransfer</c> over <paramref name="table"/> on 127.0.0.1 (h2c, large windows).</summary>
    public static async Task<WebApplication> StartServerAsync(KvReservationTable table, KvTransferInstruments? instruments = null, CudaIpc.KvIpcReceiver? ipc = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.InitialConnectionWindowSize = 16 << 20;
            k.Limits.Http2.InitialStreamWindowSize = 16 << 20;
            k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(ipc is not null
            ? new KvTransferGrpcService(table, NullLogger<KvTransferGrpcService>.Instance, instruments ?? new KvTransferInstruments(new NoMeters()), ipc)
            : instruments is null
            ? new KvTransferGrpcService(table, NullLogger<KvTransferGrpcService>.Instance)
            : new KvTransferGrpcService(table, NullLogger<KvTransferGrpcService>.Instance, instruments));
        var app = builder.Build();
        app.MapGrpcService<KvTransferGrpcService>();
        await app.StartAsync();
        return app;
    }

    /// <summary>Reserves for <paramref name="tokens"/> tokens and makes random KV for them (full layout).</summary>
    public (string Ticket, int Blocks, byte[] Kv) Reserve(RequestId request, int tokens, int seed = 1)
    {
        var result = Table.Reserve(request, tokens, "tiny", Layout);
        Assert.True(result.Succeeded, result.Message);
        var kv = new byte[Layout.RangeBytes(Layout.Layers, result.Blocks)];
        new Random(seed).NextBytes(kv);
        return (result.Ticket!, result.Blocks, kv);
    }

    /// <summary>A push of <paramref name="kv"/> in layer-by-layer chunks of at most <paramref name="maxChunkBytes"/>.</summary>
    public static KvPushRequest PushOf(string ticket, int tokens, int blocks, byte[] kv, int maxChunkBytes = 256,
        Func<uint, KvChunkData, KvChunkData>? tamper = null)
    {
        var chunks = KvChunkPlanner.ForAllLayers(Layout, blocks, maxChunkBytes)
            .Select(r => new KvChunkData(r, MemoryKvStore.Slice(Layout, kv, blocks, r)))
            .ToArray();
        return new KvPushRequest(ticket, "tiny", Layout, tokens, (from, _) => Enumerate(chunks, from, tamper));
    }

    private static async IAsyncEnumerable<KvChunkData> Enumerate(KvChunkData[] chunks, uint from, Func<uint, KvChunkData, KvChunkData>? tamper)
    {
        await Task.CompletedTask;
        for (var i = from; i < chunks.Length; i++)
        {
            yield return tamper is null ? chunks[i] : tamper(i, chunks[i]);
        }
    }

    /// <summary>Kills the receiver (the server goes away; the client's channel stays).</summary>
    public async Task KillServerAsync()
    {
        using var now = new CancellationTokenSource(TimeSpan.Zero);
        await _app.StopAsync(now.Token);
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.DisposeAsync();
        Table.Dispose();
    }
}

/// <summary>Meters nobody listens to (a service whose instruments a test does not read).</summary>
internal sealed class NoMeters : System.Diagnostics.Metrics.IMeterFactory
{
    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}

/// <summary>What carries a test's Push stream.</summary>
public enum PushPath
{
    /// <summary>The generated client on a <see cref="GrpcChannel"/>.</summary>
    GrpcNetClient,
}
