using System.Diagnostics.Metrics;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Orleans.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Tier;

/// <summary>
/// Every <c>RouterTier:LoadRefreshInterval</c> (250 ms), one call per live worker (all at once, off the decision path) to
/// its <see cref="IWorkerAdmissionGrain"/> (<see cref="IWorkerAdmissionGrain.ExchangeLoadAsync"/>): it reports this
/// router's prefills in flight there (from <see cref="InFlightTracker"/>) and reads every other router's admitted decodes
/// and reported prefills into <see cref="TierLoadView"/>. A report lapses after <see cref="ReportTtl"/> (four intervals,
/// at least 1 s), so a dead router's prefills stop counting within about a second. Also the gauges <c>cluster.router.tier.admitted_requests</c>
/// and <c>admitted_blocks</c> (tag worker): every router's admitted work on each worker, as this router last saw it
/// (prefill-only workers show 0).
/// </summary>
public sealed partial class TierLoadRefresher(
    TierLoadView view, WorkerPool pool, GrainDecodeAdmission admission, IGrainFactory grains, RouterIdentity router, IOptions<RouterTierOptions> options,
    TimeProvider time, IMeterFactory meters, ILogger<TierLoadRefresher> logger) : BackgroundService
{
    public const string AdmittedRequests = "cluster.router.tier.admitted_requests";
    public const string AdmittedBlocks = "cluster.router.tier.admitted_blocks";

    /// <summary>How long a prefill report counts without the next one: four refresh intervals, at least 1 s.</summary>
    public static TimeSpan ReportTtl(TimeSpan refreshInterval) => TimeSpan.FromTicks(Math.Max(refreshInterval.Ticks * 4, TimeSpan.TicksPerSecond));

    /// <summary>Reports this router's prefills to, and reads the others' work from, every live worker's grain once (the loop's step).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var workers = pool.Workers.Select(w => w.Info.Id).ToList();
        var ttl = ReportTtl(options.Value.LoadRefreshInterval);
        await Task.WhenAll(workers.Select(async worker =>
        {
            try
            {
                var own = pool.InFlight.Get(worker);
                var report = new PrefillLoadReport(router.Id, own.Prefills, own.PrefillTokens, ttl, own.LowPriorityPrefillTokens);
                view.Set(worker, await grains.GetGrain<IWorkerAdmissionGrain>(worker.Value).ExchangeLoadAsync(report)
                    .WaitAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                view.Forget(worker);
                LogRefreshFailed(logger, worker.Value, e.Message);
            }
        })).ConfigureAwait(false);
        foreach (var gone in view.Readings.Keys.Except(workers).ToList())
        {
            view.Forget(gone);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var meter = meters.Create(CoordinatorInstruments.MeterName);
        meter.CreateObservableGauge(AdmittedRequests, () => Measure(s => s.Requests, admission.LiveOn), "{request}",
            "Requests admitted to each decode worker by every router of the tier, as this router last read them (tag worker)");
        meter.CreateObservableGauge(AdmittedBlocks, () => Measure(s => s.Blocks, admission.LiveBlocksOn), "{block}",
            "KV blocks of the requests admitted to each decode worker by every router of the tier (tag worker)");
        using var timer = new PeriodicTimer(options.Value.LoadRefreshInterval, time);
        try
        {
            do
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private IEnumerable<Measurement<int>> Measure(Func<WorkerLoadShare, int> others, Func<WorkerId, int> own) =>
        view.Readings.Select(kv => new Measurement<int>(others(kv.Value) + own(kv.Key), new KeyValuePair<string, object?>("worker", kv.Key.Value)));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Exchanging prefill load and reading other routers' admitted work on {Worker} failed ({Error}); counted as none until the next refresh")]
    private static partial void LogRefreshFailed(ILogger logger, string worker, string error);
}
