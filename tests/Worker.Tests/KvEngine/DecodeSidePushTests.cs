using Cluster.Core.Ids;
using Cluster.Engine.Generation;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Tests;
using Cluster.Worker.KvEngine;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;
using Grpc.Net.Client;
using Cluster.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.Worker.Tests.KvEngine;

/// <summary>
/// The decode side of a push over the real transfer service: chunks are written while the decode engine is held inside
/// a forward pass, and a reservation made with the prompt's tokens receives only what the decode worker's prefix cache
/// does not hold.
/// </summary>
public sealed class DecodeSidePushTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);   // only bounds a hang
    private readonly TinyEngines _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public async Task Push_IntoADecodeEngineHeldInsideAStep_CompletesBeforeTheStepEnds()
    {
        await using var pair = await PushPair.StartAsync(_tiny);
        var (prefill, decode, table, client) = (pair.Prefill, pair.Decode, pair.Table, pair.Client);
        var id = new RequestId("r1");
        var prompt = TinyEngines.Prompt(37);
        var first = prefill.Submit(id, prompt, TinyEngines.Greedy(6));
        prefill.RunUntilIdle();
        var firstToken = Assert.Single((await first.Completion).Tokens);
        var local = decode.Submit(new RequestId("busy"), TinyEngines.Prompt(40), TinyEngines.Greedy(3));   // keeps D stepping

        using var held = new HeldStep(decode, Bound);
        Assert.True(held.Entered.Wait(Bound), "the decode engine never reached layer 0 of a step");
        var ticket = table.Reserve(id, prompt.Length, "tiny", decode.Storage.Layout).Ticket!;
        var push = client.PushAsync(EngineKvSource.Create(prefill, id, ticket, maxChunkBytes: 512));
        var done = await Task.WhenAny(push, Task.Delay(Bound));
        Assert.True(done == push, "the push waited for the decode step: chunk writes must not wait for a forward pass");
        var result = await push;
        Assert.True(result.Complete);
        Assert.True(result.CommittedChunks > 8, $"only {result.CommittedChunks} chunks: the push must be several writes");
        Assert.False(held.Finished, "the step ended before the push; the test proved nothing");
        held.Release();
        held.Join();

        Assert.NotNull(table.TakeForDecode(ticket));
        prefill.ReleaseKv(id);
        var rest = decode.SubmitImported(id, prompt, firstToken, TinyEngines.Greedy(6));
        decode.RunUntilIdle();
        Assert.Equal(new Generator(_tiny.Llama).Generate(prompt, TinyEngines.Greedy(6)).Tokens, (await rest.Completion).Tokens);
        Assert.True(local.Completion.IsCompletedSuccessfully);
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    [Fact]
    public async Task Push_ToAReservationThatFoundTheSharedPrefixCached_CarriesOnlyTheSuffix()
    {
        await using var pair = await PushPair.StartAsync(_tiny);
        var (prefill, decode, table, client) = (pair.Prefill, pair.Decode, pair.Table, pair.Client);
        var system = TinyEngines.Prompt(32);   // 8 blocks of 4
        var layout = decode.Storage.Layout;

        var whole = await TransferAndDecodeAsync(pair, "a", [.. system, .. TinyEngines.Prompt(5)], expectCachedTokens: 0);
        Assert.Equal((ulong)layout.RangeBytes(layout.Layers, 10), whole);
        var before = table.ReceivedBytes;
        var suffix = await TransferAndDecodeAsync(pair, "b", [.. system, .. TinyEngines.Prompt(7)], expectCachedTokens: 32);

        // 39 tokens = 10 blocks; the 8 of the shared prefix stay on D: the push carries 2 blocks of every layer.
        Assert.Equal((ulong)layout.RangeBytes(layout.Layers, 2), suffix);
        Assert.Equal((long)suffix, table.ReceivedBytes - before);
        Assert.Equal(32 + 0, table.ReusedTokens);
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    [Fact]
    public async Task Push_IntoTheCachedPrefixBlocks_IsRefusedAndWritesNothing()
    {
        await using var pair = await PushPair.StartAsync(_tiny);
        var (prefill, decode, table, client) = (pair.Prefill, pair.Decode, pair.Table, pair.Client);
        var prompt = TinyEngines.Prompt(24);
        await TransferAndDecodeAsync(pair, "a", prompt, expectCachedTokens: 0);

        var id = new RequestId("b");
        prefill.Submit(id, prompt, TinyEngines.Greedy(2));
        prefill.RunUntilIdle();
        var reservation = table.Reserve(id, prompt.Length, "tiny", decode.Storage.Layout, prompt, "");
        Assert.Equal(6, reservation.CachedBlocks);
        var before = table.ReceivedBytes;
        var e = await Assert.ThrowsAsync<RpcException>(() => client.PushAsync(EngineKvSource.Create(prefill, id, reservation.Ticket!, maxChunkBytes: 512)));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("cached prefix", e.Status.Detail);
        Assert.Equal(before, table.ReceivedBytes);
        prefill.ReleaseKv(id);
        Assert.True(table.Cancel(id));
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    // One request through P → D with the prompt's tokens on the reservation; checks the decode against the reference and
    // returns the bytes the push committed.
    private async Task<ulong> TransferAndDecodeAsync(PushPair pair, string name, int[] prompt, int expectCachedTokens)
    {
        var (prefill, decode, table, client) = (pair.Prefill, pair.Decode, pair.Table, pair.Client);
        var id = new RequestId(name);
        var reservation = table.Reserve(id, prompt.Length, "tiny", decode.Storage.Layout, prompt, "");
        Assert.True(reservation.Succeeded, reservation.Message);
        var cachedTokens = reservation.CachedBlocks * decode.Storage.Layout.BlockSize;
        Assert.Equal(expectCachedTokens, cachedTokens);
        using var streaming = StreamingPrefill.Start(prefill, new EngineRequest(id, prompt, TinyEngines.Greedy(5)), reservation.Ticket!, cachedTokens, 512, CancellationToken.None);
        var push = client.PushAsync(streaming.Push);
        await Task.Run(prefill.RunUntilIdle);
        var firstToken = Assert.Single((await streaming.Handle.Completion).Tokens);
        var result = await push;
        Assert.True(result.Complete);
        Assert.NotNull(table.TakeForDecode(reservation.Ticket!));
        prefill.ReleaseKv(id);
        var rest = decode.SubmitImported(id, prompt, firstToken, TinyEngines.Greedy(5));
        decode.RunUntilIdle();
        Assert.Equal(new Generator(_tiny.Llama).Generate(prompt, TinyEngines.Greedy(5)).Tokens, (await rest.Completion).Tokens);
        return result.CommittedBytes;
    }

    // A prefill-role and a decode-role engine over the tiny model, the decode side's reservation table behind a real
    // KvTransfer server, and a push client to it.
    private sealed class PushPair : IAsyncDisposable
    {
        private WebApplication? _server;
        private GrpcChannel? _channel;

        private PushPair(TinyEngines tiny)
        {
            Prefill = tiny.New(EngineRoleNames.Prefill);
            Decode = tiny.New(EngineRoleNames.Decode);
            Table = new KvReservationTable(new EngineKvImportTarget(Decode.Import), Options.Create(new KvTransferOptions()), TimeProvider.System);
        }

        public InferenceEngine Prefill { get; }

        public InferenceEngine Decode { get; }

        public KvReservationTable Table { get; }

        public KvPushClient Client { get; private set; } = null!;

        public static async Task<PushPair> StartAsync(TinyEngines tiny)
        {
            var pair = new PushPair(tiny);
            pair._server = await TransferFixture.StartServerAsync(pair.Table);
            pair._channel = GrpcChannel.ForAddress(pair._server.Urls.First());
            pair.Client = new KvPushClient(new KvTransferService.KvTransferClient(pair._channel));
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            _channel?.Dispose();
            if (_server is not null) await _server.DisposeAsync();
            Table.Dispose();
            Decode.Dispose();
            Prefill.Dispose();
        }
    }
}
