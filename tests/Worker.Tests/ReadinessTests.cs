using System.Collections.Immutable;
using System.Net;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Hosting;
using Cluster.Tests.Shared;
using Cluster.Worker.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Worker.Tests;

/// <summary>A worker's <c>/readyz</c> and grpc.health.v1 before and after the registry accepts it (ARCHITECTURE §9 "Readiness and liveness").</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_RegistrationNotAnsweredYet_Is503NamingIt_Then200OnceAccepted()
    {
        using var model = new TinyModel();
        var registry = new GatedRegistry();
        await using var app = await StartAsync(model, registry);
        using var http = new HttpClient { BaseAddress = app.Services.GetRequiredService<HostEndpoints>().HttpAddress };
        await registry.Registering.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var (code, body) = await ReadyzAsync(http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, code);
        Assert.Contains("not registered in the worker registry yet", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode); // liveness is not readiness

        registry.Answer(RegistryOutcome.Accepted);
        await Eventually.ReturnsAsync(() => ReadyzAsync(http), r => r.Code == HttpStatusCode.OK, "/readyz 200 after the registration was accepted");
    }

    [Fact]
    public async Task Readyz_RegistrationRefused_Stays503_UntilAHeartbeatIsAccepted()
    {
        using var model = new TinyModel();
        var registry = new GatedRegistry();
        registry.Answer(RegistryOutcome.Unavailable);
        await using var app = await StartAsync(model, registry);
        using var http = new HttpClient { BaseAddress = app.Services.GetRequiredService<HostEndpoints>().HttpAddress };

        var (code, body) = await Eventually.ReturnsAsync(() => ReadyzAsync(http), r => r.Body.Contains("registration answered", StringComparison.Ordinal), "/readyz naming the refused registration");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, code);
        Assert.Contains("registration answered Unavailable", body, StringComparison.Ordinal);
        await Eventually.ReturnsAsync(() => Task.FromResult(registry.Heartbeats), n => n >= 2, "two refused heartbeats");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyzAsync(http)).Code);

        registry.HeartbeatAnswer = RegistryOutcome.Accepted;
        await Eventually.ReturnsAsync(() => ReadyzAsync(http), r => r.Code == HttpStatusCode.OK, "/readyz 200 after an accepted heartbeat");
    }

    [Fact]
    public async Task GrpcHealth_NotServingUntilTheRegistrationIsAccepted_ThenServingOnTheOpenWatch()
    {
        using var model = new TinyModel();
        var state = new SharedClusterState();
        var registry = new GatedRegistry(state.Registry);
        await using var app = await StartAsync(model, registry, state);
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();
        using var channel = GrpcChannel.ForAddress(endpoints.GrpcAddress);
        using var http = new HttpClient { BaseAddress = endpoints.HttpAddress };
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await registry.Registering.Task.WaitAsync(bound.Token); // started, model loaded, the registration under way

        var health = new Health.HealthClient(channel);
        Assert.Equal(ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: bound.Token)).Status);
        var (code, body) = await ReadyzAsync(http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, code);
        Assert.Contains("not registered", body, StringComparison.Ordinal);

        using var watch = health.Watch(new HealthCheckRequest(), new CallOptions(cancellationToken: bound.Token));
        Assert.True(await watch.ResponseStream.MoveNext(bound.Token));
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);

        registry.Answer(RegistryOutcome.Accepted);

        Assert.True(await watch.ResponseStream.MoveNext(bound.Token));
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);
        Assert.Single(await state.Registry.ListAsync(cancellationToken: bound.Token));
        watch.Dispose(); // an open Watch stream would hold the shutdown
        await app.StopAsync();
    }

    /// <summary>A decode worker whose registry is <paramref name="registry"/>; <paramref name="state"/>: the in-memory index (and inner registry) it shares.</summary>
    private static async Task<WebApplication> StartAsync(TinyModel model, GatedRegistry registry, SharedClusterState? state = null)
    {
        var app = WorkerApp.Build(
            [.. HostProbe.FreePorts, $"--Worker:ModelPath={model.Directory}", "--KvCache:BlockSize=4", "--KvCache:NumBlocks=64", "--Worker:HeartbeatInterval=00:00:00.050"],
            WorkerPair.DecodeRole,
            builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                state?.Apply(builder);
                builder.Services.AddSingleton<IWorkerRegistry>(registry);
            });
        await app.StartAsync();
        return app;
    }

    private static async Task<(HttpStatusCode Code, string Body)> ReadyzAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/readyz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
