using System.IO.MemoryMappedFiles;
using System.Text.Json;
using Cluster.Torch;

namespace Cluster.Engine.Weights;

/// <summary>
/// A memory-mapped .safetensors file: u64 little-endian header length, a JSON header
/// ({name: {dtype, shape, data_offsets}}, optional __metadata__), then the raw tensor bytes.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly long _length;

    public SafeTensorsFile(string path)
    {
        Path = path;
        _length = new FileInfo(path).Length;
        if (_length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
        var headerLength = *(long*)_base;
        if (headerLength <= 0 || 8 + headerLength > _length)
        {
            Dispose();
            throw new InvalidDataException($"{path}: bad safetensors header length {headerLength}");
        }
        _dataStart = 8 + headerLength;
        Tensors = ParseHeader(new ReadOnlySpan<byte>(_base + 8, checked((int)headerLength)));
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>Copies tensor <paramref name="name"/> from the mapped file onto <paramref name="device"/>.</summary>
    public Tensor Load(string name, Device device)
    {
        if (!Tensors.TryGetValue(name, out var info)) throw new KeyNotFoundException($"tensor '{name}' is not in {Path}");
        return torch.from_host((IntPtr)(_base + _dataStart + info.Begin), info.Shape, info.DType, device);
    }

    private Dictionary<string, SafeTensorInfo> ParseHeader(ReadOnlySpan<byte> json)
    {
        var result = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(json.ToArray());
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtype = SafeTensorInfo.ParseDType(entry.Value.GetProperty("dtype").GetString()!);
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets");
            var info = new SafeTensorInfo(entry.Name, dtype, shape, offsets[0].GetInt64(), offsets[1].GetInt64());
            var expected = shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize();
            if (info.ByteLength != expected || info.Begin < 0 || _dataStart + info.End > _length)
            {
                throw new InvalidDataException(
                    $"{Path}: tensor '{entry.Name}' has byte range [{info.Begin}, {info.End}) but shape [{string.Join(", ", shape)}] of {dtype} needs {expected} bytes inside the file");
            }
            result[entry.Name] = info;
        }
        return result;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
