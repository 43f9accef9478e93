using Cluster.ClusterState.Events;
using static Cluster.ClusterState.Tests.Support.TestData;

namespace Cluster.ClusterState.Tests.Hosting;

public sealed class KvEventBatchTests
{
    [Fact]
    public void Constructor_ConsecutiveEvents_ExposesFirstAndLastSequence()
    {
        var batch = Batch(W(1), ModelA, new BlockStoredEvent(7, Blocks(1, 1)), new AllClearedEvent(8), new BlockRemovedEvent(9, []));
        Assert.Equal(7, batch.FirstSequence);
        Assert.Equal(9, batch.LastSequence);
    }

    [Fact]
    public void Constructor_HoleInSequence_ThrowsNamingTheIndex()
    {
        var e = Assert.Throws<ArgumentException>(() => Batch(W(1), ModelA, new AllClearedEvent(1), new AllClearedEvent(3)));
        Assert.Contains("index 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_EmptyOrZeroSequence_Throws()
    {
        Assert.Throws<ArgumentException>(() => Batch(W(1), ModelA));
        Assert.Throws<ArgumentException>(() => Batch(W(1), ModelA, new AllClearedEvent(0)));
    }
}
