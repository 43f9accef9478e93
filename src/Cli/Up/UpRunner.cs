namespace Cluster.Cli.Up;

/// <summary>What <c>cluster up</c> does once its options are parsed: model, cluster, banner, then smoke request or serve until stopped.</summary>
internal static class UpRunner
{
    public const string SmokePrompt = "Say hello to the cluster.";
    public const int SmokeMaxTokens = 24;

    public sealed record Options(
        string? Model, string ModelId, string CacheDir, bool UseRedis, string? RedisConnection,
        int GrpcPort, int HttpPort, int Prefill, int Decode, string Device, string ApiKey, string ClusterToken,
        IReadOnlyDictionary<string, string> Settings, string? LogDir, bool Smoke, bool Demo, bool Verbose)
    {
        /// <summary>Router processes (<c>--routers</c>); more than one needs <c>--redis</c>.</summary>
        public int Routers { get; init; } = 1;

        /// <summary><c>--prefill-devices</c>: comma list, one device per prefill worker or one for all (null: <c>--device</c>).</summary>
        public string? PrefillDevices { get; init; }

        /// <summary><c>--decode-devices</c>: comma list, one device per decode worker or one for all (null: <c>--device</c>).</summary>
        public string? DecodeDevices { get; init; }
    }

    public static async Task<int> RunAsync(Options o, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        var modelPath = o.Model;
        if (modelPath is null)
        {
            modelPath = ModelCache.EnsureTinyModel(o.CacheDir, out var created);
            Console.Error.WriteLine(created
                ? $"wrote a generated tiny model (random weights: the text is noise, the path is real) to {modelPath}"
                : $"using the generated tiny model in {modelPath}");
        }

        ClusterSpec spec;
        try
        {
            spec = new ClusterSpec
            {
                ModelPath = modelPath, ModelId = o.ModelId, RouterGrpcPort = o.GrpcPort, RouterHttpPort = o.HttpPort,
                PrefillWorkers = o.Prefill, DecodeWorkers = o.Decode, Device = o.Device, ApiKey = o.ApiKey, ClusterToken = o.ClusterToken,
                Settings = o.Settings, Routers = o.Routers,
                PrefillDevices = DevicePlacement.ParseList(o.PrefillDevices, DevicePlacement.PrefillOption),
                DecodeDevices = DevicePlacement.ParseList(o.DecodeDevices, DevicePlacement.DecodeOption),
            };
            if (o.Routers > 1 && !o.UseRedis)
            {
                throw new ArgumentException($"--routers {o.Routers} needs --redis: the routers form one cluster on Redis (the in-process mode runs one router).");
            }

            spec.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"cluster up: {e.Message}");
            return 2;
        }

        Console.Error.WriteLine(o.UseRedis
            ? $"starting {o.Routers} router(s) + {o.Prefill} prefill + {o.Decode} decode worker processes with Redis {(string.IsNullOrWhiteSpace(o.RedisConnection) ? "(a local redis-server)" : o.RedisConnection)}..."
            : $"starting router + {o.Prefill} prefill + {o.Decode} decode workers in this process (embedded state)...");
        IRunningCluster cluster;
        try
        {
            cluster = o.UseRedis
                ? await ProcessCluster.StartAsync(spec, o.RedisConnection, o.LogDir ?? Directory.CreateTempSubdirectory("cluster-up-").FullName,
                    readyTimeout, cancellationToken: cancellationToken, redisPassword: Environment.GetEnvironmentVariable("ClusterState__RedisPassword")).ConfigureAwait(false)
                : await InProcessCluster.StartAsync(spec, readyTimeout, quiet: !o.Verbose, cancellationToken, loadProgress: name => new UpLoadProgress(name, Console.Error)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            Console.Error.WriteLine($"cluster up: the cluster did not start: {e.Message}");
            return 1;
        }

        await using (cluster.ConfigureAwait(false))
        {
            Console.WriteLine(UpBanner.Render(cluster));
            if (o.Smoke || o.Demo)
            {
                var smoke = await SmokeAsync(cluster, cancellationToken).ConfigureAwait(false);
                if (o.Smoke || smoke != 0)
                {
                    return smoke;
                }
            }

            Console.WriteLine("Serving. Press Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("stopping...");
            }
        }

        return 0;
    }

    private static async Task<int> SmokeAsync(IRunningCluster cluster, CancellationToken cancellationToken)
    {
        Console.WriteLine($"smoke: POST {cluster.RouterHttp}v1/chat/completions (stream) \"{SmokePrompt}\"");
        Console.Write("  streamed: ");
        var result = await SmokeRequest.SendAsync(cluster.RouterHttp, cluster.Spec.EffectiveModelId, cluster.Spec.ApiKey, SmokePrompt, SmokeMaxTokens,
            piece => Console.Write(piece.ReplaceLineEndings("⏎")), cancellationToken).ConfigureAwait(false);
        Console.WriteLine();
        if (result.Succeeded)
        {
            Console.WriteLine($"smoke: OK ({result.Chunks} chunks, finish_reason {result.FinishReason}) through router → prefill → KV transfer → decode");
            return 0;
        }

        Console.Error.WriteLine($"smoke: FAILED: {result.Error}");
        return 1;
    }
}
