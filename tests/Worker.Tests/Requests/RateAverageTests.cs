using Cluster.Worker.Requests;

namespace Cluster.Worker.Tests.Requests;

public sealed class RateAverageTests
{
    [Fact]
    public void Observe_FewTokens_StaysUnmeasuredUntilASampleIsLargeEnough()
    {
        var average = new RateAverage(minTokensPerSample: 256);
        Assert.Equal(0, average.Observe(1, TimeSpan.FromMilliseconds(20)));      // a one-token probe: no sample
        Assert.Equal(0, average.Observe(200, TimeSpan.FromMilliseconds(40)));    // still under 256 since the start
        Assert.Equal(300 / 0.05, average.Observe(300, TimeSpan.FromMilliseconds(50)), 6);
    }

    [Fact]
    public void Observe_LaterSamples_MoveTheAverageTowardsThem()
    {
        var average = new RateAverage(minTokensPerSample: 100, smoothing: 0.5);
        Assert.Equal(1000, average.Observe(1000, TimeSpan.FromSeconds(1)), 6);
        // The next 1,000 tokens took 0.25 s (4,000/s): halfway from 1,000 to 4,000.
        Assert.Equal(2500, average.Observe(2000, TimeSpan.FromSeconds(1.25)), 6);
        // Too little progress since: unchanged, and the progress is kept for the next sample.
        Assert.Equal(2500, average.Observe(2050, TimeSpan.FromSeconds(2)), 6);
    }
}
