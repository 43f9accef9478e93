using Cluster.Cli.Up;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>
/// One whole cluster for the non-destructive tests of the collection: router + 2 prefill + 2 decode workers as real
/// processes (the built executables), a real redis-server, an API key and a cluster token; plus the single-process
/// golden reference on the same model. Every process is killed when the collection ends (also after failures).
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ApiKey = "integration-key";
    public const string ClusterToken = "integration-token";

    /// <summary>
    /// Requests with this cache_salt get their KV push corrupted by the prefill workers (<c>KvTransfer:TestFaults</c>, on in
    /// the Testing environment only): a forced KV-transfer failure the router recovers from by recomputing on decode.
    /// </summary>
    public const string FaultyTransferSalt = "integration-kv-fault";

    private ProcessCluster? _cluster;
    private GoldenReference? _golden;
    private ClusterCalls? _calls;

    internal ProcessCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    internal GoldenReference Golden => _golden ?? throw new InvalidOperationException("the golden reference did not load");

    internal ClusterCalls Calls => _calls ?? throw new InvalidOperationException("the cluster did not start");

    /// <summary>The spec of a cluster with <paramref name="prefill"/> + <paramref name="decode"/> workers on free ports.</summary>
    internal static ClusterSpec Spec(int prefill, int decode, IReadOnlyDictionary<string, string>? settings = null) => new()
    {
        ModelPath = TestModel.Path,
        ModelId = TestModel.Id,
        RouterGrpcPort = 0,
        RouterHttpPort = 0,
        PrefillWorkers = prefill,
        DecodeWorkers = decode,
        ApiKey = ApiKey,
        ClusterToken = ClusterToken,
        Settings = settings ?? new Dictionary<string, string>(),
    };

    /// <summary>Starts a cluster of its own (for tests that kill parts of it) with a local redis-server; logs in a temporary folder.</summary>
    internal static Task<ProcessCluster> StartAsync(ClusterSpec spec) =>
        ProcessCluster.StartAsync(spec, redisConnection: null, Directory.CreateTempSubdirectory("cluster-integration-logs-").FullName, Deadline.ClusterStart);

    public async Task InitializeAsync()
    {
        _golden = new GoldenReference(TestModel.Path);
        // Every request disaggregated: the collection's tests exercise prefill routing and the transfer, and must not depend
        // on which test ran first (the default measured-cost policy learns from earlier pushes and may then keep short
        // prompts local on this CPU model; Router.Tests and BenchDisaggTests cover that policy).
        // Slo:TimePerOutputToken = 1 µs: every request of more than one token misses the SLO and one-token requests meet
        // it, so the goodput panels (DashboardTests) have both series; it changes nothing else.
        // The prefill workers run in the Testing environment with a KV-transfer fault for one cache salt (DashboardTests).
        _cluster = await StartAsync(Spec(prefill: 2, decode: 2, new Dictionary<string, string>
        {
            ["Routing:DisaggregationPolicy"] = "threshold",
            ["Slo:TimePerOutputToken"] = "00:00:00.000001",
        }) with
        {
            PrefillSettings = new Dictionary<string, string>
            {
                ["environment"] = "Testing",
                ["KvTransfer:TestFaults:CorruptChecksumsForCacheSalt"] = FaultyTransferSalt,
            },
        });
        _calls = new ClusterCalls(_cluster);
    }

    public async Task DisposeAsync()
    {
        _calls?.Dispose();
        _golden?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    /// <summary>Every test class of this assembly is in this collection: they run one after the other (2 cores).</summary>
    public const string Name = "cluster";
}
