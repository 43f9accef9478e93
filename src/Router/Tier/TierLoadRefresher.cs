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
/// Every <c>RouterTier:LoadRefreshInterval</c> (250 ms), reads from each live decode worker's
/// <see cref="IWorkerAdmissionGrain"/> the work every other router admitted there (one call per decode worker, all at
/// once, off the decision path) into <see cref="TierLoadView"/>. Also the gauges <c>cluster.router.tier.admitted_requests</c>
/// and <c>admitted_blocks</c> (tag worker): every router's admitted work on each decode worker, as this router last saw it.
/// </summary>
public sealed partial class TierLoadRefresher(
    TierLoadView view, WorkerPool pool, GrainDecodeAdmission admission, IGrainFactory grains, RouterIdentity router, IOptions<RouterTierOptions> options,
    TimeProvider time, IMeterFactory meters, ILogger<TierLoadRefresher> logger) : BackgroundService
{
    public const string AdmittedRequests = "cluster.router.tier.admitted_requests";
    public const string AdmittedBlocks = "cluster.router.tier.admitted_blocks";

    /// <summary>Reads every live decode worker's grain once (the loop's step).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var workers = pool.Workers.Where(w => w.Info.Role is WorkerRole.Decode or WorkerRole.Colocated).Select(w => w.Info.Id).ToList();
        await Task.WhenAll(workers.Select(async worker =>
        {
            try
            {
                view.Set(worker, await grains.GetGrain<IWorkerAdmissionGrain>(worker.Value).GetOtherRoutersLoadAsync(router.Id)
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading other routers' admitted work on {Worker} failed ({Error}); counted as none until the next refresh")]
    private static partial void LogRefreshFailed(ILogger logger, string worker, string error);
}
