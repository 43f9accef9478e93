using System.Diagnostics;
using Cluster.Engine.Serving;

namespace Cluster.Engine.Tests.Serving;

public sealed class StepProfileTests
{
    private static long SecondsAgo(double seconds) => Stopwatch.GetTimestamp() - (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void Record_DecodeOnlyStep_AddsNoPrefillTokensOrTime()
    {
        var profile = new StepProfile();
        var start = SecondsAgo(1);
        profile.Record(chunks: 4, decodes: 4, tokens: 4, start, start, start);

        Assert.Equal(4, profile.Tokens);
        Assert.Equal(0, profile.PrefillTokens);
        Assert.Equal(TimeSpan.Zero, profile.PrefillBusy);
    }

    [Fact]
    public void Record_MixedStep_GivesPromptTokensTheirShareOfTheStepsBusyTime()
    {
        var profile = new StepProfile();
        var start = SecondsAgo(1);
        profile.Record(chunks: 3, decodes: 2, tokens: 10, start, start, start); // 8 prompt tokens + 2 decode rows, ~1 s

        Assert.Equal(8, profile.PrefillTokens);
        Assert.InRange(profile.PrefillBusy.TotalSeconds, 0.8, 0.9);              // 8/10 of the step's ~1 s

        var prefillStart = SecondsAgo(0.5);
        profile.Record(chunks: 1, decodes: 0, tokens: 100, prefillStart, prefillStart, prefillStart);
        Assert.Equal(108, profile.PrefillTokens);
        Assert.InRange(profile.PrefillBusy.TotalSeconds, 1.3, 1.4);

        profile.Reset();
        Assert.Equal(0, profile.PrefillTokens);
        Assert.Equal(TimeSpan.Zero, profile.PrefillBusy);
    }
}
