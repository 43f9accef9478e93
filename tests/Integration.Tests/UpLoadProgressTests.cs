using Cluster.Cli.Up;
using Cluster.Engine.Model;

namespace Cluster.Integration.Tests;

/// <summary>cluster up's model-load progress line (no cluster is started).</summary>
public sealed class UpLoadProgressTests
{
    private static ModelLoadProgress At(int parts, double seconds) =>
        new("/m", parts, 10, parts * (1L << 28), 10 * (1L << 28), TimeSpan.FromSeconds(seconds));

    [Fact]
    public void AFastLoad_PrintsNothing()
    {
        var output = new StringWriter();
        var progress = new UpLoadProgress("decode-1", output, interactive: false);
        for (var i = 1; i <= 10; i++) progress.Report(At(i, i * 0.05));
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void ASlowLoad_NotATerminal_ALineEveryFiveSecondsThenTheRate()
    {
        var output = new StringWriter();
        var progress = new UpLoadProgress("decode-1", output, interactive: false);
        for (var i = 1; i <= 10; i++) progress.Report(At(i, i * 1.5));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);        // at 1.5 s, 7.5 s and 13.5 s; then done at 15 s
        Assert.StartsWith("decode-1  loading model [##", lines[0], StringComparison.Ordinal);
        Assert.Contains(" 10 %  0.25 / 2.50 GiB", lines[0], StringComparison.Ordinal);
        Assert.Contains("100 %  2.50 / 2.50 GiB  15.0 s, 0.17 GiB/s", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void ATerminal_RedrawsOneLineInPlace()
    {
        var output = new StringWriter();
        var progress = new UpLoadProgress("prefill-1", output, interactive: true);
        for (var i = 1; i <= 10; i++) progress.Report(At(i, i * 1.5));
        Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(10, output.ToString().Count(c => c == '\r'));
    }
}
