using Cluster.ClusterState.Model;
using Cluster.Router.Coordination;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>The coordinator tells <see cref="TokenizedRequest.Progress"/> each route it takes and its end (the router tier's request grain listens).</summary>
public sealed class RequestProgressTests
{
    [Fact]
    public async Task RunAsync_Disaggregated_ReportsPrefillAndDecodeOnce()
    {
        await using var harness = Create();
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var progress = new RecordingProgress();

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 8) with { Progress = progress }));

        Assert.Equal([("p1", "d1", 0)], progress.Routes);
        Assert.Equal([(8, true)], progress.Ends);
    }

    [Fact]
    public async Task RunAsync_DecodeWorkerDiesMidStream_ReportsTheMigrationWithTheTokensDelivered()
    {
        await using var harness = Create();
        var dying = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        await harness.AddWorkerAsync("d2", WorkerRole.Decode, new WorkerLoad(1000, 4, 0, 100_000, 0, 0)); // busier: chosen second
        dying.DieAfterTokens = 2;
        var progress = new RecordingProgress();

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 7) with { Progress = progress }), received =>
        {
            if (received >= 2)
            {
                dying.Kill.TrySetResult();
            }
        });

        Assert.Equal([("", "d1", 0), ("", "d2", 2)], progress.Routes);
        Assert.Equal([(7, true)], progress.Ends); // the tokens of both decode workers
    }

    private sealed class RecordingProgress : IRequestProgress
    {
        public List<(string Prefill, string Decode, int Tokens)> Routes { get; } = [];

        public List<(int Tokens, bool Completed)> Ends { get; } = [];

        public void Routed(string prefillWorker, string decodeWorker, int tokensDelivered) => Routes.Add((prefillWorker, decodeWorker, tokensDelivered));

        public void Ended(int tokensDelivered, bool completed) => Ends.Add((tokensDelivered, completed));
    }
}
