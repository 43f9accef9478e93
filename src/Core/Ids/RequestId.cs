using System.Security.Cryptography;

namespace Cluster.Core.Ids;

/// <summary>
/// Identifies one request across router, prefill and decode workers. The router assigns it (<see cref="New"/>); a
/// client's own request id is only a label the router echoes back, never sent to a worker.
/// </summary>
public readonly record struct RequestId(string Value)
{
    /// <summary>A new unguessable id: 128 bits from a cryptographic random source, as 32 lowercase hex characters.</summary>
    public static RequestId New() => new(RandomNumberGenerator.GetHexString(32, lowercase: true));

    public override string ToString() => Value;
}
