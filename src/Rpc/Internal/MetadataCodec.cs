namespace Cluster.Rpc.Internal;

/// <summary>Converts between <see cref="Metadata"/> and HTTP/2 header values.</summary>
internal static class MetadataCodec
{
    /// <summary>The wire value of one entry (base64 for binary entries).</summary>
    public static string ToHeaderValue(Metadata.Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value;

    /// <summary>Adds one received header (possibly several values) to metadata; reserved headers are skipped.</summary>
    public static void AddHeader(Metadata metadata, string key, IEnumerable<string> values)
    {
        if (GrpcProtocol.IsReservedHeader(key))
        {
            return;
        }

        var lower = key.ToLowerInvariant();
        var binary = lower.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.Ordinal);
        foreach (var value in values)
        {
            if (!binary)
            {
                TryAdd(metadata, () => new Metadata.Entry(lower, value));
                continue;
            }

            foreach (var part in value.Split(','))
            {
                if (TryDecodeBase64(part.Trim(), out var bytes))
                {
                    TryAdd(metadata, () => new Metadata.Entry(lower, bytes));
                }
            }
        }
    }

    /// <summary>Decodes padded or unpadded base64.</summary>
    public static bool TryDecodeBase64(string value, out byte[] bytes)
    {
        var padded = (value.Length % 4) switch
        {
            2 => value + "==",
            3 => value + "=",
            _ => value,
        };
        bytes = new byte[padded.Length / 4 * 3];
        if (Convert.TryFromBase64String(padded, bytes, out var written))
        {
            bytes = bytes.AsSpan(0, written).ToArray();
            return true;
        }

        return false;
    }

    private static void TryAdd(Metadata metadata, Func<Metadata.Entry> create)
    {
        try
        {
            metadata.Add(create());
        }
        catch (ArgumentException)
        {
            // A header that is not valid gRPC metadata (odd characters) is dropped, not fatal.
        }
    }
}
