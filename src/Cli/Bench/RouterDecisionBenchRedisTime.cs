using System.Globalization;
using StackExchange.Redis;

namespace Cluster.Cli.Bench;

/// <summary>
/// Redis' own time in the prefix lookup's script (<c>INFO commandstats</c>, <c>eval</c> + <c>evalsha</c>): read
/// before and after the measured loop, the difference per call is what Redis spends running the script, apart from
/// the round trip and the client's work.
/// </summary>
internal readonly record struct RouterDecisionBenchRedisTime(long Calls, long Micros)
{
    /// <summary>An admin connection (INFO is one) to <paramref name="address"/>, apart from the measured one.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string address)
    {
        var options = ConfigurationOptions.Parse(address);
        options.AllowAdmin = true;
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }

    public static async Task<RouterDecisionBenchRedisTime> ReadAsync(ConnectionMultiplexer admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var info = await admin.GetServers()[0].InfoRawAsync("commandstats").ConfigureAwait(false);
        long calls = 0, micros = 0;
        foreach (var line in (info ?? "").Split('\n'))
        {
            if (!line.StartsWith("cmdstat_eval:", StringComparison.Ordinal) && !line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var field in line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split(','))
            {
                var (name, value) = (field.Split('=')[0], field.Split('=')[^1]);
                calls += name == "calls" ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
                micros += name == "usec" ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
            }
        }

        return new RouterDecisionBenchRedisTime(calls, micros);
    }

    /// <summary>Microseconds per script call between <paramref name="before"/> and this reading; NaN without calls.</summary>
    public double PerCallSince(RouterDecisionBenchRedisTime before) =>
        Calls > before.Calls ? (double)(Micros - before.Micros) / (Calls - before.Calls) : double.NaN;
}
