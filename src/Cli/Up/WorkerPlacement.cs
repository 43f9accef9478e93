using System.Globalization;

namespace Cluster.Cli.Up;

/// <summary>One worker of a <see cref="ClusterSpec"/> and where it runs.</summary>
/// <param name="Worker">Its id, e.g. <c>prefill-1</c> or <c>decode-2</c>.</param>
/// <param name="Device">cpu or cuda:N (canonical: a bare <c>cuda</c> is <c>cuda:0</c>).</param>
/// <param name="Share">
/// The share of that GPU's memory it may use (<c>KvCache:DeviceShare</c>): 1/n when n workers of the cluster are placed on
/// that GPU; null on the CPU, for a worker alone on its GPU, and when <c>--set</c> sizes the cache itself.
/// </param>
public sealed record WorkerPlacement(string Worker, string Device, double? Share);

/// <summary>
/// Per-worker device placement (<c>--prefill-devices</c>, <c>--decode-devices</c>): parsing, validation, and the share of
/// each GPU every worker placed on it takes. A list has one entry per worker of the role or one entry for all of them; an
/// empty list means <see cref="ClusterSpec.Device"/> for every worker of the role. CPU and CUDA are not mixed in one
/// cluster (the workers' KV dtype and the router's cost model assume one kind of device): every worker is on the CPU, or
/// every worker is on a GPU.
/// </summary>
public static class DevicePlacement
{
    public const string PrefillOption = "--prefill-devices";
    public const string DecodeOption = "--decode-devices";

    /// <summary>
    /// The canonical form of <paramref name="device"/> (cpu, cuda:N; <c>cuda</c> is <c>cuda:0</c>), or null when it is none
    /// of cpu, cuda, cuda:N.
    /// </summary>
    public static string? Canonical(string device)
    {
        var t = device.Trim().ToLowerInvariant();
        if (t == "cpu") return "cpu";
        if (t == "cuda") return "cuda:0";
        return t.StartsWith("cuda:", StringComparison.Ordinal) && t.Length > 5 && t[5..].All(char.IsAsciiDigit)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? $"cuda:{index.ToString(CultureInfo.InvariantCulture)}"
            : null;
    }

    /// <summary>
    /// A comma list of devices as given to <paramref name="option"/> (null or blank: none, i.e. <c>--device</c>); throws
    /// naming the option and the entry to fix.
    /// </summary>
    public static IReadOnlyList<string> ParseList(string? list, string option)
    {
        if (string.IsNullOrWhiteSpace(list)) return [];
        var entries = list.Split(',', StringSplitOptions.TrimEntries);
        var result = new List<string>(entries.Length);
        foreach (var entry in entries)
        {
            result.Add(Canonical(entry) ?? throw new ArgumentException(
                $"{option} '{list}': '{entry}' is not a device; give a comma list of cpu, cuda or cuda:N (e.g. {option} cuda:0,cuda:1)."));
        }

        return result;
    }

    /// <summary>
    /// Both lists parsed and checked against the worker counts before anything starts (the benchmarks that build a
    /// <see cref="ClusterSpec"/>); throws naming the option to fix.
    /// </summary>
    public static (IReadOnlyList<string> Prefill, IReadOnlyList<string> Decode) ParseChecked(string? prefill, string? decode, string device, int prefillWorkers, int decodeWorkers)
    {
        var lists = (ParseList(prefill, PrefillOption), ParseList(decode, DecodeOption));
        Validate(new ClusterSpec
        {
            ModelPath = "", Device = device, PrefillWorkers = prefillWorkers, DecodeWorkers = decodeWorkers, PrefillDevices = lists.Item1, DecodeDevices = lists.Item2,
        });
        return lists;
    }

    /// <summary>Every planned worker of <paramref name="spec"/>, prefill first, with its device and share.</summary>
    public static IReadOnlyList<WorkerPlacement> Plan(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var devices = new List<(string Worker, string Device)>();
        for (var i = 1; i <= spec.PrefillWorkers; i++) devices.Add(($"prefill-{i}", DeviceOf(spec, "prefill", i)));
        for (var i = 1; i <= spec.DecodeWorkers; i++) devices.Add(($"decode-{i}", DeviceOf(spec, "decode", i)));
        var perDevice = devices.GroupBy(d => d.Device).ToDictionary(g => g.Key, g => g.Count());
        return devices.Select(d => new WorkerPlacement(d.Worker, d.Device, Share(spec, d.Device, perDevice[d.Device]))).ToArray();
    }

    /// <summary>
    /// The device and share of worker <paramref name="workerId"/> (<c>prefill-N</c> or <c>decode-N</c>). A worker beyond the
    /// planned count (one added later) runs on its role's single listed device, else on <see cref="ClusterSpec.Device"/>,
    /// with the share the plan gives that device.
    /// </summary>
    public static WorkerPlacement For(ClusterSpec spec, string workerId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var plan = Plan(spec);
        if (plan.FirstOrDefault(p => p.Worker == workerId) is { } planned) return planned;
        var role = workerId.StartsWith("prefill", StringComparison.Ordinal) ? "prefill" : "decode";
        var list = role == "prefill" ? spec.PrefillDevices : spec.DecodeDevices;
        var device = list.Count == 1 ? list[0] : Canonical(spec.Device) ?? spec.Device;
        return new WorkerPlacement(workerId, device, plan.FirstOrDefault(p => p.Device == device)?.Share);
    }

    /// <summary>Checks the lists' lengths and entries and that CPU and CUDA are not mixed; the message says what to fix.</summary>
    public static void Validate(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Canonical(spec.Device) is null)
        {
            throw new ArgumentException($"--device '{spec.Device}' is not a device; use cpu, cuda or cuda:N.");
        }

        CheckList(spec.PrefillDevices, spec.PrefillWorkers, PrefillOption, "--prefill");
        CheckList(spec.DecodeDevices, spec.DecodeWorkers, DecodeOption, "--decode");
        var plan = Plan(spec);
        var cpu = plan.Where(p => p.Device == "cpu").Select(p => p.Worker).ToArray();
        if (cpu.Length > 0 && cpu.Length < plan.Count)
        {
            throw new ArgumentException(
                $"{string.Join(", ", cpu)} {(cpu.Length == 1 ? "is" : "are")} on cpu and {string.Join(", ", plan.Where(p => p.Device != "cpu").Select(p => $"{p.Worker} on {p.Device}"))}: " +
                $"put every worker on the CPU or every worker on a GPU (--device, {PrefillOption}, {DecodeOption}).");
        }
    }

    private static void CheckList(IReadOnlyList<string> list, int workers, string option, string countOption)
    {
        foreach (var entry in list)
        {
            if (Canonical(entry) is null)
            {
                throw new ArgumentException($"{option}: '{entry}' is not a device; give a comma list of cpu, cuda or cuda:N.");
            }
        }

        if (list.Count > 1 && list.Count != workers)
        {
            throw new ArgumentException(
                $"{option} lists {list.Count} devices for {workers} worker(s) ({countOption} {workers}): give one device per worker, or one device for all of them.");
        }
    }

    private static string DeviceOf(ClusterSpec spec, string role, int index)
    {
        var list = role == "prefill" ? spec.PrefillDevices : spec.DecodeDevices;
        var device = list.Count switch
        {
            0 => spec.Device,
            1 => list[0],
            _ => index <= list.Count ? list[index - 1] : spec.Device,
        };
        return Canonical(device) ?? device;
    }

    private static double? Share(ClusterSpec spec, string device, int workersOnDevice) =>
        device.StartsWith("cuda", StringComparison.Ordinal) && workersOnDevice > 1 && !spec.Settings.Keys.Any(k =>
            k.Equals("KvCache:DeviceShare", StringComparison.OrdinalIgnoreCase) || k.Equals("KvCache:NumBlocks", StringComparison.OrdinalIgnoreCase))
            ? Math.Round(1.0 / workersOnDevice, 4)
            : null;
}
