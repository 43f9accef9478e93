using System.Text.Json.Serialization;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;

namespace Cluster.ClusterState.Redis;

/// <summary>The JSON value of a worker in the <c>{prefix}workers</c> HASH. <c>model</c> is read by the Lua cleanup script.</summary>
internal sealed record WorkerRecord(
    string Id,
    [property: JsonConverter(typeof(WorkerRoleJsonConverter))] WorkerRole Role,
    string Model,
    string GrpcEndpoint,
    string KvTransferEndpoint,
    int TotalKvBlocks,
    int MaxBatch,
    WorkerLoad Load,
    long HeartbeatUnixMs,
    long TtlMs,
    string? HttpEndpoint = null) // absent in records written before it was announced
{
    public static WorkerRecord From(WorkerInfo info, WorkerLoad load, DateTimeOffset heartbeat, TimeSpan ttl) => new(
        info.Id.Value, info.Role, info.Model.Value, info.GrpcEndpoint, info.KvTransferEndpoint, info.TotalKvBlocks, info.MaxBatch,
        load, heartbeat.ToUnixTimeMilliseconds(), (long)ttl.TotalMilliseconds, info.HttpEndpoint);

    public WorkerInfo ToInfo() => new(new WorkerId(Id), Role, new ModelId(Model), GrpcEndpoint, KvTransferEndpoint, TotalKvBlocks, MaxBatch, HttpEndpoint ?? "");

    public WorkerSnapshot ToSnapshot() => new(ToInfo(), Load, DateTimeOffset.FromUnixTimeMilliseconds(HeartbeatUnixMs));
}

/// <summary>Source-generated JSON for <see cref="WorkerRecord"/> (camelCase; roles as prefill/decode/colocated).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WorkerRecord))]
internal sealed partial class WorkerRecordJsonContext : JsonSerializerContext;
