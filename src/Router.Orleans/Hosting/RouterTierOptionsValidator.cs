using System.Net;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Orleans.Hosting;

/// <summary>Fails start-up on a <c>RouterTier</c> section that cannot work.</summary>
/// <param name="environment">Reads an environment variable (default: the process's).</param>
/// <param name="redisClustering">Whether <c>ClusterState:RedisConnectionString</c> is set.</param>
public sealed class RouterTierOptionsValidator(Func<string, string?>? environment = null, bool redisClustering = false) : IValidateOptions<RouterTierOptions>
{
    private readonly Func<string, string?> _environment = environment ?? Environment.GetEnvironmentVariable;

    public ValidateOptionsResult Validate(string? name, RouterTierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Enabled && KubernetesHosting.Problem(options.KubernetesHosting, _environment, redisClustering) is { } kubernetes)
        {
            errors.Add(kubernetes);
        }

        if (options.SiloPort is < 0 or > 65535 || options.GatewayPort is < 0 or > 65535)
        {
            errors.Add($"RouterTier:SiloPort ({options.SiloPort}) and RouterTier:GatewayPort ({options.GatewayPort}) must be 0 (free port) or 1-65535.");
        }

        if (!IPAddress.TryParse(options.AdvertisedAddress, out _))
        {
            errors.Add($"RouterTier:AdvertisedAddress '{options.AdvertisedAddress}' is not an IP address: set the address other routers reach this one at.");
        }

        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            errors.Add("RouterTier:ClusterId is empty: routers of one cluster share one id.");
        }

        if (options.AdmissionLease < TimeSpan.FromSeconds(1) || options.AdmissionPushback <= TimeSpan.Zero || options.ShutdownTimeout <= TimeSpan.Zero)
        {
            errors.Add("RouterTier:AdmissionLease must be at least 1 s, RouterTier:AdmissionPushback and RouterTier:ShutdownTimeout positive.");
        }

        if (options.LoadRefreshInterval < TimeSpan.FromMilliseconds(10))
        {
            errors.Add($"RouterTier:LoadRefreshInterval ({options.LoadRefreshInterval}) must be at least 10 ms (it paces one grain call per decode worker).");
        }

        if (options.MembershipWriteTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add($"RouterTier:MembershipWriteTimeout ({options.MembershipWriteTimeout}) must be at least 1 s (a membership write to Redis takes up to its timeout).");
        }

        if (options.MembershipCheckInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"RouterTier:MembershipCheckInterval ({options.MembershipCheckInterval}) must be at least 100 ms (each check reads the membership table from Redis).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
