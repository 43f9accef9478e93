using System.CommandLine;
using Cluster.Cli.Commands;

var root = new RootCommand("cluster: a disaggregated prefill/decode LLM serving cluster")
{
    BenchCommand.Create(),
    HealthCommand.Create(),
    MakeModelCommand.Create(),
    GenerateCommand.Create(),
    UpCommand.Create(),
    TopCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
