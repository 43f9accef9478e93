using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;
using Cluster.Hosting;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Engine;

/// <summary>
/// Who this worker is to the cluster: id, role, model and the endpoint it advertises. The endpoint carries the port
/// Kestrel actually bound (so <c>Hosting:GrpcPort=0</c> works); read it only after the host has started.
/// </summary>
internal sealed class WorkerIdentity(IOptions<WorkerOptions> options, HostEndpoints endpoints, WorkerEngine engine)
{
    private readonly Lazy<WorkerId> _id = new(() => NewId(options.Value, endpoints, engine.Role));

    public WorkerId Id => _id.Value;

    public ModelId Model => engine.ModelId;

    public WorkerRole Role => engine.Role switch
    {
        EngineRole.Prefill => WorkerRole.Prefill,
        EngineRole.Decode => WorkerRole.Decode,
        _ => WorkerRole.Colocated,
    };

    /// <summary>The advertised gRPC endpoint (Worker and KvTransfer services), e.g. <c>http://127.0.0.1:50071</c>.</summary>
    public string Endpoint
    {
        get
        {
            var bound = endpoints.GrpcAddress;
            return new UriBuilder(bound.Scheme, options.Value.AdvertiseHost, bound.Port).Uri.ToString().TrimEnd('/');
        }
    }

    /// <summary>The advertised HTTP endpoint (<c>/metrics</c>, <c>/readyz</c>), e.g. <c>http://127.0.0.1:8081</c>.</summary>
    public string HttpEndpoint
    {
        get
        {
            var bound = endpoints.HttpAddress;
            return new UriBuilder(bound.Scheme, options.Value.AdvertiseHost, bound.Port).Uri.ToString().TrimEnd('/');
        }
    }

    public WorkerInfo Info => new(Id, Role, Model, Endpoint, Endpoint, engine.Engine.Stats.TotalBlocks, engine.Options.MaxSequences, HttpEndpoint);

    private static WorkerId NewId(WorkerOptions o, HostEndpoints endpoints, EngineRole role)
    {
        if (!string.IsNullOrWhiteSpace(o.Id)) return new WorkerId(o.Id);
        var random = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        return new WorkerId($"{role.ToString().ToLowerInvariant()}-{Environment.MachineName.ToLowerInvariant()}-{endpoints.GrpcAddress.Port}-{random}");
    }
}
