using System.Net;
using Cluster.Hosting;
using Cluster.Rpc;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.DecodeWorker.Tests;

public sealed class DecodeWorkerAppTests
{
    [Fact]
    public async Task Build_StartedOnFreePorts_AnswersGrpcHealthAndHealthz()
    {
        await using var app = DecodeWorkerApp.Build(["--Hosting:BindAddress=127.0.0.1", "--Hosting:GrpcPort=0", "--Hosting:HttpPort=0"]);
        await app.StartAsync();
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();

        using var channel = RpcChannel.ForAddress(endpoints.GrpcAddress);
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(ServingStatus.Serving, health.Status);

        using var http = new HttpClient { BaseAddress = endpoints.HttpAddress };
        using var response = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"role\":\"decode\"", await response.Content.ReadAsStringAsync());
        await app.StopAsync();
    }

    [Fact]
    public void Defaults_GrpcAndHttpPorts_Differ()
        => Assert.NotEqual(DecodeWorkerApp.Defaults.GrpcPort, DecodeWorkerApp.Defaults.HttpPort);
}
