using Cluster.Deploy.Tests.Infrastructure;

namespace Cluster.Deploy.Tests;

/// <summary>yamllint (strict, tests/Deploy.Tests/yamllint.yaml) over the chart's values, examples and golden renders.</summary>
public sealed class LintTests
{
    [Fact]
    public void ChartYaml_ValuesExamplesAndRenders_PassYamllint()
    {
        var files = new[] { Path.Combine(Repo.Chart, "Chart.yaml"), Path.Combine(Repo.Chart, "values.yaml") }
            .Concat(Repo.ExampleNames.Select(Repo.Example))
            .Concat(Directory.GetFiles(Repo.Goldens, "*.yaml"));
        var result = Tool.Run("yamllint", ["-s", "-c", Path.Combine(Repo.TestProject, "yamllint.yaml"), .. files],
            installHint: "apt-get install yamllint (./cluster.sh setup)");
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
