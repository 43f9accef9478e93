using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Cluster.Router.Orleans.Hosting;

/// <summary>
/// Bounds a stop of a Redis-clustered silo. Orleans retries each membership table write of a stop (ShuttingDown or
/// Stopping, then Dead) for <see cref="ClusterMembershipOptions.MaxJoinAttemptTime"/>, without the host's shutdown token:
/// with Redis gone a stop took two of those (two minutes measured). When the host starts stopping, this lowers it to
/// <c>RouterTier:MembershipWriteTimeout</c>; it stays Orleans' default while the silo runs, because the same value also
/// bounds a join, and a silo joining for longer is evicted by the others (a busy machine needs more than seconds).
/// </summary>
public sealed class MembershipStopBound(IHostApplicationLifetime lifetime, IOptions<ClusterMembershipOptions> membership, IOptions<RouterTierOptions> tier) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The silo's membership services read this options instance at every write.
        lifetime.ApplicationStopping.Register(() => membership.Value.MaxJoinAttemptTime = tier.Value.MembershipWriteTimeout);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
