using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>Raw gRPC calls into a running cluster: the router's Inference service (with the API key) and the workers' Status (with the cluster token).</summary>
internal sealed class ClusterCalls : IDisposable
{
    private readonly IRunningCluster _cluster;
    private readonly GrpcChannel _router;
    private readonly Dictionary<Uri, GrpcChannel> _workers = [];

    /// <param name="router">One router's gRPC address (a router tier has several); default the cluster's first.</param>
    public ClusterCalls(IRunningCluster cluster, Uri? router = null)
    {
        _cluster = cluster;
        _router = GrpcChannel.ForAddress(router ?? cluster.RouterGrpc);
        Inference = new Inference.InferenceClient(_router);
    }

    public Inference.InferenceClient Inference { get; }

    /// <summary>Call options carrying the API key (when the cluster requires one) and a deadline.</summary>
    public CallOptions RouterOptions(CancellationToken cancellationToken, TimeSpan? deadline = null) =>
        new(Bearer(_cluster.Spec.ApiKey), DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(60)), cancellationToken);

    /// <summary>A greedy token-id request.</summary>
    public GenerateRequest Greedy(IReadOnlyList<int> prompt, int maxTokens, bool ignoreEos = false) => new()
    {
        Model = _cluster.Spec.EffectiveModelId,
        TokenIds = new TokenIds { Ids = { prompt.Select(i => (uint)i) } },
        Sampling = new SamplingParams { Temperature = 0 },
        Stop = new StopConditions { MaxTokens = (uint)maxTokens, IgnoreEos = ignoreEos },
    };

    /// <summary>Streams a Generate call to its end; returns every token, the finish reason and usage of the last chunk.</summary>
    public async Task<Generated> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken, Func<int, Task>? onToken = null)
    {
        using var call = Inference.Generate(request, RouterOptions(cancellationToken));
        var tokens = new List<int>();
        GenerateResponse? last = null;
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            foreach (var id in chunk.TokenIds)
            {
                tokens.Add((int)id);
                if (onToken is not null)
                {
                    await onToken(tokens.Count);
                }
            }

            last = chunk;
        }

        return new Generated(tokens, last?.FinishReason ?? FinishReason.Unspecified, last?.Usage);
    }

    /// <summary>Status rpc of one worker.</summary>
    public async Task<WorkerStatus> StatusAsync(RoleEndpoint worker, CancellationToken cancellationToken)
    {
        if (!_workers.TryGetValue(worker.Grpc, out var channel))
        {
            channel = _workers[worker.Grpc] = GrpcChannel.ForAddress(worker.Grpc);
        }

        var options = new CallOptions(Bearer(_cluster.Spec.ClusterToken), DateTime.UtcNow.AddSeconds(30), cancellationToken);
        return await new Contracts.V1.Worker.WorkerClient(channel).StatusAsync(new StatusRequest(), options);
    }

    public void Dispose()
    {
        _router.Dispose();
        foreach (var channel in _workers.Values)
        {
            channel.Dispose();
        }
    }

    private static Metadata? Bearer(string secret) => secret.Length == 0 ? null : new Metadata { { "authorization", $"Bearer {secret}" } };
}

/// <summary>A finished generation as the client saw it.</summary>
internal sealed record Generated(IReadOnlyList<int> Tokens, FinishReason Finish, Usage? Usage);
