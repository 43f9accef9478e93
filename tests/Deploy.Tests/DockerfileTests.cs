using Cluster.Deploy.Tests.Infrastructure;

namespace Cluster.Deploy.Tests;

/// <summary>
/// No image can be built here (no base image can be pulled), so the Dockerfiles are checked against the repository and
/// against the apps published as their build stages publish them: every path copied from the build context exists
/// (and is not ignored), every path copied out of a build stage exists in that stage's publish output, and every dll
/// an image or the chart runs is there with its runtimeconfig.json.
/// </summary>
public sealed class DockerfileTests : IClassFixture<DockerfileTests.Published>
{
    private static readonly string[] ImagePaths = ["/usr/share/dotnet"]; // what the Dockerfiles take from Microsoft's .NET images
    private readonly Published _published;

    public DockerfileTests(Published published) => _published = published;

    public static TheoryData<string> Files => ["router.Dockerfile", "worker.Dockerfile"];

    [Theory]
    [MemberData(nameof(Files))]
    public void CopyFromContext_EverySourceExists_AndIsNotIgnored(string file)
    {
        var dockerfile = Dockerfile.Load(Path.Combine(Repo.Docker, file));
        var ignored = File.ReadAllLines(Path.Combine(Repo.Docker, $"{file}.dockerignore"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Replace("**/", "", StringComparison.Ordinal).TrimEnd('/')).ToList();
        var copies = dockerfile.Stages.SelectMany(s => s.Copies).Where(c => c.From is null).ToList();
        Assert.NotEmpty(copies);
        foreach (var source in copies.SelectMany(c => c.Sources))
        {
            var path = Path.Combine(Repo.Root, source.TrimEnd('/'));
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{file}: COPY source {source} does not exist in the repository");
            Assert.DoesNotContain(ignored, i => source.TrimEnd('/') == i || source.StartsWith(i + "/", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void CopyFromStages_AndEntrypointDlls_ExistInThePublishedApps(string file)
    {
        var dockerfile = Dockerfile.Load(Path.Combine(Repo.Docker, file));
        var finals = 0;
        foreach (var stage in dockerfile.Stages)
        {
            var mounts = new List<(string Destination, string Local)>();
            foreach (var copy in stage.Copies.Where(c => c.From is not null))
            {
                var from = dockerfile.Stages.SingleOrDefault(s => s.Name == copy.From);
                Assert.True(from is not null, $"{file}: COPY --from={copy.From} names no stage");
                if (!from!.Publishes.Any())
                {
                    Assert.All(copy.Sources, s => Assert.Contains(s, ImagePaths)); // from a base image, not our build
                    continue;
                }

                foreach (var source in copy.Sources)
                {
                    var (project, output) = from.Publishes.Single(p => source.TrimEnd('/') == p.Output || source.StartsWith(p.Output + "/", StringComparison.Ordinal));
                    var local = Path.Combine(_published.Output(project), source.TrimEnd('/')[output.Length..].TrimStart('/'));
                    Assert.True(Directory.Exists(local) || File.Exists(local), $"{file}: {source} of stage {from.Name} is not in the publish of {project}");
                    mounts.Add((copy.Destination.TrimEnd('/'), local));
                }
            }

            var dlls = stage.Command.Where(a => a.EndsWith(".dll", StringComparison.Ordinal)).ToList();
            if (dlls.Count == 0)
            {
                continue;
            }

            finals++;
            Assert.Equal("dotnet", stage.Command[0]);
            Assert.All(dlls, dll => AssertApp(file, Resolve(mounts, dll)));
            Assert.True(int.TryParse(stage.User, out var uid) && uid > 0, $"{file}: stage {stage.Name} does not run as a non-root uid (USER {stage.User})");
        }

        Assert.Equal(file == "worker.Dockerfile" ? 2 : 1, finals); // worker: cpu and cuda
    }

    [Fact]
    public void Stages_GoFromTheSdkToARuntime_WithTheLibtorchOfEachVariant()
    {
        var router = Dockerfile.Load(Path.Combine(Repo.Docker, "router.Dockerfile"));
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", router["build"].Image, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", router["runtime"].Image, StringComparison.Ordinal);

        var worker = Dockerfile.Load(Path.Combine(Repo.Docker, "worker.Dockerfile"));
        Assert.StartsWith("debian:bookworm", worker["cpu"].Image, StringComparison.Ordinal);
        Assert.Contains(worker["build-cpu"].Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("libtorch-dev", StringComparison.Ordinal));
        Assert.Contains(worker["cpu"].Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("libtorch1.13", StringComparison.Ordinal));
        Assert.StartsWith("pytorch/pytorch:", worker["cuda"].Image, StringComparison.Ordinal);
        Assert.Contains("cuda", worker["cuda"].Image, StringComparison.Ordinal);
        Assert.Contains(worker["build-cuda"].Instructions, i => i.Arguments.Contains("TORCH_CMAKE_PREFIX_PATH", StringComparison.Ordinal));
        Assert.All(new[] { "cpu", "cuda" }, s => Assert.Contains(worker[s].Copies, c => c.From == "dotnet-runtime"));
    }

    [Fact]
    public void ChartContainers_RunDllsTheImagesHold_AndTheWorkerImageHasTheTorchLibrary()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("external-redis"));
        var router = Resolve([("/app", _published.Output("src/Router/Router.csproj"))], chart.Deployment("router")!.MainContainer().Args.Single());
        AssertApp("router image", router);
        var worker = _published.Output("src/Cli/Cli.csproj");
        foreach (var role in new[] { "prefill", "decode", "colocated" })
        {
            var spec = chart.Deployment(role)!.Spec.Template.Spec;
            AssertApp("worker image", Resolve([("/app", worker)], spec.Containers.Single().Args.Single()));
        }

        var init = ChartRenderer.RenderOk(Repo.Example("tiny-cpu")).Deployment("decode")!.Spec.Template.Spec.InitContainers.Single();
        AssertApp("worker image", Resolve([("/app", worker)], init.Args[0]));
        Assert.True(File.Exists(Path.Combine(worker, "libcluster_torch.so")), "the worker publish lacks libcluster_torch.so (src/Torch/Native)");
        Assert.False(File.Exists(Path.Combine(_published.Output("src/Router/Router.csproj"), "libcluster_torch.so")), "the router should not carry libtorch");
    }

    private static string Resolve(List<(string Destination, string Local)> mounts, string path)
    {
        var (destination, local) = mounts.Single(m => path.StartsWith(m.Destination + "/", StringComparison.Ordinal));
        return Path.Combine(local, path[(destination.Length + 1)..]);
    }

    private static void AssertApp(string where, string dll)
    {
        Assert.True(File.Exists(dll), $"{where}: {dll} does not exist");
        Assert.True(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")), $"{where}: {dll} has no runtimeconfig.json");
    }

    /// <summary>
    /// The projects the Dockerfiles publish, published once (dotnet publish --no-build, with the configuration this
    /// assembly was built with: the test project references them, so they are built).
    /// </summary>
    public sealed class Published : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("deploy-publish-").FullName;
        private readonly Dictionary<string, string> _outputs = [];
        private readonly Lock _lock = new();

        public string Output(string project)
        {
            lock (_lock)
            {
                if (!_outputs.TryGetValue(project, out var output))
                {
                    output = Path.Combine(_root, Path.GetFileNameWithoutExtension(project));
                    var result = Tool.Run("dotnet", ["publish", Path.Combine(Repo.Root, project), "-c", Repo.Build.Configuration, "--no-build", "-nologo", "-v", "q", "-o", output]);
                    Assert.True(result.ExitCode == 0, $"dotnet publish {project} failed: {result}");
                    _outputs[project] = output;
                }

                return output;
            }
        }

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }
}
