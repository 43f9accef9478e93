using System.Collections.Immutable;
using System.Net;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Hosting;
using Cluster.Tests.Shared;
using Cluster.Worker.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Worker.Tests;

/// <summary>A worker's <c>/readyz</c> before and after the registry accepts it (ARCHITECTURE §9 "Readiness and liveness").</summary>
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

    private static async Task<WebApplication> StartAsync(TinyModel model, GatedRegistry registry)
    {
        var app = WorkerApp.Build(
            [.. HostProbe.FreePorts, $"--Worker:ModelPath={model.Directory}", "--KvCache:BlockSize=4", "--KvCache:NumBlocks=64", "--Worker:HeartbeatInterval=00:00:00.050"],
            WorkerPair.DecodeRole,
            builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
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

    /// <summary>A registry whose registration waits for <see cref="Answer"/>, and whose heartbeats answer <see cref="HeartbeatAnswer"/>.</summary>
    private sealed class GatedRegistry : IWorkerRegistry
    {
        private readonly TaskCompletionSource<RegistryOutcome> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _heartbeats;

        public TaskCompletionSource Registering { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private volatile int _heartbeatAnswer = (int)RegistryOutcome.Unavailable;

        public RegistryOutcome HeartbeatAnswer
        {
            get => (RegistryOutcome)_heartbeatAnswer;
            set => _heartbeatAnswer = (int)value;
        }

        public int Heartbeats => Volatile.Read(ref _heartbeats);

        public void Answer(RegistryOutcome outcome) => _answer.TrySetResult(outcome);

        public async Task<RegistryOutcome> RegisterAsync(WorkerInfo info, WorkerLoad load, TimeSpan? heartbeatTtl = null, CancellationToken cancellationToken = default)
        {
            Registering.TrySetResult();
            return await _answer.Task.WaitAsync(cancellationToken);
        }

        public Task<RegistryOutcome> HeartbeatAsync(WorkerId worker, WorkerLoad load, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _heartbeats);
            return Task.FromResult(HeartbeatAnswer);
        }

        public Task<RegistryOutcome> DeregisterAsync(WorkerId worker, CancellationToken cancellationToken = default) => Task.FromResult(RegistryOutcome.Accepted);

        public Task<ImmutableArray<WorkerSnapshot>> ListAsync(ModelId? model = null, WorkerRole? role = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(ImmutableArray<WorkerSnapshot>.Empty);

        public Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);
    }
}
