using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Batch;
using Cluster.Router.Coordination;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Batch;

public sealed class OnlineLoadTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; set; } = 1_000_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    private static TokenizedRequest Request(string api) =>
        new(RequestId.New(), new ModelId(TinyModel.Id), [1, 2, 3], new SamplingParams(), new StopConditions { MaxTokens = 8 }, false, "", Api: api);

    [Fact]
    public async Task OnlineRequestsCounted_BatchRequestsNot_BusyUntilTheGracePeriodAfterTheLast()
    {
        var clock = new ManualClock();
        var load = new OnlineLoad(clock);
        var fake = new FakeCoordinator { HangAfterTokens = 3 };
        var coordinator = new LoadCountingCoordinator(fake, load);
        var grace = TimeSpan.FromMilliseconds(500);

        await using (var batch = coordinator.RunAsync(Request(BatchRequestRunner.Api)).GetAsyncEnumerator())
        {
            Assert.True(await batch.MoveNextAsync());
            Assert.Equal(0, load.InFlight);
            Assert.False(load.Busy(1, grace));
        }

        var ended = 0;
        load.Changed += () => ended++;
        await using (var online = coordinator.RunAsync(Request("openai")).GetAsyncEnumerator())
        {
            Assert.True(await online.MoveNextAsync());
            Assert.Equal(1, load.InFlight);
            Assert.True(load.Busy(1, TimeSpan.Zero));
            Assert.False(load.Busy(2, TimeSpan.Zero));
        }

        Assert.Equal(0, load.InFlight);
        Assert.Equal(1, ended);
        Assert.True(load.Busy(1, grace));
        clock.Ticks += TimeSpan.FromMilliseconds(600).Ticks;
        Assert.False(load.Busy(1, grace));
    }
}
