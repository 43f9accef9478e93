using Cluster.Hosting;

namespace Cluster.Worker.Tests.Support;

/// <summary>A prefill worker and a decode worker on the tiny model sharing one in-memory cluster state (one per test class).</summary>
public sealed class WorkerPair : IAsyncLifetime
{
    public static readonly ClusterHostDefaults PrefillRole = new("prefill", 50061, 8081);
    public static readonly ClusterHostDefaults DecodeRole = new("decode", 50071, 8082);

    public TinyModel Model { get; } = new();

    public SharedClusterState State { get; } = new();

    public WorkerHost Prefill { get; private set; } = null!;

    public WorkerHost Decode { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Prefill = await WorkerHost.StartAsync(PrefillRole, Model, State);
        Decode = await WorkerHost.StartAsync(DecodeRole, Model, State);
    }

    public async Task DisposeAsync()
    {
        await Prefill.DisposeAsync();
        await Decode.DisposeAsync();
        Model.Dispose();
    }
}
