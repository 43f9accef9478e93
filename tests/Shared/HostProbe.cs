using System.Net;
using Cluster.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Tests.Shared;

/// <summary>Starts a host on free loopback ports and checks that it answers gRPC health and <c>/healthz</c> as its role.</summary>
/// <remarks>Linked into each host's test project (one source, no shared test assembly).</remarks>
internal static class HostProbe
{
    public static readonly string[] FreePorts = ["--Hosting:BindAddress=127.0.0.1", "--Hosting:GrpcPort=0", "--Hosting:HttpPort=0"];

    public static async Task AssertServesHealthAsync(Func<string[], WebApplication> build, string role)
    {
        await using var app = build(FreePorts);
        await app.StartAsync();
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();

        using var channel = GrpcChannel.ForAddress(endpoints.GrpcAddress);
        // A worker turns ready once it has registered (just after start): watch until SERVING, bounded.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = new Health.HealthClient(channel).Watch(new HealthCheckRequest(), new CallOptions(cancellationToken: bound.Token));
        while (await watch.ResponseStream.MoveNext(bound.Token) && watch.ResponseStream.Current.Status != ServingStatus.Serving)
        {
        }

        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);
        watch.Dispose(); // an open Watch stream would hold the shutdown

        using var http = new HttpClient { BaseAddress = endpoints.HttpAddress };
        using var response = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"\"role\":\"{role}\"", await response.Content.ReadAsStringAsync());
        using var ready = await http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await app.StopAsync();
    }
}
