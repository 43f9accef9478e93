using System.Globalization;
using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Router.Coordination;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>Reserve refused RESOURCE_EXHAUSTED: "no room now" (pushback trailer) waits in admission, "never" fails 429-style, neither is a decode failure.</summary>
public sealed class DecodeAdmissionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly WorkerLoad Busy = new(1000, 4, 0, 0, 0, 0);

    [Fact]
    public async Task RunAsync_ReserveHasNoRoomUntilAnotherRequestFinishes_WaitsThenSucceedsWithoutDecodeFailure()
    {
        // Neither the pushback nor the refresh interval can end the wait within the test: only A finishing can.
        await using var harness = Create(new() { ["Routing:RefreshInterval"] = "00:10:00", ["Routing:QueueTimeout"] = "00:10:00", ["Routing:MaxDecodeAttempts"] = "1" });
        using var measurements = new RouterMeasurements(harness);
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var release = new TaskCompletionSource();
        var room = false;
        decode.HoldAfterFirstToken = release.Task;
        decode.ReserveFailure = r => r.RequestId == "b" && !Volatile.Read(ref room) ? NoRoomNow(pushbackMs: 600_000) : null;
        var queue = harness.Services.GetRequiredService<AdmissionQueue>();
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.WaitingChanged += n => { if (n == 1) { queued.TrySetResult(); } };

        await using var a = harness.Coordinator.RunAsync(Request(promptTokens: 20, maxTokens: 4, id: "a")).GetAsyncEnumerator();
        Assert.True(await a.MoveNextAsync());
        var b = CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 24, maxTokens: 3, id: "b")));
        await queued.Task.WaitAsync(Bound);
        Assert.False(b.IsCompleted);

        Volatile.Write(ref room, true);
        release.SetResult();
        while (await a.MoveNextAsync())
        {
        }

        var (tokens, finished) = await b.WaitAsync(Bound);
        Assert.Equal(Expected(24, 3), tokens);
        Assert.Equal(FinishReason.Length, finished.Reason);
        Assert.Equal(2, decode.Reserves.Count(r => r.RequestId == "b"));
        Assert.DoesNotContain("b", decode.Cancels);
        Assert.Equal(0, queue.Waiting);
        Assert.Empty(measurements.Tags(CoordinatorInstruments.Recoveries));
    }

    [Fact]
    public async Task RunAsync_OneDecodeWorkerHasNoRoomNow_AnotherIsTriedAtOnce()
    {
        await using var harness = Create(new() { ["Routing:MaxQueuedRequests"] = "0" });
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var full = await harness.AddWorkerAsync("d1", WorkerRole.Decode); // chosen first: idle by its heartbeat
        var spare = await harness.AddWorkerAsync("d2", WorkerRole.Decode, Busy);
        full.ReserveFailure = _ => NoRoomNow(pushbackMs: 100);

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 3)));

        Assert.Equal(Expected(30, 3), tokens);
        Assert.Single(full.Reserves);
        Assert.Single(spare.Decodes);
    }

    [Fact]
    public async Task RunAsync_NoRoomNowAndQueueFull_ResourceExhaustedWithPushbackNamingTheSetting()
    {
        await using var harness = Create(new() { ["Routing:MaxQueuedRequests"] = "0" });
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.ReserveFailure = _ => NoRoomNow(pushbackMs: 100);
        var rejections = new List<string>();
        harness.Services.GetRequiredService<AdmissionQueue>().Rejected += rejections.Add;

        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request()).ToListAsync().AsTask().WaitAsync(Bound));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("MaxQueuedRequests", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("No room now: 9 free blocks", e.Status.Detail, StringComparison.Ordinal);
        Assert.True(int.Parse(e.Trailers.GetValue(CoordinatorErrors.RetryPushbackTrailer)!, CultureInfo.InvariantCulture) > 0);
        Assert.Equal(["queue_full"], rejections);
    }

    [Fact]
    public async Task RunAsync_NoRoomNowPastQueueTimeout_ResourceExhaustedAfterReservingAgain()
    {
        await using var harness = Create(new() { ["Routing:QueueTimeout"] = "00:00:00.3", ["Routing:MaxDecodeAttempts"] = "1" });
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.ReserveFailure = _ => NoRoomNow(pushbackMs: 20);
        var queue = harness.Services.GetRequiredService<AdmissionQueue>();
        var rejections = new List<string>();
        queue.Rejected += rejections.Add;

        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request()).ToListAsync().AsTask().WaitAsync(Bound));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("Routing:QueueTimeout", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("no room now", e.Status.Detail, StringComparison.Ordinal);
        Assert.NotNull(e.Trailers.GetValue(CoordinatorErrors.RetryPushbackTrailer));
        Assert.True(decode.Reserves.Count >= 2, $"reserved {decode.Reserves.Count} time(s)"); // the pushback passed: it tried again
        Assert.Equal(["queue_timeout"], rejections);
        Assert.Equal(0, queue.Waiting); // no WaitingChanged subscriber here: the place is still given back
    }

    [Fact]
    public async Task RunAsync_EveryDecodeWorkerCanNeverHoldIt_ResourceExhaustedNamingWhatToFixNotUnavailable()
    {
        // One decode attempt allowed: were a refusal a decode failure, the first would end the request UNAVAILABLE.
        await using var harness = Create(new() { ["Routing:MaxDecodeAttempts"] = "1" });
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var d1 = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var d2 = await harness.AddWorkerAsync("d2", WorkerRole.Decode, Busy);
        const string never = "prompt_tokens (40) + max_new_tokens (8) = 48 exceeds this worker's 32 positions (Worker:MaxModelLength, capped by the model); lower max_tokens or use a worker with a longer context.";
        d1.ReserveFailure = d2.ReserveFailure = _ => new RpcException(new Status(StatusCode.ResourceExhausted, never));

        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 8)).ToListAsync().AsTask().WaitAsync(Bound));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("can ever hold this request (2 refused it)", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(never, e.Status.Detail, StringComparison.Ordinal);
        Assert.Null(e.Trailers.GetValue(CoordinatorErrors.RetryPushbackTrailer)); // retrying will not help
        Assert.Single(d1.Reserves);
        Assert.Single(d2.Reserves);
    }

    private static RpcException NoRoomNow(int pushbackMs) => new(
        new Status(StatusCode.ResourceExhausted, "No room now: 9 free blocks, 12 needed; retry later or on another worker."),
        new Metadata { { CoordinatorErrors.RetryPushbackTrailer, pushbackMs.ToString(CultureInfo.InvariantCulture) } });
}
