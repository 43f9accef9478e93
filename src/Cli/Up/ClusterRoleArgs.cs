using System.Globalization;

namespace Cluster.Cli.Up;

/// <summary>
/// The configuration of each role of a <see cref="ClusterSpec"/>: plain settings as command-line arguments
/// (<c>--Section:Key=value</c>) and secrets (<see cref="Secrets"/>: cluster token, API key, Redis password, any
/// <c>--set</c> key that names one) apart, for the environment of a child process: a command line is visible to every
/// user of the machine (<c>ps</c>, /proc/PID/cmdline).
/// </summary>
public static class ClusterRoleArgs
{
    /// <summary>Router arguments: ports, the one served model, credentials, cluster state, extra settings.</summary>
    public static string[] Router(ClusterSpec spec, int grpcPort, int httpPort, string redis)
    {
        var args = Common(spec, grpcPort, httpPort, redis);
        args.Add($"--Router:Models:0:Id={spec.EffectiveModelId}");
        args.Add($"--Router:Models:0:Path={Path.GetFullPath(spec.ModelPath)}");
        if (spec.Routers == 1 && !spec.Settings.ContainsKey("RouterTier:Enabled"))
        {
            // One router needs no tier: a lone router keeps the local behaviour (docs/ARCHITECTURE.md §6).
            args.Add("--RouterTier:Enabled=false");
        }

        return [.. args];
    }

    /// <summary>
    /// Worker arguments (<paramref name="id"/> e.g. <c>prefill-1</c>): its device from the spec's placement and, when it
    /// shares a GPU with other workers of the cluster, its share of that GPU's memory.
    /// </summary>
    public static string[] Worker(ClusterSpec spec, string id, int grpcPort, int httpPort, string redis)
    {
        var args = Common(spec, grpcPort, httpPort, redis);
        args.Add($"--Worker:Id={id}");
        args.Add($"--Worker:ModelPath={Path.GetFullPath(spec.ModelPath)}");
        args.Add($"--Worker:ModelId={spec.EffectiveModelId}");
        var placement = DevicePlacement.For(spec, id);
        args.Add($"--Worker:Device={placement.Device}");
        if (placement.Share is { } share)
        {
            args.Add($"--KvCache:DeviceShare={share.ToString(CultureInfo.InvariantCulture)}");
        }
        args.Add($"--Worker:AdvertiseHost={AdvertiseHost(spec.BindAddress)}");
        if (id.StartsWith("prefill", StringComparison.Ordinal))
        {
            args.AddRange(spec.PrefillSettings.Where(kv => !IsSecret(kv.Key)).Select(kv => $"--{kv.Key}={kv.Value}"));
        }

        return [.. args];
    }

    private static List<string> Common(ClusterSpec spec, int grpcPort, int httpPort, string redis)
    {
        var args = new List<string>
        {
            $"--Hosting:BindAddress={spec.BindAddress}",
            $"--Hosting:GrpcPort={grpcPort.ToString(CultureInfo.InvariantCulture)}",
            $"--Hosting:HttpPort={httpPort.ToString(CultureInfo.InvariantCulture)}",
        };
        if (redis.Length > 0)
        {
            args.Add($"--ClusterState:RedisConnectionString={redis}");
        }

        args.AddRange(spec.Settings.Where(kv => !IsSecret(kv.Key)).Select(kv => $"--{kv.Key}={kv.Value}"));
        return args;
    }

    /// <summary>
    /// The secret settings of a role (<paramref name="role"/> <c>router</c>, <c>router-N</c>, <c>prefill-N</c> or <c>decode-N</c>) as
    /// configuration keys: <c>Auth:ClusterToken</c>, the router's <c>Auth:ApiKeys:0</c>, <c>ClusterState:RedisPassword</c>,
    /// and secret-looking <c>--set</c> keys. Empty values are left out.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Secrets(ClusterSpec spec, string role, string? redisPassword)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var secrets = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (spec.ClusterToken.Length > 0)
        {
            secrets["Auth:ClusterToken"] = spec.ClusterToken;
        }

        // Every router of a tier (router, router-2, ...) checks the API key, not only the first.
        if ((role == "router" || role.StartsWith("router-", StringComparison.Ordinal)) && spec.ApiKey.Length > 0)
        {
            secrets["Auth:ApiKeys:0"] = spec.ApiKey;
        }

        if (!string.IsNullOrEmpty(redisPassword))
        {
            secrets["ClusterState:RedisPassword"] = redisPassword;
        }

        var extra = role.StartsWith("prefill", StringComparison.Ordinal) ? spec.Settings.Concat(spec.PrefillSettings) : spec.Settings;
        foreach (var (key, value) in extra.Where(kv => IsSecret(kv.Key)))
        {
            secrets[key] = value;
        }

        return secrets;
    }

    /// <summary>Secrets as environment variables (ASP.NET Core configuration: <c>Auth:ClusterToken</c> → <c>Auth__ClusterToken</c>).</summary>
    public static IReadOnlyDictionary<string, string> AsEnvironment(IReadOnlyDictionary<string, string> secrets) =>
        secrets.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Secrets as in-memory arguments (in-process roles only: these never reach a process command line).</summary>
    public static IEnumerable<string> AsArguments(IReadOnlyDictionary<string, string> secrets) => secrets.Select(kv => $"--{kv.Key}={kv.Value}");

    /// <summary>Keys kept off command lines: the Auth section and anything named like a password, token or key secret.</summary>
    public static bool IsSecret(string key) =>
        key.StartsWith("Auth:", StringComparison.OrdinalIgnoreCase)
        || key.Contains("Password", StringComparison.OrdinalIgnoreCase)
        || key.Contains("Token", StringComparison.OrdinalIgnoreCase) && !key.Contains("Tokens", StringComparison.OrdinalIgnoreCase)
        || key.Contains("Secret", StringComparison.OrdinalIgnoreCase);

    private static string AdvertiseHost(string bind) => bind is "0.0.0.0" or "::" ? "127.0.0.1" : bind;
}
