using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cluster.ClusterState;

/// <summary>Metrics of cluster state (meter <see cref="MeterName"/>), created through <see cref="IMeterFactory"/>.</summary>
public sealed class ClusterStateInstruments
{
    public const string MeterName = "Cluster.ClusterState";
    public const string LookupsName = "cluster.state.lookups";
    public const string LookupDurationName = "cluster.state.lookup.duration";
    public const string RedisErrorsName = "cluster.state.redis.errors";
    public const string ResyncsName = "cluster.state.resyncs";
    public const string EventsAppliedName = "cluster.state.events.applied";
    public const string WorkersExpiredName = "cluster.state.workers.expired";

    private readonly Counter<long> _lookups;
    private readonly Histogram<double> _lookupDuration;
    private readonly Counter<long> _redisErrors;
    private readonly Counter<long> _resyncs;
    private readonly Counter<long> _eventsApplied;
    private readonly Counter<long> _workersExpired;

    public ClusterStateInstruments(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _lookups = meter.CreateCounter<long>(LookupsName, "{lookup}", "Prefix-index lookups by outcome (hit, miss, unavailable).");
        _lookupDuration = meter.CreateHistogram<double>(LookupDurationName, "s", "Duration of one prefix-index lookup, including the Redis round trip.");
        _redisErrors = meter.CreateCounter<long>(RedisErrorsName, "{error}", "Redis calls that failed or timed out, by operation.");
        _resyncs = meter.CreateCounter<long>(ResyncsName, "{resync}", "Event batches answered with resync-required, by reason (gap, unavailable).");
        _eventsApplied = meter.CreateCounter<long>(EventsAppliedName, "{event}", "KV events applied to the prefix index.");
        _workersExpired = meter.CreateCounter<long>(WorkersExpiredName, "{worker}", "Workers removed because their heartbeat expired.");
    }

    public void LookupCompleted(string outcome, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _lookups.Add(1, tag);
        _lookupDuration.Record(duration.TotalSeconds, tag);
    }

    public void RedisError(string operation) => _redisErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void ResyncRequested(string reason) => _resyncs.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void EventsApplied(int count) => _eventsApplied.Add(count);

    public void WorkersExpired(int count)
    {
        if (count > 0)
        {
            _workersExpired.Add(count);
        }
    }

    /// <summary>Lookup outcome tag values.</summary>
    public static class Outcomes
    {
        public const string Hit = "hit";
        public const string Miss = "miss";
        public const string Unavailable = "unavailable";
    }

    /// <summary>Resync reason tag values.</summary>
    public static class Reasons
    {
        public const string Gap = "gap";
        public const string Unavailable = "unavailable";
    }

    internal static TimeSpan Since(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp);
}
