using Cluster.Hosting.HealthChecks;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Hosting.Tests;

public sealed class HealthStatusRegistryTests
{
    [Fact]
    public void GetStatus_UnknownService_IsNull()
        => Assert.Null(new HealthStatusRegistry().GetStatus("x"));

    [Fact]
    public async Task WatchAsync_UnknownThenSet_YieldsServiceUnknownThenStatus()
    {
        var registry = new HealthStatusRegistry();
        using var cts = new CancellationTokenSource();
        await using var watch = registry.WatchAsync("svc", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(ServingStatus.ServiceUnknown, watch.Current);

        registry.SetStatus("svc", ServingStatus.Serving);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(ServingStatus.Serving, watch.Current);

        registry.SetAllNotServing();
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(ServingStatus.NotServing, watch.Current);
    }

    [Fact]
    public async Task WatchAsync_Cancelled_Ends()
    {
        var registry = new HealthStatusRegistry();
        registry.SetStatus("", ServingStatus.Serving);
        using var cts = new CancellationTokenSource();
        var watch = registry.WatchAsync("", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        var next = watch.MoveNextAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
        await watch.DisposeAsync();
    }
}
