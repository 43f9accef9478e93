using System.Security.Cryptography;

namespace Cluster.Router.Batch;

/// <summary>Ids of files (<c>file-…</c>), batches (<c>batch_…</c>) and batch requests (<c>batch_req_…</c>): random, 24 hex digits.</summary>
public static class BatchIds
{
    public static string NewFile() => "file-" + Hex();

    public static string NewBatch() => "batch_" + Hex();

    /// <summary>The id of request <paramref name="index"/> of a batch: the same after a restart.</summary>
    public static string Request(string batchId, int index) => $"batch_req_{batchId["batch_".Length..]}_{index}";

    public static bool IsWellFormed(string id) =>
        (id.StartsWith("file-", StringComparison.Ordinal) && IsHex(id.AsSpan(5)))
        || (id.StartsWith("batch_", StringComparison.Ordinal) && IsHex(id.AsSpan(6)));

    private static string Hex() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private static bool IsHex(ReadOnlySpan<char> s) => s.Length == 24 && !s.ContainsAnyExcept("0123456789abcdef");
}
