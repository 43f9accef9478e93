using System.Net;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Cluster.Tests.Shared;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests;

public sealed class RouterAppTests
{
    [Fact]
    public async Task Health_NoDecodeWorker_NotReadyWithReasonButLive_ReadyOnceOneRegisters()
    {
        await using var app = RouterApp.Build([.. HostProbe.FreePorts, "--Routing:RefreshInterval=00:00:00.100"]);
        await app.StartAsync();
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();
        using var channel = GrpcChannel.ForAddress(endpoints.GrpcAddress);
        using var http = new HttpClient { BaseAddress = endpoints.HttpAddress };
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = new Health.HealthClient(channel).Watch(new HealthCheckRequest(), new CallOptions(cancellationToken: bound.Token));
        Assert.True(await watch.ResponseStream.MoveNext(bound.Token));
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);

        using (var response = await http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"role\":\"router\"", body, StringComparison.Ordinal);
            Assert.Contains("no live", body, StringComparison.Ordinal);
        }

        using (var live = await http.GetAsync("/livez"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        var registry = app.Services.GetRequiredService<IWorkerRegistry>();
        var id = new WorkerId("p1");
        await registry.RegisterAsync(new WorkerInfo(id, WorkerRole.Prefill, new ModelId("m"), "http://127.0.0.1:1", "", 100, 4), WorkerLoad.Idle(100));
        await registry.RegisterAsync(new WorkerInfo(new WorkerId("d1"), WorkerRole.Decode, new ModelId("m"), "http://127.0.0.1:2", "http://127.0.0.1:2", 100, 4), WorkerLoad.Idle(100));

        Assert.True(await watch.ResponseStream.MoveNext(bound.Token)); // the next refresh sees the decode worker
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);
        using (var ready = await http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        watch.Dispose(); // an open Watch stream would hold the shutdown
        await app.StopAsync();
    }

    [Fact]
    public void Defaults_GrpcAndHttpPorts_Differ()
        => Assert.NotEqual(RouterApp.Defaults.GrpcPort, RouterApp.Defaults.HttpPort);
}
