using System.CommandLine;
using Cluster.Cli.Up;

namespace Cluster.Cli.Commands;

/// <summary>
/// <c>cluster up</c>: a router, prefill and decode workers on one machine, in one process with embedded state (default)
/// or as child processes sharing Redis (<c>--redis</c>); prints how to call it, then serves until Ctrl+C
/// (or sends one streamed request and exits with <c>--smoke</c>).
/// </summary>
internal static class UpCommand
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Hugging Face model directory (default: a generated tiny model in --cache-dir)" };
        var modelId = new Option<string>("--model-id") { Description = "Model id clients use (default: the directory's name)", DefaultValueFactory = _ => "" };
        var cacheDir = new Option<string>("--cache-dir") { Description = "Where the generated tiny model is kept", DefaultValueFactory = _ => ModelCache.DefaultDirectory };
        var redis = new Option<string?>("--redis")
        {
            Description = "Run the roles as child processes sharing Redis: a connection string (host:port), or no value to start a local redis-server",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var grpcPort = new Option<int>("--grpc-port") { Description = "Router gRPC port (0 = free port)", DefaultValueFactory = _ => ClusterSpec.DefaultRouterGrpcPort };
        var httpPort = new Option<int>("--http-port") { Description = "Router HTTP port: OpenAI API (0 = free port)", DefaultValueFactory = _ => ClusterSpec.DefaultRouterHttpPort };
        var prefill = new Option<int>("--prefill") { Description = "Prefill workers", DefaultValueFactory = _ => 1 };
        var routers = new Option<int>("--routers") { Description = "Router processes forming one Orleans router tier (needs --redis when more than 1)", DefaultValueFactory = _ => 1 };
        var decode = new Option<int>("--decode") { Description = "Decode workers", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "Workers' device: cpu, cuda or cuda:N (workers on one GPU share its memory: 1/n each)", DefaultValueFactory = _ => "cpu" };
        var (prefillDevices, decodeDevices) = DevicePlacementOptions();
        var apiKey = new Option<string>("--api-key") { Description = "Require this client API key (Authorization: Bearer KEY); better: environment variable Auth__ApiKeys__0", DefaultValueFactory = _ => "" };
        var clusterToken = new Option<string>("--cluster-token") { Description = "Token on internal APIs (router → workers, prefill → decode); better: environment variable Auth__ClusterToken", DefaultValueFactory = _ => "" };
        var settings = new Option<string[]>("--set") { Description = "More configuration for every role, KEY=VALUE (e.g. Routing:PrefillPolicy=round-robin)", AllowMultipleArgumentsPerToken = false };
        var logDir = new Option<string?>("--log-dir") { Description = "Log folder of the child processes (--redis; default: a new temporary folder)" };
        var smoke = new Option<bool>("--smoke") { Description = "Send one streamed chat request through the router, print it, stop; exit code 0 only if it succeeded" };
        var demo = new Option<bool>("--demo") { Description = "Send one streamed chat request through the router and print it, then keep serving" };
        var verbose = new Option<bool>("--verbose") { Description = "In-process mode: show the hosts' Information logs" };
        var command = new Command("up", "Start a local cluster: router + prefill + decode workers (one process by default; --redis: processes + Redis).")
        {
            model, modelId, cacheDir, redis, grpcPort, httpPort, routers, prefill, decode, device, prefillDevices, decodeDevices, apiKey, clusterToken, settings, logDir, smoke, demo, verbose,
        };
        command.SetAction((parse, ct) =>
        {
            var options = new UpRunner.Options(
                parse.GetValue(model), parse.GetValue(modelId)!, parse.GetValue(cacheDir)!,
                parse.GetResult(redis) is not null, parse.GetValue(redis),
                parse.GetValue(grpcPort), parse.GetValue(httpPort), parse.GetValue(prefill), parse.GetValue(decode),
                parse.GetValue(device)!, OrEnvironment(parse.GetValue(apiKey), "Auth__ApiKeys__0"), OrEnvironment(parse.GetValue(clusterToken), "Auth__ClusterToken"),
                ParseSettings(parse.GetValue(settings) ?? []), parse.GetValue(logDir), parse.GetValue(smoke), parse.GetValue(demo), parse.GetValue(verbose))
            {
                Routers = parse.GetValue(routers),
                PrefillDevices = parse.GetValue(prefillDevices),
                DecodeDevices = parse.GetValue(decodeDevices),
            };
            return UpRunner.RunAsync(options, ReadyTimeout, ct);
        });
        return command;
    }

    /// <summary>
    /// <c>--prefill-devices</c> and <c>--decode-devices</c> (also on the benchmarks that start a cluster): per-worker
    /// placement, parsed by <see cref="DevicePlacement.ParseList"/>.
    /// </summary>
    public static (Option<string?> Prefill, Option<string?> Decode) DevicePlacementOptions() =>
    (
        new Option<string?>(DevicePlacement.PrefillOption)
        {
            Description = "Prefill workers' devices, comma list: one per worker or one for all, e.g. cuda:0 or cuda:0,cuda:1 (default: --device); " +
                "CPU and GPU workers are not mixed",
        },
        new Option<string?>(DevicePlacement.DecodeOption)
        {
            Description = "Decode workers' devices, comma list: one per worker or one for all, e.g. cuda:1 or cuda:0,cuda:1 (default: --device); " +
                "2 colocated replicas on 2 GPUs: --prefill 0 --decode 2 --decode-devices cuda:0,cuda:1",
        }
    );

    /// <summary>A secret from its option, else from the environment (which, unlike this process's command line, other users cannot read).</summary>
    private static string OrEnvironment(string? value, string variable) =>
        value is { Length: > 0 } ? value : Environment.GetEnvironmentVariable(variable) ?? "";

    private static Dictionary<string, string> ParseSettings(string[] pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--set '{pair}' is not KEY=VALUE (e.g. --set Routing:PrefillPolicy=round-robin).");
            }

            result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }

        return result;
    }
}
