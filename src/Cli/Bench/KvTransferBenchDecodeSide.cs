using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer;
using Cluster.Worker.KvEngine;
using Cluster.KvTransfer.Reservations;
using Cluster.Torch;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Cluster.Cli.Bench;

/// <summary>
/// The decode worker of <c>bench kv-transfer --model</c>: a decode-role engine whose reservations the KvTransfer
/// server writes into. Runs in a child process (<c>--decode-server</c>, driven by lines on stdin: <c>reserve N</c> →
/// <c>ticket T</c>, <c>take T</c> → <c>ok</c> once every block arrived, the blocks then freed) or in-process.
/// </summary>
internal sealed class KvTransferBenchDecodeSide : IAsyncDisposable
{
    private readonly LlamaModel _model;
    private readonly InferenceEngine _engine;
    private readonly KvReservationTable _table;
    private readonly WebApplication _app;
    private readonly Dictionary<string, RequestId> _requests = [];

    private KvTransferBenchDecodeSide(LlamaModel model, InferenceEngine engine, KvReservationTable table, WebApplication app)
    {
        _model = model;
        _engine = engine;
        _table = table;
        _app = app;
    }

    public string Address => _app.Urls.First();

    public static async Task<KvTransferBenchDecodeSide> StartAsync(string modelDir, Device device, ScalarType dtype, int tokens)
    {
        var model = LlamaModel.Load(modelDir, device, dtype, maxPositions: tokens + 16);
        var blocks = 4 * ((tokens + 15) / 16);
        var engine = new InferenceEngine(model, new ModelId("bench"), new EngineOptions { Role = EngineRoleNames.Decode }, new KvCacheOptions { NumBlocks = blocks });
        var table = new KvReservationTable(new EngineKvImportTarget(engine.Import), Options.Create(new KvTransferOptions { Lease = TimeSpan.FromMinutes(5) }), TimeProvider.System);
        // CUDA IPC rings are accepted from a sender on the same GPU (refused, and the sender falls back, otherwise).
        var app = await KvTransferBenchCommand.StartServerAsync(table, new KvTransfer.CudaIpc.KvIpcReceiver(new TorchKvIpcDevice(device)));
        return new KvTransferBenchDecodeSide(model, engine, table, app);
    }

    public string Reserve(int tokens)
    {
        var id = RequestId.New();
        var result = _table.Reserve(id, tokens, "bench", _engine.Storage.Layout);
        if (!result.Succeeded) throw new InvalidOperationException($"Reserve failed: {result.Message}");
        _requests[result.Ticket!] = id;
        return result.Ticket!;
    }

    /// <summary>XXH64 of every layer of the ticket's reserved blocks as written (hex): equal across transports = bit-identical KV.</summary>
    public string Hash(string ticket)
    {
        var id = _requests[ticket];
        var layout = _engine.Storage.Layout;
        var bytes = new byte[layout.RangeBytes(layout.Layers, _table.Find(ticket)!.Blocks)];
        _engine.Import.Read(id, bytes);
        return Cluster.Core.Hashing.XxHash64.Hash(bytes).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Checks that every block arrived, then frees them for the next round.</summary>
    public void Take(string ticket)
    {
        if (_table.TakeForDecode(ticket) is null) throw new InvalidOperationException($"Ticket {ticket} is not completely written.");
        _requests.Remove(ticket, out var id);
        _engine.Import.Release(id);
    }

    /// <summary>The child process: prints <c>listening URL</c>, then answers stdin lines until <c>quit</c> or end of input.</summary>
    public static async Task<int> ServeStdinAsync(string modelDir, Device device, ScalarType dtype, int tokens)
    {
        await using var side = await StartAsync(modelDir, device, dtype, tokens);
        Console.WriteLine($"listening {side.Address}");
        while (Console.ReadLine() is { } line && line != "quit")
        {
            var parts = line.Split(' ', 2);
            try
            {
                Console.WriteLine(parts[0] switch
                {
                    "reserve" => "ticket " + side.Reserve(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)),
                    "take" => Take(side, parts[1]),
                    "hash" => "hash " + side.Hash(parts[1]),
                    _ => $"error unknown command '{line}': use reserve N, hash T, take T or quit",
                });
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or IndexOutOfRangeException)
            {
                Console.WriteLine("error " + e.Message);
            }
        }
        return 0;
    }

    private static string Take(KvTransferBenchDecodeSide side, string ticket)
    {
        side.Take(ticket);
        return "ok";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _table.Dispose();
        _engine.Dispose();
        _model.Dispose();
    }
}
