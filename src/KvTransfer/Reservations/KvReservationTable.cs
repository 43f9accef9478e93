using System.Collections.Concurrent;
using System.Security.Cryptography;
using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Microsoft.Extensions.Options;

namespace Cluster.KvTransfer.Reservations;

/// <summary>
/// The decode worker's open reservations, by ticket and by request. A reservation holds its blocks until decode
/// takes them over (<see cref="TakeForDecode"/>), its lease expires, or it is cancelled; the last two free the
/// blocks through <see cref="IKvImportTarget.Release"/>. Thread-safe.
/// </summary>
public sealed class KvReservationTable : IDisposable
{
    private readonly ConcurrentDictionary<string, KvReservation> _byTicket = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RequestId, KvReservation> _byRequest = new();
    private readonly IKvImportTarget _target;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lease;

    public KvReservationTable(IKvImportTarget target, IOptions<KvTransferOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        _target = target;
        _time = time;
        _lease = options.Value.Lease;
    }

    /// <summary>The cache the reservations live in.</summary>
    public IKvImportTarget Target => _target;

    /// <summary>Open reservations.</summary>
    public int Count => _byTicket.Count;

    private long _receivedBytes;
    private long _expired;
    private long _handedOver;
    private long _reusedTokens;

    /// <summary>KV bytes committed by pushes since start.</summary>
    public long ReceivedBytes => Interlocked.Read(ref _receivedBytes);

    /// <summary>Reservations released because their lease ran out.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    /// <summary>Reservations handed to decode since start.</summary>
    public long HandedOver => Interlocked.Read(ref _handedOver);

    /// <summary>Tokens whose KV reservations took from the prefix cache instead of a push, since start.</summary>
    public long ReusedTokens => Interlocked.Read(ref _reusedTokens);

    /// <summary>Counts <paramref name="bytes"/> committed by a push.</summary>
    internal void CountReceived(long bytes) => Interlocked.Add(ref _receivedBytes, bytes);

    /// <summary>
    /// Reserves blocks for <paramref name="tokens"/> prompt tokens of <paramref name="request"/>; with their
    /// <paramref name="tokenIds"/> and <paramref name="cacheSalt"/>, the leading blocks the cache already holds are
    /// reused (<see cref="ReserveResult.CachedBlocks"/>) and only the rest await a push.
    /// </summary>
    public ReserveResult Reserve(
        RequestId request, int tokens, string? model = null, KvCacheLayout? senderLayout = null, IReadOnlyList<int>? tokenIds = null, string cacheSalt = "")
    {
        if (string.IsNullOrEmpty(request.Value) || tokens < 1)
        {
            return ReserveResult.Fail(ReserveFailure.InvalidArgument, $"A reservation needs a request id and at least one token (got '{request}', {tokens}).");
        }

        if (!string.IsNullOrEmpty(model) && model != _target.Model)
        {
            return ReserveResult.Fail(ReserveFailure.Mismatch, $"This worker serves model '{_target.Model}', not '{model}'.");
        }

        if (senderLayout is not null && senderLayout != _target.Layout)
        {
            return ReserveResult.Fail(ReserveFailure.Mismatch, $"KV layout differs: sender has {senderLayout}, this worker {_target.Layout}.");
        }

        if (_byRequest.ContainsKey(request))
        {
            return ReserveResult.Fail(ReserveFailure.AlreadyReserved, $"Request {request} already holds a reservation here.");
        }

        if (tokenIds is not null && tokenIds.Count != 0 && tokenIds.Count != tokens)
        {
            return ReserveResult.Fail(ReserveFailure.InvalidArgument, $"{tokenIds.Count} token ids for a reservation of {tokens} tokens; send exactly the reserved tokens, or none.");
        }

        if (_target.TryReserve(request, tokens, tokenIds, cacheSalt) is not { } grant)
        {
            return ReserveResult.Fail(ReserveFailure.CacheFull, $"Not enough free KV blocks for {tokens} tokens now.");
        }

        var reservation = new KvReservation(NewTicket(), request, tokens, grant.Blocks, _target.Layout, grant.CachedBlocks);
        if (!_byRequest.TryAdd(request, reservation))
        {
            _target.Release(request);
            return ReserveResult.Fail(ReserveFailure.AlreadyReserved, $"Request {request} already holds a reservation here.");
        }

        _byTicket[reservation.Ticket] = reservation;
        Interlocked.Add(ref _reusedTokens, Math.Min(tokens, grant.CachedBlocks * _target.Layout.BlockSize));
        lock (reservation.Gate)
        {
            reservation.LeaseTimer = _time.CreateTimer(s => Expire((KvReservation)s!), reservation, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            RenewLocked(reservation);
        }

        return new ReserveResult(reservation.Ticket, grant.Blocks, reservation.LeaseExpiresAt, ReserveFailure.None, null, grant.CachedBlocks);
    }

    /// <summary>The open reservation with <paramref name="ticket"/>, or null (never issued, expired, cancelled, taken).</summary>
    public KvReservation? Find(string ticket) => _byTicket.TryGetValue(ticket, out var r) ? r : null;

    /// <summary>Extends the lease of an open reservation; false when there is none.</summary>
    public bool Renew(string ticket)
    {
        if (Find(ticket) is not { } reservation)
        {
            return false;
        }

        lock (reservation.Gate)
        {
            if (reservation.State != KvReservationState.Open)
            {
                return false;
            }

            RenewLocked(reservation);
            return true;
        }
    }

    /// <summary>Frees the request's reservation (client gone, request cancelled). False when it held none.</summary>
    public bool Cancel(RequestId request) =>
        _byRequest.TryGetValue(request, out var reservation) && Release(reservation, KvReservationState.Released);

    /// <summary>
    /// Hands a completely written reservation to decode: the blocks stay allocated and now belong to the decode
    /// sequence. Null, changing nothing, when the ticket is unknown or not every block has arrived yet.
    /// </summary>
    public KvReservation? TakeForDecode(string ticket)
    {
        if (Find(ticket) is not { } reservation)
        {
            return null;
        }

        lock (reservation.Gate)
        {
            if (reservation.State != KvReservationState.Open || !reservation.Complete || reservation.Pushing)
            {
                return null;
            }

            reservation.State = KvReservationState.HandedOver;
            Forget(reservation);
            Interlocked.Increment(ref _handedOver);
            return reservation;
        }
    }

    /// <summary>Renews the lease while the caller holds the reservation's gate.</summary>
    internal void RenewLocked(KvReservation reservation)
    {
        reservation.LeaseExpiresAt = _time.GetUtcNow() + _lease;
        reservation.LeaseTimer?.Change(_lease, Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        foreach (var reservation in _byTicket.Values)
        {
            Release(reservation, KvReservationState.Released);
        }
    }

    private void Expire(KvReservation reservation)
    {
        lock (reservation.Gate)
        {
            // A renewal between the timer firing and this lock moved the deadline: keep the reservation.
            if (reservation.State != KvReservationState.Open || _time.GetUtcNow() < reservation.LeaseExpiresAt)
            {
                return;
            }
        }

        if (Release(reservation, KvReservationState.Released))
        {
            Interlocked.Increment(ref _expired);
        }
    }

    private bool Release(KvReservation reservation, KvReservationState state)
    {
        lock (reservation.Gate)
        {
            if (reservation.State != KvReservationState.Open)
            {
                return false;
            }

            reservation.State = state;
            Forget(reservation);
            _target.Release(reservation.Request);
            return true;
        }
    }

    private void Forget(KvReservation reservation)
    {
        reservation.LeaseTimer?.Dispose();
        _byTicket.TryRemove(reservation.Ticket, out _);
        _byRequest.TryRemove(reservation.Request, out _);
    }

    private static string NewTicket() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
