using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using System.Collections.Concurrent;
using Cluster.Router.Coordination;
using Cluster.Router.Routing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>A request's priority reaches every worker call that starts engine work: Prefill and Decode, retries and migrations included.</summary>
public sealed class RequestPriorityTests
{
    private static readonly WorkerLoad Busy = new(1000, 4, 0, 100_000, 0, 0);

    [Fact]
    public async Task RunAsync_LowPriorityRequestMigratesAfterADecodeWorkerDies_EveryPrefillAndDecodeIsLow()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var dying = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var spare = await harness.AddWorkerAsync("d2", WorkerRole.Decode, Busy);
        dying.DieAfterTokens = 3;
        var request = Request(promptTokens: 40, maxTokens: 12) with { Priority = RequestPriority.Low };

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(request), received =>
        {
            if (received >= 4) dying.Kill.TrySetResult();
        });

        Assert.Equal(Expected(40, 12), tokens);
        Assert.Equal(2, prefill.Prefills.Count);                 // the first run and the migration's
        Assert.All(prefill.Prefills, p => Assert.Equal(RequestPriority.Low, p.Priority));
        Assert.Equal(RequestPriority.Low, Assert.Single(dying.Decodes).Priority);
        Assert.Equal(RequestPriority.Low, Assert.Single(spare.Decodes).Priority);
    }

    [Fact]
    public async Task RunAsync_LowPriorityRequestWhoseKvTransferFails_TheRecomputingDecodeIsLow()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        prefill.PrefillFailure = new RpcException(new Status(StatusCode.Aborted, "KV push to d1 failed: connection reset"));
        var request = Request(promptTokens: 50, maxTokens: 5) with { Priority = RequestPriority.Low };

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(request));

        Assert.Equal(Expected(50, 5), tokens);
        Assert.Equal(RequestPriority.Low, Assert.Single(prefill.Prefills).Priority);
        var local = Assert.Single(decode.Decodes);
        Assert.Equal("", local.Ticket);
        Assert.Equal(RequestPriority.Low, local.Priority);
    }

    [Fact]
    public async Task RunAsync_OnlineRequest_WorkerCallsAreNormal()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 4)));

        Assert.Equal(RequestPriority.Normal, Assert.Single(prefill.Prefills).Priority);
        Assert.Equal(RequestPriority.Normal, Assert.Single(decode.Decodes).Priority);
    }

    [Fact]
    public async Task RunAsync_PrefillWorkerBusyWithABatch_OnlineRequestIsNotTurnedAway_BatchRequestIs_AndItsPrefillIsTrackedAsLow()
    {
        await using var harness = Create();
        // p1's heartbeat: 5,000 queued tokens, all of batch requests; p2's: 1,000 of online ones. No prefix anywhere.
        var batchBusy = await harness.AddWorkerAsync("p1", WorkerRole.Prefill, new WorkerLoad(1000, 0, 5, 5000, 0, 0, QueuedLowPriorityPrefillTokens: 5000));
        var onlineBusy = await harness.AddWorkerAsync("p2", WorkerRole.Prefill, new WorkerLoad(1000, 0, 1, 1000, 0, 0));
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var pool = harness.Services.GetRequiredService<WorkerPool>();
        var inFlightAtReserve = new ConcurrentQueue<(RouterInFlight P1, RouterInFlight P2)>();
        decode.ReserveFailure = _ =>
        {
            inFlightAtReserve.Enqueue((pool.InFlight.Get(batchBusy.Id), pool.InFlight.Get(onlineBusy.Id)));
            return null;
        };

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));
        Assert.Single(batchBusy.Prefills);   // nothing online is queued there: 40 tokens ahead of none, not of 5,000
        Assert.Empty(onlineBusy.Prefills);

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2) with { Priority = RequestPriority.Low }));
        Assert.Single(onlineBusy.Prefills);  // a batch request waits behind everything: 1,000 < 5,000
        Assert.Equal(RequestPriority.Low, onlineBusy.Prefills.Single().Priority);

        // While each decided, this router's own prefill was counted on its worker with its priority.
        Assert.Equal(
            [(new RouterInFlight(1, 40, 0, 0), RouterInFlight.None), (RouterInFlight.None, new RouterInFlight(1, 40, 0, 0, LowPriorityPrefillTokens: 40))],
            inFlightAtReserve.ToArray());
    }
}
