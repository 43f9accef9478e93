using Cluster.Cli.Up;

namespace Cluster.Integration.Tests;

/// <summary>How <c>cluster up</c> splits one GPU between its workers (no cluster is started).</summary>
public sealed class ClusterRoleArgsTests
{
    private static ClusterSpec Spec(string device, int prefill, int decode, Dictionary<string, string>? settings = null) =>
        new() { ModelPath = "/models/m", Device = device, PrefillWorkers = prefill, DecodeWorkers = decode, Settings = settings ?? [] };

    private static string? ShareArg(ClusterSpec spec) =>
        ClusterRoleArgs.Worker(spec, "decode-1", 1, 2, "").SingleOrDefault(a => a.StartsWith("--KvCache:DeviceShare=", StringComparison.Ordinal));

    [Fact]
    public void Worker_SeveralWorkersOnOneGpu_EachGetsAnEqualShare()
    {
        Assert.Equal("--KvCache:DeviceShare=0.5", ShareArg(Spec("cuda", 1, 1)));
        Assert.Equal("--KvCache:DeviceShare=0.25", ShareArg(Spec("cuda:0", 2, 2)));
    }

    [Theory]
    [InlineData("cpu", 1, 1)]
    [InlineData("cuda", 0, 1)]
    public void Worker_CpuOrALoneGpuWorker_NoShare(string device, int prefill, int decode)
    {
        Assert.Null(ShareArg(Spec(device, prefill, decode)));
    }

    [Theory]
    [InlineData("KvCache:NumBlocks")]
    [InlineData("KvCache:DeviceShare")]
    public void Worker_CacheSizedBySet_LeftAsGiven(string key)
    {
        var spec = Spec("cuda", 1, 1, new Dictionary<string, string> { [key] = "3" });
        Assert.All(spec.Placement, p => Assert.Null(p.Share));
        Assert.Contains($"--{key}=3", ClusterRoleArgs.Worker(spec, "decode-1", 1, 2, ""));
    }

    [Theory]
    [InlineData("router")]
    [InlineData("router-2")]
    [InlineData("router-3")]
    public void Secrets_EveryRouterOfATier_GetsTheApiKey(string role)
    {
        var spec = Spec("cpu", 1, 1) with { ApiKey = "k" };
        Assert.Equal("k", ClusterRoleArgs.Secrets(spec, role, null)["Auth:ApiKeys:0"]);
        Assert.False(ClusterRoleArgs.Secrets(spec, "decode-1", null).ContainsKey("Auth:ApiKeys:0"));
    }
}
