using System.Text;

namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// HPACK header-block decoder (RFC 7541): indexed fields, literals with/without/never indexing, Huffman strings,
/// the dynamic table with eviction and size updates. One per connection (the table spans header blocks).
/// Errors throw <see cref="HpackException"/>.
/// </summary>
internal sealed class HpackDecoder(int maxTableSize = HpackDecoder.DefaultTableSize, int maxHeaderListSize = HpackDecoder.DefaultMaxHeaderListSize)
{
    private readonly int _maxTableSize = maxTableSize;

    /// <summary>SETTINGS_HEADER_TABLE_SIZE's default, which the transport keeps.</summary>
    public const int DefaultTableSize = 4096;

    /// <summary>Largest decoded header list accepted (RFC 9113 size: name + value + 32 per field).</summary>
    public const int DefaultMaxHeaderListSize = 256 * 1024;

    private const int EntryOverhead = 32;
    private readonly LinkedList<(string Name, string Value)> _dynamic = new(); // newest first
    private int _size;
    private int _capacity = maxTableSize;

    /// <summary>The dynamic table's current size in RFC 7541 octets.</summary>
    public int DynamicTableSize => _size;

    /// <summary>Entries in the dynamic table, newest first.</summary>
    public IReadOnlyCollection<(string Name, string Value)> DynamicTable => _dynamic;

    /// <summary>Decodes one complete header block (HEADERS plus CONTINUATION payloads).</summary>
    public List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<(string, string)>();
        var listSize = 0;
        var position = 0;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            if ((first & 0x80) != 0)
            {
                Add(fields, ref listSize, Lookup(ReadInteger(block, ref position, 7)));
                fieldSeen = true;
            }
            else if ((first & 0xc0) == 0x40)
            {
                var field = ReadLiteral(block, ref position, 6);
                Insert(field);
                Add(fields, ref listSize, field);
                fieldSeen = true;
            }
            else if ((first & 0xe0) == 0x20)
            {
                if (fieldSeen)
                {
                    throw new HpackException("A dynamic table size update after a header field.");
                }

                var size = ReadInteger(block, ref position, 5);
                if (size > _maxTableSize)
                {
                    throw new HpackException($"Dynamic table size update to {size} exceeds SETTINGS_HEADER_TABLE_SIZE {_maxTableSize}.");
                }

                _capacity = size;
                Evict(0);
            }
            else
            {
                // 0000xxxx without indexing, 0001xxxx never indexed: same decoding, no table insertion.
                Add(fields, ref listSize, ReadLiteral(block, ref position, 4));
                fieldSeen = true;
            }
        }

        return fields;
    }

    /// <summary>Decodes an HPACK integer with an N-bit prefix starting at <paramref name="position"/>.</summary>
    public static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var max = (1 << prefixBits) - 1;
        var value = block[position++] & max;
        if (value < max)
        {
            return value;
        }

        var shift = 0;
        while (true)
        {
            if (position >= block.Length)
            {
                throw new HpackException("A header block ends inside an integer.");
            }

            var octet = block[position++];
            if (shift > 28 || (long)value + ((long)(octet & 0x7f) << shift) > int.MaxValue)
            {
                throw new HpackException("An HPACK integer overflows.");
            }

            value += (octet & 0x7f) << shift;
            shift += 7;
            if ((octet & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private (string, string) ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var index = ReadInteger(block, ref position, prefixBits);
        var name = index == 0 ? ReadString(block, ref position) : Lookup(index).Name;
        return (name, ReadString(block, ref position));
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new HpackException("A header block ends before a string.");
        }

        var huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackException($"A header string of {length} octets runs past the end of the block.");
        }

        var raw = block.Slice(position, length);
        position += length;
        return Encoding.Latin1.GetString(huffman ? HpackHuffman.Decode(raw) : raw);
    }

    private (string Name, string Value) Lookup(int index)
    {
        if (index <= 0)
        {
            throw new HpackException("Header index 0 is not valid.");
        }

        if (index <= HpackStaticTable.Entries.Length)
        {
            return HpackStaticTable.Entries[index - 1];
        }

        var dynamicIndex = index - HpackStaticTable.Entries.Length - 1;
        if (dynamicIndex >= _dynamic.Count)
        {
            throw new HpackException($"Header index {index} is outside the static and dynamic tables.");
        }

        return _dynamic.ElementAt(dynamicIndex);
    }

    private void Insert((string Name, string Value) field)
    {
        var size = field.Name.Length + field.Value.Length + EntryOverhead;
        if (size > _capacity)
        {
            // An entry larger than the table empties it (RFC 7541 §4.4).
            _dynamic.Clear();
            _size = 0;
            return;
        }

        Evict(size);
        _dynamic.AddFirst(field);
        _size += size;
    }

    private void Evict(int room)
    {
        while (_size + room > _capacity && _dynamic.Last is { } oldest)
        {
            _size -= oldest.Value.Name.Length + oldest.Value.Value.Length + EntryOverhead;
            _dynamic.RemoveLast();
        }
    }

    private void Add(List<(string, string)> fields, ref int listSize, (string Name, string Value) field)
    {
        listSize += field.Name.Length + field.Value.Length + EntryOverhead;
        if (listSize > maxHeaderListSize)
        {
            throw new HpackException($"The header list exceeds {maxHeaderListSize} octets.");
        }

        fields.Add(field);
    }
}
