using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cluster.ClusterState;

/// <summary>Checks <see cref="ClusterStateOptions"/> at start-up; every message says which setting to fix.</summary>
public sealed class ClusterStateOptionsValidator : IValidateOptions<ClusterStateOptions>
{
    private const string Section = ClusterStateOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ClusterStateOptions options)
    {
        var failures = new List<string>();
        if (options.UsesRedis)
        {
            try
            {
                var parsed = ConfigurationOptions.Parse(options.RedisConnectionString);
                if (parsed.EndPoints.Count == 0)
                {
                    failures.Add($"{Section}:RedisConnectionString '{options.RedisConnectionString}' names no endpoint: use host:port, e.g. 127.0.0.1:6379, or leave it empty for in-memory state.");
                }
            }
            catch (ArgumentException e)
            {
                failures.Add($"{Section}:RedisConnectionString is not a valid StackExchange.Redis configuration string ({e.Message}): use host:port[,option=value...].");
            }
        }

        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Any(char.IsWhiteSpace) || options.KeyPrefix.Length > 64)
        {
            failures.Add($"{Section}:KeyPrefix '{options.KeyPrefix}' must be 1-64 characters without spaces (default '{ClusterStateOptions.DefaultKeyPrefix}').");
        }

        if (options.HeartbeatTtl < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{Section}:HeartbeatTtl {options.HeartbeatTtl} is too short: set at least 00:00:00.1 (default {ClusterStateOptions.DefaultHeartbeatTtl}).");
        }

        if (options.SweepInterval <= TimeSpan.Zero || options.SweepInterval > options.HeartbeatTtl)
        {
            failures.Add($"{Section}:SweepInterval {options.SweepInterval} must be positive and at most {Section}:HeartbeatTtl ({options.HeartbeatTtl}), so dead workers go within two TTLs.");
        }

        if (options.OperationTimeout <= TimeSpan.Zero || options.OperationTimeout > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{Section}:OperationTimeout {options.OperationTimeout} must be between 0 and 30 s (default {ClusterStateOptions.DefaultOperationTimeout}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
