using Cluster.ClusterState;
using Cluster.ClusterState.Events;
using Cluster.Worker.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using EngineEvents = Cluster.Engine.KvCache;

namespace Cluster.Worker.State;

/// <summary>
/// Moves the engine's prefix-cache events into the cluster's prefix index every <c>Worker:KvEventInterval</c>, as
/// consecutive batches. A gap, a refusal (<see cref="IndexWriteOutcome.ResyncRequired"/>, e.g. Redis down or
/// restarted) or a re-registration makes it re-publish the full block set until that is applied; requests never wait on it.
/// </summary>
internal sealed partial class KvEventPublisher(
    IPrefixIndex index,
    WorkerIdentity identity,
    WorkerEngine engine,
    KvIndexResync resync,
    Requests.WorkerDrain drain,
    IHostApplicationLifetime lifetime,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<KvEventPublisher> logger) : BackgroundService
{
    private bool _needFull;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.KvEventInterval, time);
        do
        {
            if (drain.IsDraining) return;   // deregistered: publishing now would bring the entries back
            try
            {
                await PublishAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _needFull = true;
                LogPublishFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One round: drain the engine's events and apply them, or re-publish everything when needed.</summary>
    internal async Task PublishAsync(CancellationToken cancellationToken)
    {
        var events = engine.Engine.DrainKvEvents();
        _needFull |= resync.Take();
        if (_needFull)
        {
            // The snapshot reflects every event drained so far (and maybe some not drained yet: those are skipped later).
            var (hashes, last) = engine.Engine.KvCacheSnapshot();
            var outcome = await index.ReplaceAllAsync(identity.Model, identity.Id, hashes, last, cancellationToken).ConfigureAwait(false);
            if (outcome == IndexWriteOutcome.Applied)
            {
                _needFull = false;
                resync.LastPublished = last;
                LogRepublished(logger, hashes.Count, last);
            }

            return;
        }

        var pending = events.Where(e => e.Sequence > resync.LastPublished).ToList();
        if (pending.Count == 0) return;
        if (pending[0].Sequence != resync.LastPublished + 1)
        {
            _needFull = true;
            return;
        }

        var batch = new KvEventBatch(identity.Id, identity.Model, [.. pending.Select(ToIndexEvent)]);
        if (await index.ApplyAsync(batch, cancellationToken).ConfigureAwait(false) == IndexWriteOutcome.Applied)
        {
            resync.LastPublished = batch.LastSequence;
        }
        else
        {
            _needFull = true;
        }
    }

    private static KvEvent ToIndexEvent(EngineEvents.KvCacheEvent e) => e switch
    {
        EngineEvents.BlockStoredEvent stored => new BlockStoredEvent(stored.Sequence, stored.Hashes),
        EngineEvents.BlockRemovedEvent removed => new BlockRemovedEvent(removed.Sequence, removed.Hashes),
        EngineEvents.AllClearedEvent cleared => new AllClearedEvent(cleared.Sequence),
        _ => throw new InvalidOperationException($"Unknown KV cache event {e.GetType().Name}."),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Re-published {Blocks} cached blocks to the prefix index (through event {Sequence})")]
    private static partial void LogRepublished(ILogger logger, int blocks, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing KV events failed; re-publishing the full block set on the next round")]
    private static partial void LogPublishFailed(ILogger logger, Exception error);
}
