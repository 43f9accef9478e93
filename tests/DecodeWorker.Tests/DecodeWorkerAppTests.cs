using Cluster.Tests.Shared;

namespace Cluster.DecodeWorker.Tests;

public sealed class DecodeWorkerAppTests
{
    [Fact]
    public Task Build_StartedOnFreePorts_AnswersGrpcHealthAndHealthz() =>
        HostProbe.AssertServesHealthAsync(DecodeWorkerApp.Build, "decode");

    [Fact]
    public void Defaults_GrpcAndHttpPorts_Differ()
        => Assert.NotEqual(DecodeWorkerApp.Defaults.GrpcPort, DecodeWorkerApp.Defaults.HttpPort);
}
