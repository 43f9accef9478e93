using Cluster.Router.Orleans.Grains;
using Cluster.Router.Orleans.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Tier;

/// <summary>
/// Every third of <c>RouterTier:AdmissionLease</c>, renews this router's admissions on each worker grain where it holds
/// some, carrying them (request ids and blocks): a grain that reactivated empty after its silo died re-learns them. A
/// router that dies stops renewing: its admissions expire within the lease, so no worker stays inflated.
/// </summary>
public sealed partial class AdmissionLeaseRenewer(
    GrainDecodeAdmission admission, IGrainFactory grains, RouterIdentity router, IOptions<RouterTierOptions> options, TimeProvider time,
    ILogger<AdmissionLeaseRenewer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = options.Value.AdmissionLease;
        using var timer = new PeriodicTimer(lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var (worker, live) in admission.Live)
                {
                    try
                    {
                        var reseeded = await grains.GetGrain<IWorkerAdmissionGrain>(worker.Value).RenewAsync(new AdmissionRenewal(router.Id, lease, live))
                            .WaitAsync(stoppingToken).ConfigureAwait(false);
                        if (reseeded > 0)
                        {
                            LogReseeded(logger, reseeded, worker.Value);
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogRenewFailed(logger, worker.Value, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-seeded {Count} live admissions of this router on {Worker} (its grain had reactivated empty)")]
    private static partial void LogReseeded(ILogger logger, int count, string worker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing this router's admissions on {Worker} failed ({Error}); retried at the next tick")]
    private static partial void LogRenewFailed(ILogger logger, string worker, string error);
}
