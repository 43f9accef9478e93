using System.Text.Json;
using Cluster.ClusterState.Model;
using Cluster.Hosting.Auth;
using Cluster.Router.Coordination;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Router.Api;

/// <summary>
/// <c>GET /workers</c>: the workers this router routes to (its last registry read), so tools such as <c>cluster top</c>
/// find every worker's <c>/metrics</c> without being told. Requires the cluster token, like <c>/metrics</c>.
/// </summary>
public static class WorkersEndpoint
{
    /// <summary>The path.</summary>
    public const string Path = "/workers";

    /// <summary>One worker as <c>/workers</c> lists it (JSON, camelCase).</summary>
    /// <param name="Id">Worker id.</param>
    /// <param name="Role">prefill, decode or colocated.</param>
    /// <param name="Model">The model it serves.</param>
    /// <param name="State">live, or suspect (left out of routing after a refused connection).</param>
    /// <param name="Grpc">Its gRPC address.</param>
    /// <param name="Http">Its HTTP address (<c>/metrics</c>); empty when the worker did not announce one.</param>
    public sealed record Entry(string Id, string Role, string Model, string State, string Grpc, string Http);

    /// <summary>JSON options of the listing (camelCase).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Maps <see cref="Path"/>.</summary>
    public static IEndpointRouteBuilder MapWorkersEndpoint(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(Path, (HttpContext c) => Results.Json(List(c.RequestServices.GetRequiredService<WorkerPool>()), Json)).RequireClusterToken();
        return endpoints;
    }

    /// <summary>The pool's workers, by id.</summary>
    public static IReadOnlyList<Entry> List(WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return [.. pool.Workers.OrderBy(w => w.Info.Id.Value, StringComparer.Ordinal).Select(w => new Entry(
            w.Info.Id.Value, RoleName(w.Info.Role), w.Info.Model.Value, pool.IsSuspect(w.Info.Id) ? "suspect" : "live", w.Info.GrpcEndpoint, w.Info.HttpEndpoint))];
    }

    private static string RoleName(WorkerRole role) => role.ToString().ToLowerInvariant();
}
