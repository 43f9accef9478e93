using System.Diagnostics.Metrics;
using Cluster.ClusterState;
using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Hosting.Auth;
using Cluster.Router.Coordination;
using Cluster.Router.Orleans.Hosting;
using Cluster.Router.Routing;
using Cluster.Router.Tests.Coordination;
using Cluster.Router.Tier;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Tier;

/// <summary>
/// <see cref="TierLoadRefresher"/> end to end over a real silo (localhost clustering): two routers (two refreshers with
/// their own identity, pool, in-flight tracker and view) exchange their prefills in flight through the worker grains.
/// <see cref="TierLoadRefresher.RefreshAsync"/> is called directly; the grains' clock is a hand-moved one.
/// </summary>
public sealed class TierLoadRefresherTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly WorkerId W1 = new("w1");
    private static readonly WorkerId W2 = new("w2");
    private readonly HandClock _clock = new();
    private readonly List<IDisposable> _owned = [];
    private IHost _silo = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["RouterTier:ClusterId"] = $"load-refresher-{Guid.NewGuid():N}" });
        builder.Services.AddSingleton<TimeProvider>(_clock); // before AddRouterTier (which only adds the system clock when none is)
        Assert.True(builder.AddRouterTier(), "the router tier did not start a silo");
        _silo = builder.Build();
        await _silo.StartAsync().WaitAsync(Bound);
    }

    public async Task DisposeAsync()
    {
        _owned.ForEach(d => d.Dispose());
        await _silo.StopAsync();
        _silo.Dispose();
    }

    [Fact]
    public async Task LowPriorityPrefillTokens_OfOneRouter_ReachTheOtherRoutersView_AndNeverItsOwn()
    {
        var (a, b) = (await RouterAsync(W1), await RouterAsync(W1));
        var normal = a.InFlight.TrackPrefill(W1, 300);
        var low = a.InFlight.TrackPrefill(W1, 200, RequestPriority.Low);
        using var bLow = b.InFlight.TrackPrefill(W1, 50, RequestPriority.Low);

        await RefreshAsync(a, b, a);

        Assert.Equal(new RouterInFlight(2, 500, 0, 0, LowPriorityPrefillTokens: 200), b.View.Get(W1));
        Assert.Equal(new RouterInFlight(1, 50, 0, 0, LowPriorityPrefillTokens: 50), a.View.Get(W1)); // B's only, not A's own

        normal.Dispose();
        low.Dispose();
        await RefreshAsync(a, b); // A reports nothing in flight: B's next reading drops A's prefills
        Assert.Equal(RouterInFlight.None, b.View.Get(W1));
    }

    [Fact]
    public async Task WorkerThatLeftThePool_IsForgottenOnTheNextRefresh()
    {
        var (a, b) = (await RouterAsync(W1, W2), await RouterAsync(W1, W2));
        using var onW1 = a.InFlight.TrackPrefill(W1, 100, RequestPriority.Low);
        using var onW2 = a.InFlight.TrackPrefill(W2, 100, RequestPriority.Low);
        await RefreshAsync(a, b);
        Assert.Equal((1, 1), (b.View.Get(W1).Prefills, b.View.Get(W2).Prefills));

        await b.Registry.DeregisterAsync(W1);
        await b.Pool.RefreshAsync();
        await RefreshAsync(b);

        Assert.False(b.View.Readings.ContainsKey(W1), "w1 left B's pool but B's view still holds a reading of it");
        Assert.Equal(RouterInFlight.None, b.View.Get(W1));
        Assert.Equal(new RouterInFlight(1, 100, 0, 0, LowPriorityPrefillTokens: 100), b.View.Get(W2)); // still in the pool: still read
    }

    [Fact]
    public async Task ReportOfARouterThatStoppedRefreshing_LapsesAfterReportTtl()
    {
        var (a, b) = (await RouterAsync(W1), await RouterAsync(W1));
        using var low = a.InFlight.TrackPrefill(W1, 200, RequestPriority.Low);
        var ttl = TierLoadRefresher.ReportTtl(_silo.Services.GetRequiredService<IOptions<RouterTierOptions>>().Value.LoadRefreshInterval);
        var reported = new RouterInFlight(1, 200, 0, 0, LowPriorityPrefillTokens: 200);
        await RefreshAsync(a);

        _clock.Advance(ttl - TimeSpan.FromTicks(1));
        await RefreshAsync(b);
        Assert.Equal(reported, b.View.Get(W1)); // just inside the TTL: counts

        _clock.Advance(TimeSpan.FromTicks(1));
        await RefreshAsync(b);
        Assert.Equal(RouterInFlight.None, b.View.Get(W1)); // A stopped reporting (dead or cut off): lapsed

        await RefreshAsync(a, b);
        Assert.Equal(reported, b.View.Get(W1)); // A's next report counts again
    }

    private static async Task RefreshAsync(params TestRouter[] inOrder)
    {
        foreach (var router in inOrder)
        {
            await router.Refresher.RefreshAsync(CancellationToken.None).WaitAsync(Bound);
        }
    }

    /// <summary>One router: its own identity, registry (holding <paramref name="workers"/>), pool, tracker, view and refresher.</summary>
    private async Task<TestRouter> RouterAsync(params WorkerId[] workers)
    {
        var services = _silo.Services;
        var meters = services.GetRequiredService<IMeterFactory>();
        var tierOptions = services.GetRequiredService<IOptions<RouterTierOptions>>();
        var grains = services.GetRequiredService<IGrainFactory>();
        var instruments = new ClusterStateInstruments(meters);
        var registry = new InMemoryWorkerRegistry(new InMemoryPrefixIndex(instruments), TimeProvider.System, Options.Create(new ClusterStateOptions()), instruments);
        foreach (var id in workers)
        {
            var info = new WorkerInfo(id, WorkerRole.Prefill, CoordinatorHarness.Model, $"http://127.0.0.1:1/{id}", "", 1000, 8);
            Assert.Equal(RegistryOutcome.Accepted, await registry.RegisterAsync(info, WorkerLoad.Idle(1000)));
        }

        var clients = new WorkerClients(Options.Create(new AuthOptions()));
        _owned.Add(clients);
        var inFlight = new InFlightTracker();
        var view = new TierLoadView();
        var pool = new WorkerPool(registry, clients, inFlight, view);
        await pool.RefreshAsync();
        var identity = new RouterIdentity();
        var admission = new GrainDecodeAdmission(grains, inFlight, identity, tierOptions, NullLogger<GrainDecodeAdmission>.Instance);
        var refresher = new TierLoadRefresher(view, pool, admission, grains, identity, tierOptions, TimeProvider.System, meters, NullLogger<TierLoadRefresher>.Instance);
        _owned.Add(refresher);
        return new TestRouter(refresher, view, pool, inFlight, registry);
    }

    private sealed record TestRouter(TierLoadRefresher Refresher, TierLoadView View, WorkerPool Pool, InFlightTracker InFlight, InMemoryWorkerRegistry Registry);

    /// <summary>The grains' clock: stands still until moved (timers and timestamps stay on the system clock).</summary>
    private sealed class HandClock : TimeProvider
    {
        private long _ticks = new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero).UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
