using Cluster.Contracts.V1;
using Grpc.Core;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>
/// Cancel (the RPC) and the client's own cancellation stop the engine (generated_tokens stays far below what was
/// asked for) and free every block the request held.
/// </summary>
public sealed class CancellationTests(WorkerPair pair) : IClassFixture<WorkerPair>
{
    private const int Long = 3000;   // far more tokens than the test lets it produce

    [Fact]
    public async Task Cancel_MidStream_EndsTheStreamCancelledAndFreesAllBlocks()
    {
        var prompt = TinyModel.Prompt(20, seed: 1);
        var before = await pair.Decode.SettledGeneratedTokensAsync();
        using var call = pair.Decode.Client.Decode(Calls.Decode("cancel-rpc", prompt, [], Long), pair.Decode.Options());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.NotEmpty(call.ResponseStream.Current.TokenIds);

        var cancelled = await pair.Decode.Client.CancelAsync(new CancelRequest { RequestId = "cancel-rpc" }, pair.Decode.Options());

        Assert.True(cancelled.Found);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        await pair.Decode.WaitAllBlocksFreeAsync();
        await AssertStoppedEarlyAsync(before);
    }

    [Fact]
    public async Task ClientCancellation_MidStream_FreesAllBlocks()
    {
        var prompt = TinyModel.Prompt(20, seed: 2);
        var before = await pair.Decode.SettledGeneratedTokensAsync();
        using var cts = new CancellationTokenSource();
        using var call = pair.Decode.Client.Decode(Calls.Decode("cancel-client", prompt, [], Long), pair.Decode.Options(cts.Token));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        // Cancel at once: the request is capped near the model's 2,048 positions, and on a fast core it can finish during
        // a Status round trip made first (seen: 2,029 tokens generated, every block free before the cancel).
        await cts.CancelAsync();

        await pair.Decode.WaitAllBlocksFreeAsync();
        await AssertStoppedEarlyAsync(before);
        Assert.False((await pair.Decode.Client.CancelAsync(new CancelRequest { RequestId = "cancel-client" }, pair.Decode.Options())).Found);
    }

    [Fact]
    public async Task Cancel_ReservationBeforeDecode_FreesItsBlocksAndTheTicketIsGone()
    {
        var reserve = await pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = "cancel-reserved", PromptTokens = 40 }, pair.Decode.Options());
        var status = await pair.Decode.StatusAsync();
        Assert.Equal(status.KvBlocksTotal - 10, status.KvBlocksFree);

        Assert.True((await pair.Decode.Client.CancelAsync(new CancelRequest { RequestId = "cancel-reserved" }, pair.Decode.Options())).Found);

        await pair.Decode.WaitAllBlocksFreeAsync();
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Calls.ReadAllAsync(pair.Decode, Calls.Decode("cancel-reserved", TinyModel.Prompt(40, 3), [1], 4, reserve.Ticket)));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    // A worker that ignored the cancel would run the request to its end: all Long tokens, or a count that never settles.
    private async Task AssertStoppedEarlyAsync(ulong before)
    {
        var generated = await pair.Decode.SettledGeneratedTokensAsync() - before;
        Assert.True(generated < Long / 2, $"the engine generated {generated} of the {Long} tokens asked for after the cancel");
    }

    [Fact]
    public async Task Cancel_UnknownRequest_NotFound()
    {
        var answer = await pair.Prefill.Client.CancelAsync(new CancelRequest { RequestId = "never-seen" }, pair.Prefill.Options());
        Assert.False(answer.Found);
    }
}
