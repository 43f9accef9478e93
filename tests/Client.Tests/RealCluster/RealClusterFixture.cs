using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Client.Tests.RealCluster;

/// <summary>
/// A real cluster in this process, started the way <c>cluster up</c> starts it (<see cref="InProcessCluster"/>):
/// the router and one prefill + one decode worker on free ports, sharing an in-memory registry and prefix index,
/// serving a tiny fp32 model generated into a temporary folder. Shared by the tests of <see cref="RealClusterCollection"/>.
/// </summary>
public sealed class RealClusterFixture : IAsyncLifetime
{
    public const string ModelId = "tiny";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private DirectoryInfo? _modelRoot;
    private InProcessCluster? _cluster;
    private readonly Dictionary<Uri, GrpcChannel> _workerChannels = [];

    internal InProcessCluster Cluster => _cluster ?? throw new InvalidOperationException("the in-process cluster did not start");

    /// <summary>A client of the cluster's router with the given retry budget.</summary>
    public ClusterClient CreateClient(int maxRetries = 0) => new(new ClusterClientOptions
    {
        Addresses = [Cluster.RouterGrpc],
        DefaultModel = ModelId,
        MaxRetries = maxRetries,
    });

    /// <summary>The Status rpc of every worker.</summary>
    public async Task<IReadOnlyList<WorkerStatus>> WorkerStatusesAsync(CancellationToken cancellationToken)
    {
        var statuses = new List<WorkerStatus>();
        foreach (var worker in Cluster.Workers)
        {
            if (!_workerChannels.TryGetValue(worker.Grpc, out var channel))
            {
                channel = _workerChannels[worker.Grpc] = GrpcChannel.ForAddress(worker.Grpc);
            }

            statuses.Add(await new Contracts.V1.Worker.WorkerClient(channel)
                .StatusAsync(new StatusRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken)));
        }

        return statuses;
    }

    /// <summary>Waits (bounded) until no worker runs or queues a request and every KV block is free again.</summary>
    public async Task WaitAllWorkersIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        IReadOnlyList<WorkerStatus> last = [];
        try
        {
            await ClusterReadiness.PollAsync(
                async () => (last = await WorkerStatusesAsync(deadline.Token)).All(IsIdle),
                () => null, "workers did not become idle", deadline.Token, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"within {timeout.TotalSeconds:F0} s the workers did not all return to running 0, waiting 0, every KV block free; last: "
                + string.Join("; ", last.Select(s => $"{s.WorkerId}: running {s.RunningRequests}, waiting {s.WaitingRequests}, free {s.KvBlocksFree}/{s.KvBlocksTotal}")));
        }
    }

    public static bool IsIdle(WorkerStatus s) => s.RunningRequests == 0 && s.WaitingRequests == 0 && s.KvBlocksFree == s.KvBlocksTotal;

    public async Task InitializeAsync()
    {
        _modelRoot = Directory.CreateTempSubdirectory("cluster-client-tests-");
        var model = ModelCache.EnsureTinyModel(_modelRoot.FullName, out _);
        _cluster = await InProcessCluster.StartAsync(new ClusterSpec
        {
            ModelPath = model,
            ModelId = ModelId,
            RouterGrpcPort = 0,
            RouterHttpPort = 0,
            PrefillWorkers = 1,
            DecodeWorkers = 1,
        }, StartTimeout);
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _workerChannels.Values)
        {
            channel.Dispose();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _modelRoot?.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class RealClusterCollection : ICollectionFixture<RealClusterFixture>
{
    /// <summary>The tests against the one in-process cluster run one after the other (2 cores).</summary>
    public const string Name = "real cluster";
}
