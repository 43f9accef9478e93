using System.Text.Json;
using System.Text.Json.Serialization;
using Cluster.ClusterState.Model;

namespace Cluster.ClusterState.Redis;

/// <summary>Writes <see cref="WorkerRole"/> as <c>prefill</c>, <c>decode</c>, <c>colocated</c> in Redis JSON.</summary>
internal sealed class WorkerRoleJsonConverter() : JsonStringEnumConverter<WorkerRole>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);
