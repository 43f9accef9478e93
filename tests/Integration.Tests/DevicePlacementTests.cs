using Cluster.Cli.Up;

namespace Cluster.Integration.Tests;

/// <summary>
/// Per-worker device placement of <c>cluster up</c> (<c>--prefill-devices</c>, <c>--decode-devices</c>): parsing,
/// validation, each GPU's share, the worker arguments and the banner's placement lines (no cluster is started).
/// </summary>
public sealed class DevicePlacementTests
{
    private static ClusterSpec Spec(int prefill, int decode, string? prefillDevices = null, string? decodeDevices = null, string device = "cpu",
        Dictionary<string, string>? settings = null) => new()
    {
        ModelPath = "/models/m", Device = device, PrefillWorkers = prefill, DecodeWorkers = decode, Settings = settings ?? [],
        PrefillDevices = DevicePlacement.ParseList(prefillDevices, DevicePlacement.PrefillOption),
        DecodeDevices = DevicePlacement.ParseList(decodeDevices, DevicePlacement.DecodeOption),
    };

    private static string? Arg(ClusterSpec spec, string worker, string key) =>
        ClusterRoleArgs.Worker(spec, worker, 1, 2, "").SingleOrDefault(a => a.StartsWith($"--{key}=", StringComparison.Ordinal))?[(key.Length + 3)..];

    [Theory]
    [InlineData("cuda:0,cuda:1", new[] { "cuda:0", "cuda:1" })]
    [InlineData(" CUDA , cpu ", new[] { "cuda:0", "cpu" })]
    [InlineData("cuda:07", new[] { "cuda:7" })]
    [InlineData("", new string[0])]
    [InlineData(null, new string[0])]
    public void ParseList_CanonicalDevices(string? list, string[] expected)
    {
        Assert.Equal(expected, DevicePlacement.ParseList(list, DevicePlacement.DecodeOption));
    }

    [Theory]
    [InlineData("cuda:0,gpu1", "'gpu1'")]
    [InlineData("cuda:-1", "'cuda:-1'")]
    [InlineData("cuda:0,", "''")]
    [InlineData("cuda:x", "'cuda:x'")]
    public void ParseList_BadEntry_NamesTheOptionAndTheEntry(string list, string entry)
    {
        var e = Assert.Throws<ArgumentException>(() => DevicePlacement.ParseList(list, DevicePlacement.PrefillOption));
        Assert.StartsWith("--prefill-devices", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{entry} is not a device", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnePrefillOneDecodeOnTwoGpus_EachAloneOnItsGpu_NoShare()
    {
        var spec = Spec(1, 1, "cuda:0", "cuda:1");

        Assert.Equal([new WorkerPlacement("prefill-1", "cuda:0", null), new WorkerPlacement("decode-1", "cuda:1", null)], spec.Placement);
        Assert.Equal("cuda:0", Arg(spec, "prefill-1", "Worker:Device"));
        Assert.Equal("cuda:1", Arg(spec, "decode-1", "Worker:Device"));
        Assert.Null(Arg(spec, "prefill-1", "KvCache:DeviceShare"));
        Assert.Null(Arg(spec, "decode-1", "KvCache:DeviceShare"));
    }

    [Fact]
    public void TwoColocatedReplicasOnTwoGpus_OnePerGpu()
    {
        var spec = Spec(0, 2, decodeDevices: "cuda:0,cuda:1", device: "cuda");

        Assert.Equal(["cuda:0", "cuda:1"], spec.Placement.Select(p => p.Device));
        Assert.Equal("cuda:1", Arg(spec, "decode-2", "Worker:Device"));
        Assert.All(spec.Placement, p => Assert.Null(p.Share));
    }

    [Fact]
    public void ShareIsPerDevice_TheWorkersPlacedOnIt()
    {
        // 1P3D on 2 GPUs: prefill-1 and decode-1 on cuda:0 (1/2 each), decode-2 and decode-3 on cuda:1 (1/2 each) ...
        var spec = Spec(1, 3, "cuda:0", "cuda:0,cuda:1,cuda:1");
        Assert.Equal("0.5", Arg(spec, "prefill-1", "KvCache:DeviceShare"));
        Assert.Equal("0.5", Arg(spec, "decode-3", "KvCache:DeviceShare"));

        // ... and 3 workers on one GPU (a single entry for all decode workers, "cuda" = cuda:0) beside one alone on another.
        var uneven = Spec(1, 3, "cuda:1", "cuda");
        Assert.Null(Arg(uneven, "prefill-1", "KvCache:DeviceShare"));
        Assert.Equal("0.3333", Arg(uneven, "decode-2", "KvCache:DeviceShare"));
        Assert.Equal("cuda:0", Arg(uneven, "decode-3", "Worker:Device"));
    }

    [Fact]
    public void NoLists_EveryWorkerOnDevice_AsBefore()
    {
        var spec = Spec(2, 2, device: "cuda:3");

        Assert.All(spec.Placement, p => Assert.Equal(new WorkerPlacement(p.Worker, "cuda:3", 0.25), p));
    }

    [Fact]
    public void WorkerAddedBeyondTheList_RunsOnDevice_WithThatDevicesShare()
    {
        var listed = Spec(0, 2, decodeDevices: "cuda:0,cuda:1", device: "cuda:1");
        Assert.Equal(new WorkerPlacement("decode-3", "cuda:1", null), DevicePlacement.For(listed, "decode-3"));

        var single = Spec(1, 2, "cuda:0", "cuda:1");
        Assert.Equal(new WorkerPlacement("decode-3", "cuda:1", 0.5), DevicePlacement.For(single, "decode-3"));
    }

    [Theory]
    [InlineData(2, 2, "cuda:0,cuda:1,cuda:2", null, "--prefill-devices lists 3 devices for 2 worker(s) (--prefill 2)")]
    [InlineData(1, 3, null, "cuda:0,cuda:1", "--decode-devices lists 2 devices for 3 worker(s) (--decode 3)")]
    [InlineData(1, 1, "cpu", "cuda:1", "put every worker on the CPU or every worker on a GPU")]
    [InlineData(1, 2, "cuda:0", "cpu", "decode-1, decode-2 are on cpu and prefill-1 on cuda:0")]
    [InlineData(1, 1, null, "cuda:1", "prefill-1 is on cpu and decode-1 on cuda:1")]
    public void Validate_WrongCountOrMixedCpuAndGpu_SaysWhatToFix(int prefill, int decode, string? prefillDevices, string? decodeDevices, string message)
    {
        var spec = Spec(prefill, decode, prefillDevices, decodeDevices);

        var e = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadDevice_NamesTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => (Spec(1, 1) with { Device = "tpu" }).Validate());
        Assert.StartsWith("--device 'tpu'", e.Message, StringComparison.Ordinal);

        var direct = Spec(1, 1) with { DecodeDevices = ["cuda:a"] };
        Assert.Contains("--decode-devices: 'cuda:a' is not a device", Assert.Throws<ArgumentException>(direct.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ValidPlacement_GetsAsFarAsTheModelCheck()
    {
        var e = Assert.Throws<ArgumentException>(Spec(2, 2, "cuda:0", "cuda:1,cuda:2", device: "cuda").Validate);
        Assert.Contains("no config.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseChecked_BenchmarksRefuseBeforeStarting_AndReturnTheLists()
    {
        var e = Assert.Throws<ArgumentException>(() => DevicePlacement.ParseChecked("cuda:0,cuda:1,cuda:2", null, "cuda", prefillWorkers: 2, decodeWorkers: 1));
        Assert.StartsWith("--prefill-devices lists 3 devices for 2 worker(s)", e.Message, StringComparison.Ordinal);

        var (prefill, decode) = DevicePlacement.ParseChecked("cuda:0", "cuda:1", "cpu", prefillWorkers: 1, decodeWorkers: 1);
        Assert.Equal(["cuda:0"], prefill);
        Assert.Equal(["cuda:1"], decode);
    }

    [Fact]
    public void Banner_ShowsOneLinePerDevice()
    {
        var lines = UpBanner.Placement(Spec(1, 3, "cuda:0", "cuda:1,cuda:1,cuda:2")).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
        Assert.Equal("  device cuda:0  prefill-1 (alone on it)", lines[0]);
        Assert.StartsWith("  device cuda:1  decode-1, decode-2 share it: each may use 50 % of its memory (KvCache:DeviceShare", lines[1], StringComparison.Ordinal);
        Assert.Equal("  device cuda:2  decode-3 (alone on it)", lines[2]);
        Assert.Equal("  device cpu     prefill-1, decode-1", UpBanner.Placement(Spec(1, 1)).TrimEnd());
    }
}
