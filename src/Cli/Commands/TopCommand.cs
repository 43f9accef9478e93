using System.CommandLine;
using Cluster.Cli.Top;
using Spectre.Console;

namespace Cluster.Cli.Commands;

/// <summary>
/// <c>cluster top</c>: a live terminal view of a running cluster from the router's and workers' <c>/metrics</c>.
/// The cluster token (when the cluster has one) comes from <c>CLUSTER_TOKEN</c> or <c>Auth__ClusterToken</c>, never
/// from the command line.
/// </summary>
internal static class TopCommand
{
    /// <summary>Environment variables read for the cluster token, in order.</summary>
    public static readonly string[] TokenVariables = ["CLUSTER_TOKEN", "Auth__ClusterToken"];

    public static Command Create()
    {
        var router = new Option<string>("--router") { Description = "The router's HTTP address (its /metrics)", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var workers = new Option<string[]>("--worker") { Description = "A worker's HTTP address (repeat for each); default: the workers the router lists at /workers", AllowMultipleArgumentsPerToken = false };
        var interval = new Option<double>("--interval") { Description = "Seconds between frames (the rate window)", DefaultValueFactory = _ => 1 };
        var iterations = new Option<int>("--iterations") { Description = "Frames to draw before exiting (0: until Ctrl+C)", DefaultValueFactory = _ => 0 };
        var once = new Option<bool>("--once") { Description = "Print one frame as plain text (rates over one --interval) and exit: 1 if a host could not be read" };
        var command = new Command("top", "Live view of a running cluster: workers by role, running/waiting sequences, KV usage, tokens/s, TTFT/TPOT p50/p99, requests by outcome. "
            + "A cluster token is read from CLUSTER_TOKEN or Auth__ClusterToken.") { router, workers, interval, iterations, once };
        command.SetAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(interval);
            if (!Uri.TryCreate(parse.GetValue(router), UriKind.Absolute, out var routerUri) || seconds is <= 0 or > 3600 || parse.GetValue(iterations) < 0)
            {
                await Console.Error.WriteLineAsync("cluster top: --router must be an absolute http(s) address, --interval 0–3600 s, --iterations ≥ 0.");
                return 2;
            }

            var workerUris = new List<Uri>();
            foreach (var w in parse.GetValue(workers) ?? [])
            {
                if (!Uri.TryCreate(w, UriKind.Absolute, out var uri))
                {
                    await Console.Error.WriteLineAsync($"cluster top: --worker '{w}' is not an absolute http(s) address (e.g. http://127.0.0.1:8081).");
                    return 2;
                }

                workerUris.Add(uri);
            }

            var token = TokenVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
            var options = new TopOptions(routerUri, workerUris, TimeSpan.FromSeconds(seconds), parse.GetValue(iterations), token);
            return parse.GetValue(once)
                ? await TopRunner.OnceAsync(options, Console.Out, ct)
                : await TopRunner.LiveAsync(options, AnsiConsole.Console, ct);
        });
        return command;
    }
}
