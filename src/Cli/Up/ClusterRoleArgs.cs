using System.Globalization;

namespace Cluster.Cli.Up;

/// <summary>The command-line configuration (<c>--Section:Key=value</c>) of each role of a <see cref="ClusterSpec"/>.</summary>
public static class ClusterRoleArgs
{
    /// <summary>Router arguments: ports, the one served model, credentials, cluster state, extra settings.</summary>
    public static string[] Router(ClusterSpec spec, int grpcPort, int httpPort, string redis)
    {
        var args = Common(spec, grpcPort, httpPort, redis);
        args.Add($"--Router:Models:0:Id={spec.EffectiveModelId}");
        args.Add($"--Router:Models:0:Path={Path.GetFullPath(spec.ModelPath)}");
        if (spec.ApiKey.Length > 0)
        {
            args.Add($"--Auth:ApiKeys:0={spec.ApiKey}");
        }

        return [.. args];
    }

    /// <summary>Worker arguments (<paramref name="id"/> e.g. <c>prefill-1</c>).</summary>
    public static string[] Worker(ClusterSpec spec, string id, int grpcPort, int httpPort, string redis)
    {
        var args = Common(spec, grpcPort, httpPort, redis);
        args.Add($"--Worker:Id={id}");
        args.Add($"--Worker:ModelPath={Path.GetFullPath(spec.ModelPath)}");
        args.Add($"--Worker:ModelId={spec.EffectiveModelId}");
        args.Add($"--Worker:Device={spec.Device}");
        args.Add($"--Worker:AdvertiseHost={AdvertiseHost(spec.BindAddress)}");
        if (id.StartsWith("prefill", StringComparison.Ordinal))
        {
            args.AddRange(spec.PrefillSettings.Select(kv => $"--{kv.Key}={kv.Value}"));
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

        if (spec.ClusterToken.Length > 0)
        {
            args.Add($"--Auth:ClusterToken={spec.ClusterToken}");
        }

        args.AddRange(spec.Settings.Select(kv => $"--{kv.Key}={kv.Value}"));
        return args;
    }

    private static string AdvertiseHost(string bind) => bind is "0.0.0.0" or "::" ? "127.0.0.1" : bind;
}
