using Cluster.Engine.Synthetic;
using Cluster.Torch;

namespace Cluster.Cli.Up;

/// <summary>The generated tiny model <c>cluster up</c> serves when no <c>--model</c> is given: written once, reused after.</summary>
public static class ModelCache
{
    /// <summary>Preset and dtype of the generated model (fp32: exact on the CPU).</summary>
    public const string Preset = "tiny";

    /// <summary>Default cache folder: <c>$XDG_CACHE_HOME/cluster/models</c> or <c>~/.cache/cluster/models</c>.</summary>
    public static string DefaultDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "cluster", "models");

    /// <summary>
    /// Returns <c>{cacheDirectory}/tiny</c>, writing it first when missing. Written into a temporary sibling and moved
    /// into place, so an interrupted run never leaves a half-written model that later runs would trust.
    /// </summary>
    public static string EnsureTinyModel(string cacheDirectory, out bool created)
    {
        var target = Path.GetFullPath(Path.Combine(cacheDirectory, Preset));
        created = false;
        if (File.Exists(Path.Combine(target, "config.json")))
        {
            return target;
        }

        Directory.CreateDirectory(cacheDirectory);
        var staging = $"{target}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        SyntheticModelWriter.Write(staging, ModelPresets.Get(Preset), ScalarType.Float32, seed: 0);
        try
        {
            Directory.Move(staging, target);
            created = true;
        }
        catch (IOException) when (File.Exists(Path.Combine(target, "config.json")))
        {
            Directory.Delete(staging, recursive: true); // another process wrote it first: same seed, same bytes
        }

        return target;
    }
}
