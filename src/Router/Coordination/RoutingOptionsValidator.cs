using Cluster.Router.Routing;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Coordination;

/// <summary>Checks <see cref="RoutingOptions"/> at start-up; every message names the setting and what to set.</summary>
public sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    private const string Section = RoutingOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!RoutingPolicyNames.All.Contains(options.PrefillPolicy))
        {
            failures.Add($"{Section}:PrefillPolicy '{options.PrefillPolicy}' is unknown: use one of {string.Join(", ", RoutingPolicyNames.All)}.");
        }

        if (!RoutingPolicyNames.All.Contains(options.DecodePolicy))
        {
            failures.Add($"{Section}:DecodePolicy '{options.DecodePolicy}' is unknown: use one of {string.Join(", ", RoutingPolicyNames.All)}.");
        }

        if (!DisaggregationPolicyNames.All.Contains(options.DisaggregationPolicy))
        {
            failures.Add($"{Section}:DisaggregationPolicy '{options.DisaggregationPolicy}' is unknown: use one of {string.Join(", ", DisaggregationPolicyNames.All)}.");
        }

        Check(failures, options.TransferCostSmoothing is > 0 and <= 1, $"{Section}:TransferCostSmoothing {options.TransferCostSmoothing} must be in (0, 1]: the weight of the newest transfer measurement (default {RoutingOptions.DefaultTransferCostSmoothing}).");
        Check(failures, options.BlockSize is >= 1 and <= 1024, $"{Section}:BlockSize {options.BlockSize} must be 1-1024 and equal the workers' KvCache:BlockSize (default {RoutingOptions.DefaultBlockSize}).");
        Check(failures, options.MinDisaggregatedTokens >= 0, $"{Section}:MinDisaggregatedTokens {options.MinDisaggregatedTokens} must be ≥ 0 (0 = no floor: Routing:DisaggregationPolicy decides).");
        Check(failures, options.MaxQueuedRequests >= 0, $"{Section}:MaxQueuedRequests {options.MaxQueuedRequests} must be ≥ 0 (0 = reject at once when no decode worker has headroom).");
        Check(failures, options.MaxPrefillAttempts >= 1, $"{Section}:MaxPrefillAttempts {options.MaxPrefillAttempts} must be ≥ 1.");
        Check(failures, options.MaxDecodeAttempts >= 1, $"{Section}:MaxDecodeAttempts {options.MaxDecodeAttempts} must be ≥ 1.");
        Check(failures, options.MaxMigrations >= 0, $"{Section}:MaxMigrations {options.MaxMigrations} must be ≥ 0 (0 = fail the request when its decode worker dies).");
        Check(failures, options.DefaultPrefillTokensPerSecond > 0 && double.IsFinite(options.DefaultPrefillTokensPerSecond), $"{Section}:DefaultPrefillTokensPerSecond must be a positive number of tokens per second.");
        Check(failures, options.NoWorkerWait >= TimeSpan.Zero && options.NoWorkerWait <= TimeSpan.FromMinutes(10), $"{Section}:NoWorkerWait {options.NoWorkerWait} must be between 0 and 00:10:00.");
        Check(failures, options.WorkerChannelGrace >= TimeSpan.Zero && options.WorkerChannelGrace <= TimeSpan.FromHours(1), $"{Section}:WorkerChannelGrace {options.WorkerChannelGrace} must be between 0 and 01:00:00 (default {RoutingOptions.DefaultWorkerChannelGrace}; keep it above ClusterState:HeartbeatTtl and Worker:DrainTimeout).");
        Positive(failures, nameof(options.QueueTimeout), options.QueueTimeout);
        Positive(failures, nameof(options.RefreshInterval), options.RefreshInterval);
        Positive(failures, nameof(options.ControlCallTimeout), options.ControlCallTimeout);
        Positive(failures, nameof(options.PrefillTimeout), options.PrefillTimeout);
        Positive(failures, nameof(options.CancelTimeout), options.CancelTimeout);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, bool ok, string message)
    {
        if (!ok)
        {
            failures.Add(message);
        }
    }

    private static void Positive(List<string> failures, string option, TimeSpan value) =>
        Check(failures, value > TimeSpan.Zero && value <= TimeSpan.FromHours(1), $"{Section}:{option} {value} must be positive and at most 01:00:00.");
}
