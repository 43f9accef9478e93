using Cluster.Core.Generation;
using System.Diagnostics;
using System.Globalization;
using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.CudaIpc;
using Cluster.Worker.KvEngine;
using Grpc.Core;
using Grpc.Net.Client;
using Cluster.Torch;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>bench kv-transfer --model DIR</c>: a prefill-role engine here, a decode-role engine in a child process (or this
/// one), on the same device or on <c>--decode-device</c>. Per transport (gRPC inline, shared-memory ring, CUDA IPC device ring): prefill then push (sequential) vs
/// push while prefill computes (layer-by-layer streaming), next to host↔device copies and raw loopback TCP of the same bytes.
/// </summary>
internal static class KvTransferBenchEngines
{
    public static async Task RunAsync(string modelDir, string device, string decodeDevice, string dtype, int tokens, int repeat, int processes, int chunkBytes, CancellationToken cancellationToken)
    {
        var dev = Device.Parse(device);
        using var llama = LlamaModel.Load(modelDir, dev, ScalarTypeExtensions.Parse(dtype), maxPositions: tokens + 16);
        using var engine = new InferenceEngine(llama, new ModelId("bench"), new EngineOptions { Role = EngineRoleNames.Prefill, MaxBatchTokens = tokens },
            new KvCacheOptions { NumBlocks = 4 * ((tokens + 15) / 16) });
        var layout = engine.Storage.Layout;
        var bytes = layout.RangeBytes(layout.Layers, layout.BlocksFor(tokens));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"kv-transfer engine bench: {modelDir} on {device} ({dtype}), {tokens} tokens → {bytes / 1048576.0:F0} MiB of KV ({layout}), decode engine on {decodeDevice} in {(processes == 2 ? "a second process" : "this process")}, {chunkBytes / 1024} KiB chunks, median of {repeat}"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loop = Task.Run(() => engine.RunAsync(stop.Token), CancellationToken.None);
        KvTransferBenchChild? child = null;
        KvTransferBenchDecodeSide? local = null;
        try
        {
            if (processes == 2) child = await KvTransferBenchChild.StartAsync(modelDir, decodeDevice, dtype, tokens);
            else local = await KvTransferBenchDecodeSide.StartAsync(modelDir, Device.Parse(decodeDevice), ScalarTypeExtensions.Parse(dtype), tokens);
            Func<Task<string>> reserve = child is not null ? () => child.ReserveAsync(tokens) : () => Task.FromResult(local!.Reserve(tokens));
            Func<string, Task> take = child is not null ? child.TakeAsync : t => { local!.Take(t); return Task.CompletedTask; };
            Func<string, Task<string>> hash = child is not null ? child.HashAsync : t => Task.FromResult(local!.Hash(t));
            using var ipcPool = new KvIpcRingPool(new TorchKvIpcDevice(dev));
            var fellBack = new HashSet<string>();   // each fallback reason printed once
            using var channel = GrpcChannel.ForAddress(child?.Address ?? local!.Address, new KvTransferOptions().CreatePushChannelOptions());
            var service = new KvTransferService.KvTransferClient(channel);
            var transports = new (string Name, KvPushClient Client)[]
            {
                ("gRPC (grpc-dotnet)", new KvPushClient(service, new KvTransferOptions { MaxChunkBytes = chunkBytes })),
                ("shared memory", new KvPushClient(service, new KvTransferOptions { MaxChunkBytes = chunkBytes, SharedMemory = true })),
                // Device to device through a ring the decode process opens by CUDA IPC; falls back (and says why) off the GPU.
                ("CUDA IPC", new KvPushClient(service, new KvTransferOptions { MaxChunkBytes = chunkBytes })
                {
                    CudaIpc = ipcPool,
                    CudaIpcFallback = reason => { if (fellBack.Add(reason)) Console.WriteLine($"CUDA IPC fallback: {reason} {ipcPool.Device.UnavailableReason}"); },
                }),
            };
            var round = new Round(engine, tokens, llama.Config.VocabSize, chunkBytes, reserve, take);

            PrintCopies(dev, bytes);
            await KvStagingBench.PrintAsync(engine, tokens, chunkBytes, llama.Config.VocabSize);
            var raw = await MedianAsync(repeat, async () => { var w = Stopwatch.StartNew(); await RpcBenchRawSocket.RunAsync(1, bytes, chunkBytes, cancellationToken); return w.Elapsed.TotalSeconds; });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raw loopback TCP, 1 stream: {bytes / raw / 1e9:F2} GB/s ({raw * 1000:F1} ms)"));
            await round.PrefillAsync();                                                           // warm-up
            var prefill = await MedianAsync(repeat, round.PrefillAsync);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"prefill alone: {prefill * 1000:F1} ms"));
            Console.WriteLine($"{"transport",-16} {"ran as",-14} {"push GB/s",10} {"push ms",8} {"push/pre",9} {"seq ms",8} {"stream ms",10} {"tail ms",8} {"hidden",7} {"tail hid",9}");
            var hashes = new List<(string Name, string Hash)>();
            foreach (var (name, client) in transports)
            {
                await round.SequentialAsync(client);                                              // warm-up
                await round.StreamingAsync(client);
                var seq = await MedianOfAsync(repeat, () => round.SequentialAsync(client));
                var str = await MedianOfAsync(repeat, () => round.StreamingAsync(client));
                // Hidden: the part of the sequential push that streaming removed from prefill + transfer; tail hidden: the
                // part of the push not left after the prefill ended (1 − tail / push).
                var hidden = (seq.Total - str.Total) / seq.Push;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-16} {client.Transport,-14} {bytes / seq.Push / 1e9,10:F2} {seq.Push * 1000,8:F1} {seq.Push / prefill,9:P1} {seq.Total * 1000,8:F1} {str.Total * 1000,10:F1} {str.Push * 1000,8:F1} {hidden,7:P0} {1 - (str.Push / seq.Push),9:P0}"));
                hashes.Add((name, await round.HashAsync(client, hash)));
            }
            Console.WriteLine("push: after a finished prefill; push/pre = push ÷ prefill alone (goal ≤ 5 % for CUDA IPC); seq = prefill + push; stream = push during prefill, start to last chunk; tail = stream's push after prefill ended; hidden = (seq − stream) / push; tail hid = 1 − tail / push (goal ≥ 90 %)");
            foreach (var (name, h) in hashes) Console.WriteLine($"received KV of one fixed prompt, streamed, {name}: xxh64 {h}");
            Console.WriteLine(hashes.Select(h => h.Hash).Distinct().Count() == 1
                ? "kv identical across transports: yes (bit-identical KV in the decode engine, so its decode output is the same)"
                : "kv identical across transports: NO");
        }
        finally
        {
            if (child is not null) await child.DisposeAsync();
            if (local is not null) await local.DisposeAsync();
            await stop.CancelAsync();
            await loop.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private static void PrintCopies(Device device, long bytes)
    {
        if (!device.IsCuda)
        {
            Console.WriteLine("host↔device copies: n/a (the cache is in host memory)");
            return;
        }
        var host = new byte[bytes];
        Random.Shared.NextBytes(host);
        double up = double.MaxValue, down = double.MaxValue;
        var pin = System.Runtime.InteropServices.GCHandle.Alloc(host, System.Runtime.InteropServices.GCHandleType.Pinned);
        for (var i = 0; i < 4; i++)
        {
            var w = Stopwatch.StartNew();
            var t = torch.from_host(pin.AddrOfPinnedObject(), [bytes], ScalarType.Byte, device);
            torch.cuda.synchronize(device);
            up = Math.Min(up, w.Elapsed.TotalSeconds);
            w.Restart();
            t.CopyTo(host);
            down = Math.Min(down, w.Elapsed.TotalSeconds);
            t.Dispose();
        }
        pin.Free();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"host→device {bytes / up / 1e9:F2} GB/s, device→host {bytes / down / 1e9:F2} GB/s (pageable memory, best of 4)"));
    }

    private static async Task<double> MedianAsync(int repeat, Func<Task<double>> run)
    {
        var values = new List<double>();
        for (var i = 0; i < repeat; i++) values.Add(await run());
        values.Sort();
        return values[values.Count / 2];
    }

    private static async Task<(double Total, double Push)> MedianOfAsync(int repeat, Func<Task<(double Total, double Push)>> run)
    {
        var values = new List<(double Total, double Push)>();
        for (var i = 0; i < repeat; i++) values.Add(await run());
        values.Sort((a, b) => a.Total.CompareTo(b.Total));
        return values[values.Count / 2];
    }

    // One timed prefill (+ push) on a fresh random prompt (no prefix-cache hits).
    private sealed class Round(InferenceEngine engine, int tokens, int vocab, int chunkBytes, Func<Task<string>> reserve, Func<string, Task> take)
    {
        private static readonly GenerationParameters OneToken = new() { MaxTokens = 1, IgnoreEos = true };
        private int _seed;

        public async Task<double> PrefillAsync()
        {
            var (id, prompt) = Next();
            var w = Stopwatch.StartNew();
            await engine.Submit(id, prompt, OneToken).Completion;
            var seconds = w.Elapsed.TotalSeconds;
            engine.ReleaseKv(id);
            return seconds;
        }

        public async Task<(double Total, double Push)> SequentialAsync(KvPushClient client)
        {
            var (id, prompt) = Next();
            var ticket = await reserve();
            var w = Stopwatch.StartNew();
            await engine.Submit(id, prompt, OneToken).Completion;
            var prefilled = w.Elapsed.TotalSeconds;
            Check(await client.PushAsync(EngineKvSource.Create(engine, id, ticket, chunkBytes)));
            var total = w.Elapsed.TotalSeconds;
            await take(ticket);
            engine.ReleaseKv(id);
            return (total, total - prefilled);
        }

        public async Task<(double Total, double Push)> StreamingAsync(KvPushClient client)
        {
            var (id, prompt) = Next();
            var ticket = await reserve();
            var w = Stopwatch.StartNew();
            using var streaming = StreamingPrefill.Start(engine, id, prompt, OneToken, ticket, chunkBytes);
            var push = client.PushAsync(streaming.Push);
            await streaming.Handle.Completion;
            var prefilled = w.Elapsed.TotalSeconds;
            Check(await push);
            var total = w.Elapsed.TotalSeconds;
            await take(ticket);
            engine.ReleaseKv(id);
            return (total, total - prefilled);
        }

        /// <summary>Streams one fixed prompt's KV through <paramref name="client"/>; the receiver's XXH64 of what arrived.</summary>
        public async Task<string> HashAsync(KvPushClient client, Func<string, Task<string>> hash)
        {
            var (id, prompt) = Next(seed: 424242);
            var ticket = await reserve();
            using var streaming = StreamingPrefill.Start(engine, id, prompt, OneToken, ticket, chunkBytes);
            var push = client.PushAsync(streaming.Push);
            await streaming.Handle.Completion;
            Check(await push);
            var h = await hash(ticket);
            await take(ticket);
            engine.ReleaseKv(id);
            return h;
        }

        private (RequestId, int[]) Next(int? seed = null)
        {
            var random = new Random(seed ?? ++_seed);
            return (RequestId.New(), [.. Enumerable.Range(0, tokens).Select(_ => random.Next(Math.Min(vocab, 32000)))]);
        }

        private static void Check(Contracts.V1.PushResult result)
        {
            if (!result.Complete) throw new InvalidOperationException("A benchmark transfer did not complete.");
        }
    }
}
