using System.Globalization;
using Cluster.ClusterState.Model;
using Cluster.Router.Coordination;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;

namespace Cluster.Router.Tests.Coordination;

public sealed class AdmissionQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_NoHeadroomAndQueueFull_ResourceExhaustedWithPushbackThenQueuedRequestIsServed()
    {
        await using var harness = Create(new() { ["Routing:MaxQueuedRequests"] = "1", ["Routing:QueueTimeout"] = "00:00:30" });
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode, maxBatch: 1);
        var release = new TaskCompletionSource();
        decode.HoldAfterFirstToken = release.Task;
        var queue = harness.Services.GetRequiredService<AdmissionQueue>();
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.WaitingChanged += n => { if (n == 1) { queued.TrySetResult(); } };

        // A holds the only batch slot.
        await using var a = harness.Coordinator.RunAsync(Request(promptTokens: 20, maxTokens: 4, id: "a")).GetAsyncEnumerator();
        Assert.True(await a.MoveNextAsync());
        // B waits in the queue.
        var b = CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 24, maxTokens: 3, id: "b")));
        await queued.Task.WaitAsync(Bound);
        Assert.False(b.IsCompleted);

        // C finds the queue full.
        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request(id: "c")).ToListAsync().AsTask());
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("MaxQueuedRequests", e.Status.Detail, StringComparison.Ordinal);
        Assert.True(int.Parse(e.Trailers.GetValue(CoordinatorErrors.RetryPushbackTrailer)!, CultureInfo.InvariantCulture) > 0);

        // A finishes, B gets the slot.
        release.SetResult();
        while (await a.MoveNextAsync())
        {
        }

        var (tokens, _) = await b.WaitAsync(Bound);
        Assert.Equal(Expected(24, 3), tokens);
        Assert.Equal(0, queue.Waiting);
    }

    [Fact]
    public async Task RunAsync_NoHeadroomPastQueueTimeout_ResourceExhausted()
    {
        await using var harness = Create(new() { ["Routing:MaxQueuedRequests"] = "4", ["Routing:QueueTimeout"] = "00:00:00.2" });
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode, maxBatch: 1);
        decode.HoldAfterFirstToken = new TaskCompletionSource().Task;
        await using var a = harness.Coordinator.RunAsync(Request(id: "a")).GetAsyncEnumerator();
        Assert.True(await a.MoveNextAsync());

        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request(id: "b")).ToListAsync().AsTask().WaitAsync(Bound));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("QueueTimeout", e.Status.Detail, StringComparison.Ordinal);
        Assert.NotNull(e.Trailers.GetValue(CoordinatorErrors.RetryPushbackTrailer));
    }

    [Fact]
    public async Task RunAsync_KvBlocksExhausted_NoHeadroomEvenWithFreeBatchSlots()
    {
        await using var harness = Create(new() { ["Routing:MaxQueuedRequests"] = "0" });
        await harness.AddWorkerAsync("d1", WorkerRole.Decode, new WorkerLoad(2, 0, 0, 0, 0, 0), totalKvBlocks: 100);

        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request(promptTokens: 40)).ToListAsync().AsTask());

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("3 KV blocks", e.Status.Detail, StringComparison.Ordinal);
    }
}
