namespace Cluster.Torch;

/// <summary>A device: <c>cpu</c> or <c>cuda:N</c>.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    public static Device CPU { get; } = new(DeviceType.CPU);

    public static Device CUDA(int index = 0) => new(DeviceType.CUDA, index);

    public bool IsCuda => Type == DeviceType.CUDA;

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return CPU;
        if (t == "cuda") return CUDA();
        if (t.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(t.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture, out var index) && index >= 0)
        {
            return CUDA(index);
        }
        throw new ArgumentException($"unknown device '{text}' (use cpu, cuda or cuda:N)", nameof(text));
    }

    public override string ToString() => IsCuda ? $"cuda:{Index}" : "cpu";
}
