using Cluster.Router.Batch;

namespace Cluster.Router.Tests.Batch;

public sealed class BatchOptionsTests
{
    [Fact]
    public void Defaults_HaveNoProblem_24HoursAndKeepResults()
    {
        var options = new BatchOptions();
        Assert.Empty(options.Problems());
        Assert.Equal(TimeSpan.FromHours(24), options.EffectiveCompletionWindow);
        Assert.Null(options.ResultRetention);
    }

    [Theory]
    [InlineData("00:00:00.5", null, "Batch:CompletionWindowOverride must be from 1 second to 30 days")]
    [InlineData("31.00:00:00", null, "Batch:CompletionWindowOverride must be from 1 second to 30 days")]
    [InlineData(null, "-00:00:01", "Batch:ResultRetention must not be negative")]
    public void WindowOrRetentionOutOfRange_ProblemNamesTheSetting(string? window, string? retention, string expected)
    {
        var options = new BatchOptions
        {
            CompletionWindowOverride = window is null ? null : TimeSpan.Parse(window, System.Globalization.CultureInfo.InvariantCulture),
            ResultRetention = retention is null ? null : TimeSpan.Parse(retention, System.Globalization.CultureInfo.InvariantCulture),
        };

        Assert.Contains(options.Problems(), p => p.StartsWith(expected, StringComparison.Ordinal));
    }
}
