using Cluster.Core.Ids;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Orleans.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Bench;

/// <summary>
/// The router tier's part of a decision (issue 14), as a router of a tier of <c>--silos</c> makes it: claim the client
/// request id on its <see cref="IRequestGrain"/> (local placement) and admit the request on the chosen decode worker's
/// <see cref="IWorkerAdmissionGrain"/> (on any silo). The silos run in this process, clustered on the bench's Redis as
/// router processes are; calls go out from the first. Releases happen after the measured part, as at a request's end.
/// </summary>
internal sealed class RouterDecisionBenchTier : IAsyncDisposable
{
    private readonly List<IHost> _silos;
    private readonly IGrainFactory _grains;

    private RouterDecisionBenchTier(List<IHost> silos)
    {
        _silos = silos;
        _grains = silos[0].Services.GetRequiredService<IGrainFactory>();
    }

    public static async Task<RouterDecisionBenchTier> StartAsync(int silos, string redis, CancellationToken ct)
    {
        var hosts = new List<IHost>();
        for (var i = 0; i < silos; i++)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ClusterState:RedisConnectionString"] = redis,
                ["RouterTier:ClusterId"] = $"bench-decision-{Environment.ProcessId}",
            });
            builder.AddRouterTier();
            var host = builder.Build();
            await host.StartAsync(ct).ConfigureAwait(false);
            hosts.Add(host);
        }

        return new RouterDecisionBenchTier(hosts);
    }

    /// <summary>The claim and the admission of request <paramref name="n"/> on <paramref name="decode"/>, in sequence.</summary>
    public async Task ClaimAndAdmitAsync(int n, WorkerId decode)
    {
        await ClaimAsync(n).ConfigureAwait(false);
        await AdmitAsync(n, decode).ConfigureAwait(false);
    }

    /// <summary>Claims request <paramref name="n"/>'s id on its request grain (a new activation, placed on this silo); throws when refused (the bench never reuses an id).</summary>
    public async Task ClaimAsync(int n)
    {
        var id = Id(n);
        var claim = await _grains.GetGrain<IRequestGrain>(id).TryClaimAsync(new RequestOwner("bench-router", id), "bench", canceller: null).ConfigureAwait(false);
        if (!claim.Claimed)
        {
            throw new InvalidOperationException($"bench request {id}: the id was refused ({claim.Holder})");
        }
    }

    /// <summary>Admits request <paramref name="n"/> on <paramref name="decode"/>'s worker grain (on any silo); throws when refused (the bench never fills a worker).</summary>
    public async Task AdmitAsync(int n, WorkerId decode)
    {
        var id = Id(n);
        var admission = await _grains.GetGrain<IWorkerAdmissionGrain>(decode.Value)
            .TryAdmitAsync(new AdmissionRequest(id, "bench-router", 2, 8192, 0, TimeSpan.FromMinutes(1))).ConfigureAwait(false);
        if (!admission.Admitted)
        {
            throw new InvalidOperationException($"bench request {id}: not admitted on {decode} ({admission.Reason})");
        }
    }

    private static string Id(int n) => $"bench-{n}";

    /// <summary>What a request's end does: free its id and its place.</summary>
    public Task ReleaseAsync(int n, WorkerId decode)
    {
        var id = Id(n);
        return Task.WhenAll(_grains.GetGrain<IRequestGrain>(id).ReleaseAsync(id), _grains.GetGrain<IWorkerAdmissionGrain>(decode.Value).ReleaseAsync(id));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_silos))
        {
            await host.StopAsync().ConfigureAwait(false);
            host.Dispose();
        }
    }
}
