namespace Cluster.Cli.Up;

/// <summary>A started cluster: where its router answers, and its workers.</summary>
public interface IRunningCluster : IAsyncDisposable
{
    ClusterSpec Spec { get; }

    /// <summary>How it runs, in words (shown by <c>cluster up</c>).</summary>
    string Mode { get; }

    /// <summary>Router gRPC endpoint (<c>cluster.v1.Inference</c>, h2c).</summary>
    Uri RouterGrpc { get; }

    /// <summary>Router HTTP endpoint (OpenAI <c>/v1/...</c>, <c>/healthz</c>).</summary>
    Uri RouterHttp { get; }

    IReadOnlyList<RoleEndpoint> Workers { get; }
}

/// <summary>One worker: its name (e.g. <c>prefill-1</c>), role, endpoints and, for a child process, its log file.</summary>
public sealed record RoleEndpoint(string Name, string Role, Uri Grpc, Uri Http, string? LogPath = null);
