using Cluster.ClusterState.Model;
using Cluster.Router.Coordination;
using Grpc.Core;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;

namespace Cluster.Router.Tests.Coordination;

public sealed class RequestCoordinatorCancellationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_ClientCancelsMidStream_CancelReachesPrefillAndDecodeWorkers()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.HoldAfterFirstToken = new TaskCompletionSource().Task; // never released: the request stays in flight
        var request = Request(maxTokens: 50);
        using var cts = new CancellationTokenSource();
        var received = 0;

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var e in harness.Coordinator.RunAsync(request, cts.Token).OfType<CoordinatorEvent.Tokens>())
            {
                if ((received += e.Ids.Count) == 2)
                {
                    await cts.CancelAsync(); // prefill's token and the first decoded one have arrived
                }
            }
        }).WaitAsync(Bound);

        Assert.True(error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, $"expected a cancellation, got {error}");
        Assert.Equal(request.Id.Value, await prefill.CancelSeen.Task.WaitAsync(Bound));
        Assert.Equal(request.Id.Value, await decode.CancelSeen.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task RunAsync_EnumeratorDisposedEarly_CancelReachesDecodeWorker()
    {
        await using var harness = Create();
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.HoldAfterFirstToken = new TaskCompletionSource().Task;
        var request = Request(maxTokens: 50);

        await foreach (var e in harness.Coordinator.RunAsync(request))
        {
            Assert.IsType<CoordinatorEvent.Tokens>(e);
            break; // a stop string matched in the front end
        }

        Assert.Equal(request.Id.Value, await decode.CancelSeen.Task.WaitAsync(Bound));
    }
}
