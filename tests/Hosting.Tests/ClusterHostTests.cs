using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Options;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Hosting.Tests;

public sealed class ClusterHostTests
{
    [Fact]
    public async Task HealthCheck_StartedHost_AnswersServingOverH2c()
    {
        await using var host = await TestHost.StartAsync();
        var client = new Health.HealthClient(host.Channel);
        var response = await client.CheckAsync(new HealthCheckRequest());
        Assert.Equal(ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task HealthCheck_UnknownService_IsNotFound_WatchSaysServiceUnknown()
    {
        // Grpc.AspNetCore.HealthChecks answers an unmapped name with NOT_FOUND and an empty detail (the protocol's answer).
        await using var host = await TestHost.StartAsync();
        var client = new Health.HealthClient(host.Channel);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.CheckAsync(new HealthCheckRequest { Service = "no.Such" }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = client.Watch(new HealthCheckRequest { Service = "no.Such" }, cancellationToken: bound.Token);
        Assert.True(await watch.ResponseStream.MoveNext(bound.Token));
        Assert.Equal(ServingStatus.ServiceUnknown, watch.ResponseStream.Current.Status);
    }

    [Fact]
    public async Task Healthz_StartedHost_Returns200WithRole()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("test", json.RootElement.GetProperty("role").GetString());
        Assert.Equal("Serving", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthWatch_HostStopping_StreamsNotServing()
    {
        var host = await TestHost.StartAsync();
        var client = new Health.HealthClient(host.Channel);
        using var call = client.Watch(new HealthCheckRequest());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.Serving, call.ResponseStream.Current.Status);

        var stopping = host.App.StopAsync();
        // The health service may repeat SERVING (the periodic publisher's backstop report) before the stop's NOT_SERVING.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        do
        {
            Assert.True(await call.ResponseStream.MoveNext(bound.Token));
        }
        while (call.ResponseStream.Current.Status == ServingStatus.Serving);
        Assert.Equal(ServingStatus.NotServing, call.ResponseStream.Current.Status);
        call.Dispose();
        await stopping;
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Start_SamePortForGrpcAndHttp_FailsNamingBothSettings()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync("--Hosting:GrpcPort=6000", "--Hosting:HttpPort=6000"));
        Assert.Contains("Hosting:GrpcPort and Hosting:HttpPort are both 6000", e.Message);
    }

    [Fact]
    public async Task Start_MissingCertificate_FailsNamingThePath()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync("--Hosting:CertificatePath=/nonexistent/cert.pfx"));
        Assert.Contains("/nonexistent/cert.pfx", e.Message);
    }
}
