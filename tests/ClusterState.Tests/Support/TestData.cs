using System.Diagnostics.Metrics;
using Cluster.ClusterState.Events;
using Cluster.ClusterState.Model;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.ClusterState.Tests.Support;

internal static class TestData
{
    public static readonly ModelId ModelA = new("org/model-a");
    public static readonly ModelId ModelB = new("org/model-b");

    public static ClusterStateInstruments Instruments() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    public static WorkerId W(int n) => new($"worker-{n}");

    /// <summary>A chain of <paramref name="count"/> distinct block hashes for prompt <paramref name="prompt"/>.</summary>
    public static BlockHash[] Blocks(int prompt, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new BlockHash(((ulong)prompt << 32) | (uint)i | 0x8000_0000_0000_0000UL))];

    public static WorkerInfo Info(int n, WorkerRole role = WorkerRole.Prefill, ModelId? model = null) =>
        new(W(n), role, model ?? ModelA, $"http://10.0.0.{n}:50051", $"http://10.0.0.{n}:50052", 1000 + n, 32, $"http://10.0.0.{n}:8080");

    public static WorkerLoad Load(int free, long seq = 0) => new(free, 2, 1, 4096, 12_345.5, seq);

    public static KvEventBatch Stored(WorkerId worker, long seq, params BlockHash[] blocks) =>
        new(worker, ModelA, [new BlockStoredEvent(seq, blocks)]);

    public static KvEventBatch Batch(WorkerId worker, ModelId model, params KvEvent[] events) => new(worker, model, events);
}
