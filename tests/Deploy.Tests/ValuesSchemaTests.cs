using Cluster.Deploy.Tests.Infrastructure;

namespace Cluster.Deploy.Tests;

/// <summary>
/// values.schema.json (checked with ajv, merged over values.yaml as Helm coalesces values) accepts every example and
/// what users may add (nameOverride, fullnameOverride, extra environment variables, any configuration section but
/// Auth), and refuses wrong types and unknown keys, top-level or nested.
/// </summary>
public sealed class ValuesSchemaTests
{
    [Fact]
    public void Examples_AndDefaults_AreValid()
    {
        var outcomes = NodeChecks.Schema([Path.Combine(Repo.Chart, "values.yaml"), .. Repo.ExampleNames.Select(Repo.Example)]);
        Assert.Equal(7, outcomes.Count);
        Assert.All(outcomes, o => Assert.True(o.Ok, o.ToString()));
    }

    [Theory]
    [InlineData("nameOverride: llm\nfullnameOverride: my-llm-serving\n")]
    [InlineData("extraEnv:\n  - {name: DOTNET_gcServer, value: \"1\"}\n  - name: FROM_SECRET\n    valueFrom: {secretKeyRef: {name: s, key: k}}\n")]
    [InlineData("decode:\n  extraEnv: [{name: X, value: y}]\n  config: {KvCache: {BlockSize: 32, MemoryFraction: 0.8}}\n")]
    [InlineData("config: {Routing: {PrefillPolicy: round-robin, MaxQueuedRequests: 64}, Logging: {LogLevel: {Default: Warning}}}\n")]
    [InlineData("prefill: {terminationGracePeriodSeconds: 300, pdb: {enabled: true, minAvailable: \"50%\"}}\n")]
    [InlineData("global: {imageRegistry: example}\n")]
    [InlineData("router: {replicas: 3, tier: {kubernetesHosting: \"on\"}}\n")]
    [InlineData("router: {tier: {kubernetesHosting: false}}\n")]
    public void Allowed_Values_AreValid(string yaml)
    {
        var outcome = Check(yaml);
        Assert.True(outcome.Ok, outcome.ToString());
    }

    [Theory]
    [InlineData("replicaCount: 3\n", "replicaCount")] // unknown top-level key
    [InlineData("prefill: {replicas: two}\n", "/prefill/replicas")]
    [InlineData("decode: {replicas: 1.5}\n", "/decode/replicas")]
    [InlineData("decode: {device: gpu}\n", "/decode/device")]
    [InlineData("decode: {gpu: 2}\n", "gpu")] // unknown key of a pool
    [InlineData("router: {service: {httpPort: \"8080\"}}\n", "/router/service/httpPort")]
    [InlineData("auth: {apiKeys: example-api-key}\n", "/auth/apiKeys")]
    [InlineData("redis: {mode: sentinel}\n", "/redis/mode")]
    [InlineData("model: {source: s3}\n", "/model/source")]
    [InlineData("extraEnv: {FOO: bar}\n", "/extraEnv")]
    [InlineData("extraEnv: [{value: no-name}]\n", "/extraEnv/0")]
    [InlineData("config: {Auth: {ClusterToken: in-plain-values}}\n", "/config")]
    [InlineData("router: {orleans: {enabled: true}}\n", "orleans")] // the old placeholder: now router.tier
    [InlineData("router: {tier: {siloPort: 0}}\n", "/router/tier/siloPort")]
    [InlineData("redis: {keyPrefix: \"with space\"}\n", "/redis/keyPrefix")]
    [InlineData("router: {tier: {enabled: \"yes\"}}\n", "/router/tier/enabled")]
    [InlineData("router: {tier: {clusterId: \"two words\"}}\n", "/router/tier/clusterId")]
    [InlineData("router: {tier: {kubernetesHosting: always}}\n", "/router/tier/kubernetesHosting")]
    [InlineData("monitoring: {podMonitor: {enabled: \"yes\"}}\n", "/monitoring/podMonitor/enabled")]
    public void Wrong_Values_AreRejected(string yaml, string where)
    {
        var outcome = Check(yaml);
        Assert.False(outcome.Ok, $"accepted: {yaml}");
        Assert.Contains(outcome.Errors, e => e.Contains(where, StringComparison.Ordinal));
    }

    [Fact]
    public void Schema_Patterns_UseNoLookaroundOrBackreference()
    {
        // Helm validates with a Go JSON-schema library on Go's RE2 regexp, which has no lookaround or backreferences
        // (ajv, on JavaScript regexps, would accept them): such a pattern would break every helm install.
        var schema = File.ReadAllText(Path.Combine(Repo.Chart, "values.schema.json"));
        var patterns = System.Text.RegularExpressions.Regex.Matches(schema, "\"pattern\": \"((?:[^\"\\\\]|\\\\.)*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(patterns);
        Assert.All(patterns, p => Assert.DoesNotMatch(@"\(\?[=!<]|\\\\[1-9]", p));
    }

    private static NodeChecks.Outcome Check(string yaml)
    {
        using var values = new TempValues(yaml);
        return NodeChecks.Schema(values.Paths).Single();
    }
}
