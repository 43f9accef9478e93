using System.Diagnostics.Metrics;
using Cluster.ClusterState;
using Cluster.ClusterState.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Tests.Support;

/// <summary>One in-memory registry and prefix index shared by several in-process workers (as <c>cluster up</c> does).</summary>
public sealed class SharedClusterState
{
    public SharedClusterState(TimeSpan? heartbeatTtl = null)
    {
        var instruments = new ClusterStateInstruments(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        Index = new InMemoryPrefixIndex(instruments);
        var options = Options.Create(new ClusterStateOptions { HeartbeatTtl = heartbeatTtl ?? ClusterStateOptions.DefaultHeartbeatTtl });
        Registry = new InMemoryWorkerRegistry(Index, TimeProvider.System, options, instruments);
    }

    public InMemoryPrefixIndex Index { get; }

    public InMemoryWorkerRegistry Registry { get; }

    /// <summary>Replaces the host's registry and index with these.</summary>
    public void Apply(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IWorkerRegistry>(Registry);
        builder.Services.AddSingleton<IPrefixIndex>(Index);
    }
}
