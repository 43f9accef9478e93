using Cluster.Deploy.Tests.Infrastructure;

namespace Cluster.Deploy.Tests;

/// <summary>
/// Each example values file renders exactly to its committed golden (goldens/NAME.yaml, NAME.NOTES.txt). After a
/// deliberate chart change: tests/Deploy.Tests/update-goldens.sh, then review the diff.
/// </summary>
public sealed class GoldenTests
{
    public static TheoryData<string> Examples => [.. Repo.ExampleNames];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_Render_MatchesGolden(string example)
    {
        var result = ChartRenderer.Render([Repo.Example(example)], exclude: [ChartRenderer.DashboardsTemplate]);
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertGolden($"{example}.yaml", result.Output);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_Notes_MatchGolden(string example)
    {
        var result = ChartRenderer.Render([Repo.Example(example)], notes: true);
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertGolden($"{example}.NOTES.txt", result.Output);
    }

    [Fact]
    public void Goldens_EachBelongsToAnExample()
    {
        var examples = Repo.ExampleNames.ToHashSet();
        var orphans = Directory.GetFiles(Repo.Goldens)
            .Select(Path.GetFileName)
            .Where(f => !examples.Contains(f!.Replace(".NOTES.txt", "", StringComparison.Ordinal).Replace(".yaml", "", StringComparison.Ordinal)))
            .ToList();
        Assert.Empty(orphans);
        Assert.Equal(6, examples.Count); // tiny CPU, 1P1D GPU, 4P4D, external Redis, monitoring, existing secrets
    }

    private static void AssertGolden(string file, string actual)
    {
        var path = Path.Combine(Repo.Goldens, file);
        Assert.True(File.Exists(path), $"{path} is missing: run tests/Deploy.Tests/update-goldens.sh");
        var expected = File.ReadAllText(path);
        if (expected != actual)
        {
            var line = FirstDifference(expected, actual);
            Assert.Fail($"{file} differs from the render at line {line.Number}:\n golden: {line.Expected}\n render: {line.Actual}\n"
                + "If the chart change is deliberate, run tests/Deploy.Tests/update-goldens.sh and review the diff.");
        }
    }

    private static (int Number, string Expected, string Actual) FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var x = i < e.Length ? e[i] : "<end>";
            var y = i < a.Length ? a[i] : "<end>";
            if (x != y)
            {
                return (i + 1, x, y);
            }
        }

        return (0, "", "");
    }
}
