using System.Text.Json;
using Cluster.Torch;

namespace Cluster.Engine.Weights;

/// <summary>
/// The tensors of a Hugging Face model directory: model.safetensors, or the shards that
/// model.safetensors.index.json lists. Loads by name with shape checks that name tensor, shapes and file.
/// </summary>
public sealed class WeightStore : IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly Dictionary<string, SafeTensorsFile> _byTensor = new(StringComparer.Ordinal);
    private readonly List<SafeTensorsFile> _files = [];

    public WeightStore(string directory)
    {
        Directory = directory;
        var index = Path.Combine(directory, IndexFile);
        var single = Path.Combine(directory, SingleFile);
        if (File.Exists(index))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            var shards = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach (var entry in doc.RootElement.GetProperty("weight_map").EnumerateObject())
            {
                var shard = entry.Value.GetString()!;
                if (!shards.TryGetValue(shard, out var file))
                {
                    file = Open(Path.Combine(directory, shard));
                    shards[shard] = file;
                }
                _byTensor[entry.Name] = file;
            }
        }
        else if (File.Exists(single))
        {
            var file = Open(single);
            foreach (var name in file.Tensors.Keys) _byTensor[name] = file;
        }
        else
        {
            throw new FileNotFoundException($"no {SingleFile} or {IndexFile} in {directory}");
        }
    }

    public string Directory { get; }

    public IEnumerable<string> Names => _byTensor.Keys;

    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <summary>Loads <paramref name="name"/>, checks its shape, converts it to <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public Tensor Load(string name, long[] expectedShape, ScalarType dtype, Device device)
    {
        if (!_byTensor.TryGetValue(name, out var file))
        {
            throw new InvalidDataException($"tensor '{name}' is missing from the weights in {Directory}");
        }
        if (!file.Tensors.TryGetValue(name, out var info))
        {
            throw new InvalidDataException($"tensor '{name}' is listed in {IndexFile} but missing from {file.Path}");
        }
        if (!info.Shape.SequenceEqual(expectedShape))
        {
            throw new InvalidDataException(
                $"tensor '{name}' in {file.Path} has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", expectedShape)}]");
        }
        using var raw = file.Load(name, device);
        return raw.to(dtype);
    }

    private SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights shard {path} listed in {IndexFile} does not exist", path);
        var file = new SafeTensorsFile(path);
        _files.Add(file);
        return file;
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
