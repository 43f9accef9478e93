using Cluster.Tests.Shared;

namespace Cluster.Router.Tests;

public sealed class RouterAppTests
{
    [Fact]
    public Task Build_StartedOnFreePorts_AnswersGrpcHealthAndHealthz() =>
        HostProbe.AssertServesHealthAsync(args => RouterApp.Build(args), "router");

    [Fact]
    public void Defaults_GrpcAndHttpPorts_Differ()
        => Assert.NotEqual(RouterApp.Defaults.GrpcPort, RouterApp.Defaults.HttpPort);
}
