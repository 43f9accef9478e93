namespace Cluster.Rpc;

/// <summary>The outcome of a call: a code and a human-readable detail (sent as grpc-message).</summary>
/// <param name="Code">The status code.</param>
/// <param name="Detail">The detail message; empty when there is none.</param>
public readonly record struct Status(StatusCode Code, string Detail)
{
    /// <summary>OK with no detail.</summary>
    public static readonly Status DefaultSuccess = new(StatusCode.OK, string.Empty);

    /// <summary>CANCELLED with no detail.</summary>
    public static readonly Status DefaultCancelled = new(StatusCode.Cancelled, string.Empty);

    /// <summary>Same as <see cref="Code"/>; the name Grpc.Core uses.</summary>
    public StatusCode StatusCode => Code;

    /// <inheritdoc />
    public override string ToString() => $"Status(StatusCode=\"{Code}\", Detail=\"{Detail}\")";
}
