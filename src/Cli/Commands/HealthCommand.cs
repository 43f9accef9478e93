using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster health --address URL</c>: asks a host's <c>grpc.health.v1.Health</c>, optionally waiting until it serves.</summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "gRPC address of the host, e.g. http://127.0.0.1:50051", Required = true };
        var service = new Option<string>("--service") { Description = "Service name to check (empty = the whole host)", DefaultValueFactory = _ => "" };
        var wait = new Option<int>("--wait") { Description = "Seconds to keep retrying until the host answers SERVING (0 = ask once)", DefaultValueFactory = _ => 0 };
        var command = new Command("health", "Check a cluster host's gRPC health.") { address, service, wait };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(address)!, parse.GetValue(service)!, parse.GetValue(wait), ct));
        return command;
    }

    private static async Task<int> RunAsync(string address, string service, int waitSeconds, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var client = new Health.HealthClient(channel);
        var until = DateTime.UtcNow.AddSeconds(waitSeconds);
        using var retry = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (true)
        {
            string outcome;
            try
            {
                var response = await client.CheckAsync(
                    new HealthCheckRequest { Service = service },
                    new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken));
                outcome = response.Status.ToString().ToUpperInvariant();
                if (response.Status == ServingStatus.Serving)
                {
                    Console.WriteLine($"{address} {outcome}");
                    return 0;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && !cancellationToken.IsCancellationRequested)
            {
                outcome = $"NotFound: the host has no health status for service '{service}' (\"\" = the whole host)";
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                outcome = $"{e.StatusCode}: {e.Status.Detail}";
            }

            if (DateTime.UtcNow >= until)
            {
                await Console.Error.WriteLineAsync($"{address} is not serving ({outcome}).");
                return 1;
            }

            await retry.WaitForNextTickAsync(cancellationToken);
        }
    }
}
