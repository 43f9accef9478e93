using Cluster.Tests.Shared;

namespace Cluster.PrefillWorker.Tests;

public sealed class PrefillWorkerAppTests
{
    [Fact]
    public Task Build_StartedOnFreePorts_AnswersGrpcHealthAndHealthz() =>
        HostProbe.AssertServesHealthAsync(PrefillWorkerApp.Build, "prefill");

    [Fact]
    public void Defaults_GrpcAndHttpPorts_Differ()
        => Assert.NotEqual(PrefillWorkerApp.Defaults.GrpcPort, PrefillWorkerApp.Defaults.HttpPort);
}
