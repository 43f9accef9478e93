namespace Cluster.Cli.Up;

/// <summary>What <c>cluster up</c> (and the integration tests and benchmarks) start: a router and N prefill + M decode workers.</summary>
public sealed record ClusterSpec
{
    /// <summary>Default router ports (as <c>RouterApp.Defaults</c>).</summary>
    public const int DefaultRouterGrpcPort = 50051;

    /// <summary>Default router HTTP port (OpenAI API, <c>/healthz</c>).</summary>
    public const int DefaultRouterHttpPort = 8080;

    /// <summary>Hugging Face model directory every role loads (workers: weights; router: tokenizer, chat template).</summary>
    public required string ModelPath { get; init; }

    /// <summary>Model id clients name; empty = the directory's name.</summary>
    public string ModelId { get; init; } = "";

    /// <summary>Router gRPC port (0 = a free port).</summary>
    public int RouterGrpcPort { get; init; } = DefaultRouterGrpcPort;

    /// <summary>Router HTTP port (0 = a free port).</summary>
    public int RouterHttpPort { get; init; } = DefaultRouterHttpPort;

    /// <summary>
    /// Router processes (1 by default). More than one needs Redis: they form one Orleans router tier on it (issue 14);
    /// the first uses the router ports above, the others free ports.
    /// </summary>
    public int Routers { get; init; } = 1;

    public int PrefillWorkers { get; init; } = 1;

    public int DecodeWorkers { get; init; } = 1;

    /// <summary>Workers' device: cpu, cuda or cuda:N (every worker's unless <see cref="PrefillDevices"/> or <see cref="DecodeDevices"/> place it).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Devices of the prefill workers (<c>--prefill-devices</c>): one per worker, or one for all of them; empty: <see cref="Device"/>.
    /// Workers placed on one GPU share its memory (<see cref="DevicePlacement"/>: <c>KvCache:DeviceShare</c> = 1/n).
    /// </summary>
    public IReadOnlyList<string> PrefillDevices { get; init; } = [];

    /// <summary>Devices of the decode workers (<c>--decode-devices</c>), as <see cref="PrefillDevices"/>.</summary>
    public IReadOnlyList<string> DecodeDevices { get; init; } = [];

    /// <summary>Every planned worker with its device and share of that device's memory (<see cref="DevicePlacement.Plan"/>).</summary>
    public IReadOnlyList<WorkerPlacement> Placement => DevicePlacement.Plan(this);

    /// <summary>Client API key the router requires (empty: none).</summary>
    public string ApiKey { get; init; } = "";

    /// <summary>Token on internal APIs (router → workers, prefill → decode); empty: none.</summary>
    public string ClusterToken { get; init; } = "";

    /// <summary>Listen address of every role.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>More configuration for every role, e.g. <c>Routing:PrefillPolicy</c> = <c>round-robin</c>.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>More configuration for the prefill workers only (e.g. a smaller <c>KvCache:NumBlocks</c>).</summary>
    public IReadOnlyDictionary<string, string> PrefillSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>The model id clients use.</summary>
    public string EffectiveModelId => ModelId.Length > 0 ? ModelId : new DirectoryInfo(ModelPath).Name;

    /// <summary>Checks counts, devices and ports; the message says what to fix.</summary>
    public void Validate()
    {
        if (PrefillWorkers < 0 || DecodeWorkers < 1)
        {
            throw new ArgumentException($"--prefill must be >= 0 and --decode >= 1 (got {PrefillWorkers} and {DecodeWorkers}).");
        }

        DevicePlacement.Validate(this);

        if (Routers < 1)
        {
            throw new ArgumentException($"--routers must be >= 1 (got {Routers}).");
        }

        if (RouterGrpcPort is < 0 or > 65535 || RouterHttpPort is < 0 or > 65535)
        {
            throw new ArgumentException($"router ports must be 0..65535 (got gRPC {RouterGrpcPort}, HTTP {RouterHttpPort}).");
        }

        if (!File.Exists(Path.Combine(ModelPath, "config.json")))
        {
            throw new ArgumentException($"{ModelPath} is not a Hugging Face model directory (no config.json): give --model DIR or leave it out to use a generated tiny model.");
        }
    }
}
