using Cluster.DecodeWorker;

await DecodeWorkerApp.Build(args).RunAsync();
