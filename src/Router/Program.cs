using Cluster.Router;

await RouterApp.Build(args).RunAsync();
