using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Tests.Support;
using Cluster.Core.Ids;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState.Tests.InMemory;

public sealed class InMemoryPrefixIndexContractTests : Contract.PrefixIndexContractTests
{
    protected override Task<IPrefixIndex> CreateIndexAsync() => Task.FromResult<IPrefixIndex>(new InMemoryPrefixIndex(TestData.Instruments()));
}
