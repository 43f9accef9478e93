using System.CommandLine;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster bench ...</c>: benchmarks that print each figure next to its bound measured in the same run.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Run a benchmark; every figure is printed next to a bound or peer measured in the same run.");
        // Sub-commands register here, one line each: bench.Subcommands.Add(XxxBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.EngineBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.TokenizerBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.RpcBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.RpcUnaryBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.RouterIndexBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.RouterDecisionBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.KvTransferBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.BatchBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.ServeBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.ClusterTtftBenchCommand.Create());
        bench.Subcommands.Add(Cluster.Cli.Bench.DisaggBenchCommand.Create());
        return bench;
    }
}
