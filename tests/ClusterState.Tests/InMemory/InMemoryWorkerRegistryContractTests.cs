using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Tests.Support;
using Cluster.Core.Ids;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState.Tests.InMemory;

public sealed class InMemoryWorkerRegistryContractTests : Contract.WorkerRegistryContractTests
{
    protected override Task<(IWorkerRegistry Registry, IPrefixIndex Index)> CreateAsync()
    {
        var instruments = TestData.Instruments();
        var index = new InMemoryPrefixIndex(instruments);
        var options = Options.Create(new ClusterStateOptions { HeartbeatTtl = DefaultTtl });
        return Task.FromResult<(IWorkerRegistry, IPrefixIndex)>((new InMemoryWorkerRegistry(index, Time, options, instruments), index));
    }

    /// <summary>Fake time: the short-TTL worker dies, the default-TTL ones do not.</summary>
    protected override Task LetHeartbeatLapseAsync(WorkerId worker)
    {
        Time.Advance(ShortTtl);
        return Task.CompletedTask;
    }
}
