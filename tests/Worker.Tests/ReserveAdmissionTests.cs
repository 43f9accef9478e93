using Cluster.Contracts.V1;
using Grpc.Core;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>Reserve uses max_new_tokens: refuses what can never be served here, and admits only with room for the first decode step.</summary>
public sealed class ReserveAdmissionTests(ReserveAdmissionTests.SmallDecodeWorker worker) : IClassFixture<ReserveAdmissionTests.SmallDecodeWorker>
{
    /// <summary>A decode worker with 8 blocks of 4 tokens (32 tokens of KV) and 64 positions.</summary>
    public sealed class SmallDecodeWorker : IAsyncLifetime
    {
        public TinyModel Model { get; } = new();

        public WorkerHost Host { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Host = await WorkerHost.StartAsync(WorkerPair.DecodeRole, Model, settings: ["--KvCache:NumBlocks=8", "--Worker:MaxModelLength=64"]);

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            Model.Dispose();
        }
    }

    [Fact]
    public async Task Reserve_PromptPlusMaxNewTokensPastThePositions_ResourceExhaustedNamingBoth()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => ReserveAsync("past-context", prompt: 20, maxNew: 45));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("max_new_tokens (45)", error.Status.Detail);
        Assert.Contains("64 positions", error.Status.Detail);
        Assert.Null(error.Trailers.GetValue(RetryPushbackTrailer)); // never here: no retry
    }

    [Fact]
    public async Task Reserve_OutputNeedsMoreKvThanTheWholeCache_ResourceExhaustedNamingTheCache()
    {
        // 10 + 30 - 1 = 39 tokens of KV = 10 blocks > 8; within the 64 positions.
        var error = await Assert.ThrowsAsync<RpcException>(() => ReserveAsync("past-cache", prompt: 10, maxNew: 30));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("whole cache holds 8 blocks", error.Status.Detail);
        Assert.Contains("lower max_tokens", error.Status.Detail);
        Assert.Null(error.Trailers.GetValue(RetryPushbackTrailer));
    }

    [Fact]
    public async Task Reserve_FitsAndLaterNoRoomForTheFirstDecodeStep_AdmitsThenRefusesUntilFreed()
    {
        // The largest request that can ever fit: 20 + 13 - 1 = 32 tokens = all 8 blocks.
        var big = await ReserveAsync("fits-whole-cache", prompt: 20, maxNew: 13);
        Assert.Equal(5u, big.NumBlocks);
        try
        {
            // 3 blocks free: a 12-token prompt fits them, but its first decode step needs a 4th.
            var error = await Assert.ThrowsAsync<RpcException>(() => ReserveAsync("no-headroom", prompt: 12, maxNew: 5));
            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            Assert.Contains("need 4 free KV blocks and 3 are free", error.Status.Detail);
            var pushback = int.Parse(error.Trailers.GetValue(RetryPushbackTrailer)!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(pushback, 1, 1000); // no room now: the router waits and retries

            // The same prompt with one output token (it comes with the transfer; no decode step) is admitted.
            var single = await ReserveAsync("first-token-only", prompt: 12, maxNew: 1);
            Assert.Equal(3u, single.NumBlocks);
            await worker.Host.Client.CancelAsync(new CancelRequest { RequestId = "first-token-only" }, worker.Host.Options());
        }
        finally
        {
            await worker.Host.Client.CancelAsync(new CancelRequest { RequestId = "fits-whole-cache" }, worker.Host.Options());
        }

        var admitted = await ReserveAsync("no-headroom", prompt: 12, maxNew: 5);
        Assert.Equal(3u, admitted.NumBlocks);
        await worker.Host.Client.CancelAsync(new CancelRequest { RequestId = "no-headroom" }, worker.Host.Options());
        await worker.Host.WaitAllBlocksFreeAsync();
    }

    private const string RetryPushbackTrailer = "grpc-retry-pushback-ms";

    private async Task<ReserveResponse> ReserveAsync(string id, int prompt, int maxNew) =>
        await worker.Host.Client.ReserveAsync(
            new ReserveRequest { RequestId = id, Model = TinyModel.Id, PromptTokens = (uint)prompt, MaxNewTokens = (uint)maxNew }, worker.Host.Options());
}
