using Cluster.PrefillWorker;

await PrefillWorkerApp.Build(args).RunAsync();
