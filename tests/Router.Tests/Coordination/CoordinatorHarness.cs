using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>
/// A coordinator wired through <c>AddClusterState</c> + <c>AddRequestCoordinator</c> (in-memory registry and index
/// unless a test replaces them) and fake workers on real sockets, registered in the registry.
/// </summary>
internal sealed class CoordinatorHarness : IAsyncDisposable
{
    public const string ClusterToken = "test-cluster-token";
    public static readonly ModelId Model = new("test/tiny");

    private readonly List<FakeWorker> _workers = [];

    private CoordinatorHarness(ServiceProvider services)
    {
        Services = services;
    }

    public ServiceProvider Services { get; }

    public IRequestCoordinator Coordinator => Services.GetRequiredService<IRequestCoordinator>();

    public IWorkerRegistry Registry => Services.GetRequiredService<IWorkerRegistry>();

    public static CoordinatorHarness Create(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var all = new Dictionary<string, string?> { ["Auth:ClusterToken"] = ClusterToken, ["Routing:CancelTimeout"] = "00:00:30" };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var services = new ServiceCollection();
        services.AddOptions<Hosting.Auth.AuthOptions>().Bind(configuration.GetSection("Auth"));
        services.AddClusterState(configuration).AddRequestCoordinator(configuration);
        configure?.Invoke(services);
        return new CoordinatorHarness(services.BuildServiceProvider());
    }

    /// <summary>Starts a fake worker and registers it with <paramref name="load"/> (idle by default).</summary>
    public async Task<FakeWorker> AddWorkerAsync(string id, WorkerRole role, WorkerLoad? load = null, int totalKvBlocks = 1000, int maxBatch = 8)
    {
        var worker = await FakeWorker.StartAsync(id, role, ClusterToken);
        _workers.Add(worker);
        Assert.Equal(RegistryOutcome.Accepted, await Registry.RegisterAsync(worker.Info(totalKvBlocks, maxBatch), load ?? WorkerLoad.Idle(totalKvBlocks)));
        return worker;
    }

    public static TokenizedRequest Request(int promptTokens = 40, uint maxTokens = 8, string? id = null, bool logprobs = false, int firstToken = 1) => new(
        new RequestId(id ?? Guid.NewGuid().ToString("N")),
        Model,
        Enumerable.Range(firstToken, promptTokens).ToArray(),
        new SamplingParams(),
        new StopConditions { MaxTokens = maxTokens },
        logprobs,
        CacheSalt: "");

    /// <summary>What a correct run yields: the tokens at positions prompt … prompt + max − 1.</summary>
    public static int[] Expected(int promptTokens, int maxTokens) =>
        Enumerable.Range(promptTokens, maxTokens).Select(FakeWorker.TokenAt).ToArray();

    /// <summary>Reads a run to its end; <paramref name="onTokens"/> sees the running token count after each event.</summary>
    public static async Task<(int[] Tokens, CoordinatorEvent.Finished Finished)> CollectAsync(IAsyncEnumerable<CoordinatorEvent> events, Action<int>? onTokens = null)
    {
        var tokens = new List<int>();
        CoordinatorEvent.Finished? finished = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in events.WithCancellation(timeout.Token))
        {
            Assert.Null(finished); // nothing after Finished
            switch (e)
            {
                case CoordinatorEvent.Tokens t:
                    tokens.AddRange(t.Ids);
                    onTokens?.Invoke(tokens.Count);
                    break;
                case CoordinatorEvent.Finished f:
                    finished = f;
                    break;
            }
        }

        Assert.NotNull(finished);
        return (tokens.ToArray(), finished);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }
    }
}
