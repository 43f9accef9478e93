using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cluster.Contracts.V1;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench rpc-unary</c>: the router → worker control call's round trip (a <c>cluster.v1.Worker/Reserve</c>-shaped
/// unary call: 64 token ids in, a ticket out) over loopback h2c, one caller and N concurrent callers, p50/p99 of each.
/// Stack: <c>grpc-dotnet</c> (Grpc.Net.Client to a Grpc.AspNetCore host, <see cref="RpcUnaryBenchGrpcDotnet"/>).
/// </summary>
internal static class RpcUnaryBenchCommand
{
    public static Command Create()
    {
        var calls = new Option<int>("--calls") { Description = "Calls measured per caller (after 10% warm-up)", DefaultValueFactory = _ => 5000 };
        var callers = new Option<int>("--callers") { Description = "Concurrent callers of the second row", DefaultValueFactory = _ => 8 };
        var stacks = new Option<string>("--stacks") { Description = "grpc-dotnet (the only stack since issue 13)", DefaultValueFactory = _ => "grpc-dotnet" };
        var command = new Command("rpc-unary", "Router → worker unary round trip (Reserve-shaped) p50/p99 over loopback h2c, per RPC stack.") { calls, callers, stacks };
        command.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(stacks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rpc-unary bench: {parse.GetValue(calls)} calls per caller, loopback h2c, {Environment.ProcessorCount} cores"));
            Console.WriteLine($"{"stack",-12} {"callers",8} {"p50 µs",9} {"p99 µs",9} {"calls/s",9}");
            foreach (var name in names)
            {
                Func<ReserveRequest, CancellationToken, Task<ReserveResponse>> call;
                IAsyncDisposable server;
                IDisposable client;
                switch (name)
                {
                    case "grpc-dotnet":
                        var stock = await RpcUnaryBenchGrpcDotnet.StartAsync();
                        (server, client) = (stock, stock);
                        call = stock.CallAsync;
                        break;
                    default:
                        throw new ArgumentException($"--stacks: unknown stack '{name}'; use grpc-dotnet.");
                }

                await using (server)
                using (client)
                {
                    foreach (var n in new[] { 1, parse.GetValue(callers) })
                    {
                        await MeasureAsync(name, n, parse.GetValue(calls), call, ct);
                    }
                }
            }

            return 0;
        });
        return command;
    }

    internal static ReserveRequest Request()
    {
        var request = new ReserveRequest { RequestId = Guid.NewGuid().ToString("N"), Model = "bench", PromptTokens = 64, MaxNewTokens = 128, Layout = new KvLayout { NumLayers = 32, NumKvHeads = 8, HeadDim = 128, Dtype = KvDtype.Bfloat16, BlockSize = 16 } };
        request.TokenIds.AddRange(Enumerable.Range(1000, 64).Select(i => (uint)i));
        return request;
    }

    internal static ReserveResponse Answer(ReserveRequest request) => new()
    {
        Ticket = "0123456789abcdef0123456789abcdef", NumBlocks = (request.PromptTokens + request.MaxNewTokens + 15) / 16, LeaseExpiresUnixMs = 1, Layout = request.Layout,
    };

    private static async Task MeasureAsync(string stack, int callers, int calls, Func<ReserveRequest, CancellationToken, Task<ReserveResponse>> call, CancellationToken cancellationToken)
    {
        var request = Request();
        var times = new List<double>[callers];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async c =>
        {
            var mine = times[c] = new List<double>(calls);
            for (var i = 0; i < calls + calls / 10; i++)
            {
                var started = Stopwatch.GetTimestamp();
                _ = await call(request, cancellationToken);
                if (i >= calls / 10) { mine.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds); }
            }
        }));
        var elapsed = watch.Elapsed.TotalSeconds;
        var all = times.SelectMany(t => t).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{stack,-12} {callers,8} {all[all.Length / 2],9:F0} {all[(int)(all.Length * 0.99)],9:F0} {callers * (calls + calls / 10) / elapsed,9:F0}"));
    }
}
