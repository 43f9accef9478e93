namespace Cluster.ClusterState;

/// <summary>Options of section <see cref="SectionName"/>; validated at start-up by <see cref="ClusterStateOptionsValidator"/>.</summary>
public sealed class ClusterStateOptions
{
    public const string SectionName = "ClusterState";
    public const string DefaultKeyPrefix = "cl:";
    public static readonly TimeSpan DefaultHeartbeatTtl = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultSweepInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultOperationTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or <c>redis.internal:6380,ssl=true</c>.
    /// Empty: in-memory state in this process. Keep the password out of it: use <see cref="RedisPassword"/>.
    /// </summary>
    public string RedisConnectionString { get; set; } = "";

    /// <summary>Redis AUTH password (set it by environment, <c>ClusterState__RedisPassword</c>, or a secret file; never on a command line). Overrides a <c>password=</c> in the connection string.</summary>
    public string? RedisPassword { get; set; }

    /// <summary>Connect with TLS (as <c>ssl=true</c> in the connection string).</summary>
    public bool RedisTls { get; set; }

    /// <summary>Prefix of every Redis key (README.md lists the keys).</summary>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>A worker not heard from for this long is dead.</summary>
    public TimeSpan HeartbeatTtl { get; set; } = DefaultHeartbeatTtl;

    /// <summary>How often dead workers and their prefix-index entries are removed.</summary>
    public TimeSpan SweepInterval { get; set; } = DefaultSweepInterval;

    /// <summary>Longest wait for one Redis call; past it the call counts as failed (lookups answer "no overlap").</summary>
    public TimeSpan OperationTimeout { get; set; } = DefaultOperationTimeout;

    /// <summary>True when a Redis connection string is set.</summary>
    public bool UsesRedis => !string.IsNullOrWhiteSpace(RedisConnectionString);
}
