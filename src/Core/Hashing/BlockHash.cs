namespace Cluster.Core.Hashing;

/// <summary>
/// The chained hash of one full KV block of tokens and every block before it (ARCHITECTURE §5).
/// Equal hashes mean equal token prefixes for the same model, block size and cache salt.
/// </summary>
public readonly record struct BlockHash(ulong Value)
{
    /// <summary>16 lower-case hex digits, as used in Redis keys.</summary>
    public override string ToString() => Value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
