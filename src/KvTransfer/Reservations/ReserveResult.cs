namespace Cluster.KvTransfer.Reservations;

/// <summary>
/// The outcome of a reservation: a ticket, or why there is none (an expected shortfall, not an exception).
/// <see cref="CachedBlocks"/>: leading blocks the worker's prefix cache supplied (a push starts after them).
/// </summary>
public sealed record ReserveResult(string? Ticket, int Blocks, DateTimeOffset LeaseExpiresAt, ReserveFailure Failure, string? Message, int CachedBlocks = 0)
{
    public bool Succeeded => Ticket is not null;

    internal static ReserveResult Fail(ReserveFailure failure, string message) => new(null, 0, default, failure, message);
}

/// <summary>Why a reservation was refused.</summary>
public enum ReserveFailure
{
    None,

    /// <summary>Bad arguments (empty request id, no tokens): INVALID_ARGUMENT.</summary>
    InvalidArgument,

    /// <summary>Model or layout differ from this worker's: FAILED_PRECONDITION.</summary>
    Mismatch,

    /// <summary>The request already holds a reservation here: ALREADY_EXISTS.</summary>
    AlreadyReserved,

    /// <summary>Not enough free blocks now: RESOURCE_EXHAUSTED (retry later or elsewhere).</summary>
    CacheFull,
}
