using System.Net;
using Cluster.Contracts.V1;
using Cluster.Hosting.Auth;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cluster.Hosting.Tests;

public sealed class CredentialMiddlewareTests
{
    private sealed class StatusOnlyWorker : Worker.WorkerBase
    {
        public override Task<WorkerStatus> Status(StatusRequest request, ServerCallContext context) =>
            Task.FromResult(new WorkerStatus { WorkerId = "w1" });
    }

    private static async Task<TestHost> StartAsync(params string[] args)
    {
        return await TestHost.StartAsync(app =>
        {
            app.MapGrpcService<StatusOnlyWorker>().RequireClusterToken();
            app.MapGet("/v1/models", () => Results.Ok(new { data = Array.Empty<object>() })).RequireApiKey();
        }, args);
    }

    [Fact]
    public async Task GrpcCall_WithoutToken_IsUnauthenticatedSayingWhatToSend()
    {
        await using var host = await StartAsync("--Auth:ClusterToken=s3cret");
        var e = await Assert.ThrowsAsync<RpcException>(async () => await new Worker.WorkerClient(host.Channel).StatusAsync(new StatusRequest()));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("authorization: Bearer", e.Status.Detail);
    }

    [Fact]
    public async Task GrpcCall_WrongToken_IsUnauthenticated()
    {
        await using var host = await StartAsync("--Auth:ClusterToken=s3cret");
        var headers = new Metadata { { "authorization", "Bearer nope" } };
        var e = await Assert.ThrowsAsync<RpcException>(async () => await new Worker.WorkerClient(host.Channel).StatusAsync(new StatusRequest(), new CallOptions(headers)));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("not valid", e.Status.Detail);
    }

    [Fact]
    public async Task GrpcCall_RightToken_IsServed()
    {
        await using var host = await StartAsync("--Auth:ClusterToken=s3cret");
        var headers = new Metadata { { "authorization", "Bearer s3cret" } };
        var status = await new Worker.WorkerClient(host.Channel).StatusAsync(new StatusRequest(), new CallOptions(headers));
        Assert.Equal("w1", status.WorkerId);
    }

    [Fact]
    public async Task GrpcCall_NoTokenConfigured_IsServedWithoutCredentials()
    {
        await using var host = await StartAsync();
        Assert.Equal("w1", (await new Worker.WorkerClient(host.Channel).StatusAsync(new StatusRequest())).WorkerId);
    }

    [Fact]
    public async Task HttpRequest_WithoutApiKey_Is401WithOpenAiErrorBody()
    {
        await using var host = await StartAsync("--Auth:ApiKeys:0=k1", "--Auth:ApiKeys:1=k2");
        using var response = await host.Http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"code\":\"invalid_api_key\"", body);
        Assert.Contains("Missing credentials", body);
    }

    [Fact]
    public async Task HttpRequest_SecondApiKey_IsServed()
    {
        await using var host = await StartAsync("--Auth:ApiKeys:0=k1", "--Auth:ApiKeys:1=k2");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "k2");
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_TokenConfigured_NeedsNoCredentials()
    {
        await using var host = await StartAsync("--Auth:ClusterToken=s3cret");
        var health = await new Grpc.Health.V1.Health.HealthClient(host.Channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }
}
