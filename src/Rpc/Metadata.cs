using System.Collections;

namespace Cluster.Rpc;

/// <summary>
/// Ordered gRPC metadata (headers or trailers). Keys are lower-cased and validated; keys ending in
/// <c>-bin</c> carry bytes (base64 on the wire), other keys carry printable ASCII.
/// </summary>
public sealed partial class Metadata : IList<Metadata.Entry>
{
    /// <summary>Suffix of keys whose values are binary.</summary>
    public const string BinaryHeaderSuffix = "-bin";

    private readonly List<Entry> _entries = [];

    /// <summary>An empty, read-only instance.</summary>
    public static readonly Metadata Empty = new() { IsReadOnly = true };

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Whether modifications throw.</summary>
    public bool IsReadOnly { get; private set; }

    /// <inheritdoc />
    public Entry this[int index]
    {
        get => _entries[index];
        set
        {
            ThrowIfReadOnly();
            ArgumentNullException.ThrowIfNull(value);
            _entries[index] = value;
        }
    }

    /// <summary>Adds an ASCII entry.</summary>
    public void Add(string key, string value) => Add(new Entry(key, value));

    /// <summary>Adds a binary entry; the key must end in <c>-bin</c>.</summary>
    public void Add(string key, byte[] valueBytes) => Add(new Entry(key, valueBytes));

    /// <inheritdoc />
    public void Add(Entry item)
    {
        ThrowIfReadOnly();
        ArgumentNullException.ThrowIfNull(item);
        _entries.Add(item);
    }

    /// <summary>The last entry with this key, or null.</summary>
    public Entry? Get(string key)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_entries[i].Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return _entries[i];
            }
        }

        return null;
    }

    /// <summary>Every entry with this key, in order.</summary>
    public IEnumerable<Entry> GetAll(string key) =>
        _entries.Where(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>The string value of the last ASCII entry with this key, or null.</summary>
    public string? GetValue(string key)
    {
        var entry = Get(key);
        if (entry is null)
        {
            return null;
        }

        return entry.IsBinary ? throw new InvalidOperationException($"Key '{key}' is binary; use GetValueBytes.") : entry.Value;
    }

    /// <summary>The bytes of the last binary entry with this key, or null.</summary>
    public byte[]? GetValueBytes(string key)
    {
        var entry = Get(key);
        if (entry is null)
        {
            return null;
        }

        return entry.IsBinary ? entry.ValueBytes : throw new InvalidOperationException($"Key '{key}' is not binary; use GetValue.");
    }

    /// <inheritdoc />
    public void Clear()
    {
        ThrowIfReadOnly();
        _entries.Clear();
    }

    /// <inheritdoc />
    public bool Contains(Entry item) => _entries.Contains(item);

    /// <inheritdoc />
    public void CopyTo(Entry[] array, int arrayIndex) => _entries.CopyTo(array, arrayIndex);

    /// <inheritdoc />
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public int IndexOf(Entry item) => _entries.IndexOf(item);

    /// <inheritdoc />
    public void Insert(int index, Entry item)
    {
        ThrowIfReadOnly();
        ArgumentNullException.ThrowIfNull(item);
        _entries.Insert(index, item);
    }

    /// <inheritdoc />
    public bool Remove(Entry item)
    {
        ThrowIfReadOnly();
        return _entries.Remove(item);
    }

    /// <inheritdoc />
    public void RemoveAt(int index)
    {
        ThrowIfReadOnly();
        _entries.RemoveAt(index);
    }

    private void ThrowIfReadOnly()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException("Metadata is read-only.");
        }
    }
}
