using Cluster.Core.Ids;

namespace Cluster.ClusterState.Events;

/// <summary>
/// Consecutive KV events of one worker for one model, applied to the prefix index atomically.
/// The events' sequence numbers run <see cref="FirstSequence"/>, +1, …, <see cref="LastSequence"/> with no holes.
/// </summary>
public sealed record KvEventBatch
{
    public KvEventBatch(WorkerId worker, ModelId model, IReadOnlyList<KvEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException($"KV event batch of worker '{worker}' is empty: publish batches of at least one event.", nameof(events));
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Sequence != events[0].Sequence + i)
            {
                throw new ArgumentException(
                    $"KV event batch of worker '{worker}' is not consecutive at index {i}: expected sequence {events[0].Sequence + i}, got {events[i].Sequence}. " +
                    "Number events 1, 2, 3, … per worker without holes.",
                    nameof(events));
            }
        }

        if (events[0].Sequence < 1)
        {
            throw new ArgumentException($"KV event sequence numbers start at 1; worker '{worker}' sent {events[0].Sequence}.", nameof(events));
        }

        Worker = worker;
        Model = model;
        Events = events;
    }

    /// <summary>The worker that published the events.</summary>
    public WorkerId Worker { get; }

    /// <summary>The model whose cache the events describe.</summary>
    public ModelId Model { get; }

    /// <summary>The events, in order.</summary>
    public IReadOnlyList<KvEvent> Events { get; }

    /// <summary>Sequence number of the first event.</summary>
    public long FirstSequence => Events[0].Sequence;

    /// <summary>Sequence number of the last event.</summary>
    public long LastSequence => Events[^1].Sequence;
}
