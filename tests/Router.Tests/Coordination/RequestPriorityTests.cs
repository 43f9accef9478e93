using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Router.Coordination;
using Grpc.Core;
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
}
