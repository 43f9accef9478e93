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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Worker.Tests;

/// <summary>A started worker answers grpc.health.v1 NOT_SERVING (and /readyz 503) until the registry has accepted it.</summary>
public sealed class HealthBeforeRegistrationTests
{
    [Fact]
    public async Task Worker_NotServingUntilItsRegistrationIsAccepted_ThenServing()
    {
        using var model = new TinyModel();
        var state = new SharedClusterState();
        var registry = new GatedRegistry(state.Registry);
        await using var app = WorkerApp.Build(
            [.. HostProbe.FreePorts, $"--Worker:ModelPath={model.Directory}", "--KvCache:BlockSize=4", "--KvCache:NumBlocks=64", "--Worker:HeartbeatInterval=00:00:00.050"],
            WorkerPair.DecodeRole,
            builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                state.Apply(builder);
                builder.Services.AddSingleton<IWorkerRegistry>(registry);
            });
        await app.StartAsync();
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();
        using var channel = GrpcChannel.ForAddress(endpoints.GrpcAddress);
        using var http = new HttpClient { BaseAddress = endpoints.HttpAddress };
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await registry.RegistrationStarted.Task.WaitAsync(bound.Token); // started, model loaded, the registration under way

        var health = new Health.HealthClient(channel);
        Assert.Equal(ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: bound.Token)).Status);
        using (var notReady = await http.GetAsync("/readyz", bound.Token))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("not registered", await notReady.Content.ReadAsStringAsync(bound.Token), StringComparison.Ordinal);
        }

        using var watch = health.Watch(new HealthCheckRequest(), new CallOptions(cancellationToken: bound.Token));
        Assert.True(await watch.ResponseStream.MoveNext(bound.Token));
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);

        registry.Open();

        Assert.True(await watch.ResponseStream.MoveNext(bound.Token));
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);
        Assert.Single(await state.Registry.ListAsync(cancellationToken: bound.Token));
        watch.Dispose(); // an open Watch stream would hold the shutdown
        await app.StopAsync();
    }

    /// <summary>Holds the first registration until <see cref="Open"/>; everything else goes straight to the inner registry.</summary>
    private sealed class GatedRegistry(IWorkerRegistry inner) : IWorkerRegistry
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource RegistrationStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate.TrySetResult();

        public async Task<RegistryOutcome> RegisterAsync(WorkerInfo info, WorkerLoad load, TimeSpan? heartbeatTtl = null, CancellationToken cancellationToken = default)
        {
            RegistrationStarted.TrySetResult();
            await _gate.Task.WaitAsync(cancellationToken);
            return await inner.RegisterAsync(info, load, heartbeatTtl, cancellationToken);
        }

        public Task<RegistryOutcome> HeartbeatAsync(WorkerId worker, WorkerLoad load, CancellationToken cancellationToken = default) =>
            inner.HeartbeatAsync(worker, load, cancellationToken);

        public Task<RegistryOutcome> DeregisterAsync(WorkerId worker, CancellationToken cancellationToken = default) =>
            inner.DeregisterAsync(worker, cancellationToken);

        public Task<ImmutableArray<WorkerSnapshot>> ListAsync(ModelId? model = null, WorkerRole? role = null, CancellationToken cancellationToken = default) =>
            inner.ListAsync(model, role, cancellationToken);

        public Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default) => inner.RemoveExpiredAsync(cancellationToken);
    }
}
