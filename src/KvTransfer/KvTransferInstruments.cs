using System.Diagnostics.Metrics;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;

namespace Cluster.KvTransfer;

/// <summary>
/// Metrics of the KV transfer (meter <see cref="MeterName"/>, ARCHITECTURE §9). Sender side (prefill worker): push
/// duration by transport and outcome, bytes sent, failures by reason, resumes, the time prefill did not hide. Receiver
/// side (decode worker): bytes received, frames rejected by reason, reservations active and expired.
/// </summary>
public sealed class KvTransferInstruments
{
    public const string MeterName = "Cluster.KvTransfer";
    public const string Duration = "cluster.kv_transfer.duration";
    public const string ExposedDuration = "cluster.kv_transfer.exposed.duration";
    public const string BytesSent = "cluster.kv_transfer.sent";
    public const string BytesReceived = "cluster.kv_transfer.received";
    public const string Failures = "cluster.kv_transfer.failures";
    public const string Resumes = "cluster.kv_transfer.resumes";
    public const string FramesRejected = "cluster.kv_transfer.frames.rejected";
    public const string ReservationsActive = "cluster.kv_transfer.reservations.active";
    public const string ReservationsExpired = "cluster.kv_transfer.reservations.expired";
    public const string CudaIpcFallbacks = "cluster.kv_transfer.cuda_ipc.fallbacks";

    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _exposed;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _resumes;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _ipcFallbacks;

    public KvTransferInstruments(IMeterFactory meterFactory, KvReservationTable? reservations = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _duration = meter.CreateHistogram<double>(Duration, "s", "Time of one push, from the prefill's start to the receiver's acknowledgement, by transport and outcome (sender)");
        _exposed = meter.CreateHistogram<double>(ExposedDuration, "s", "Part of a push after the prefill finished: the transfer time prefill did not hide (sender)");
        _sent = meter.CreateCounter<long>(BytesSent, "By", "KV bytes the receiver acknowledged (sender)");
        _failures = meter.CreateCounter<long>(Failures, "{failure}", "Pushes that failed, by reason (the receiver's status code, or the exception); the router then recomputes on decode");
        _resumes = meter.CreateCounter<long>(Resumes, "{resume}", "Broken push streams resumed from the receiver's next sequence (sender)");
        _rejected = meter.CreateCounter<long>(FramesRejected, "{frame}", "Frames the receiver refused, by reason (checksum, layout, lease, ticket, order)");
        _ipcFallbacks = meter.CreateCounter<long>(CudaIpcFallbacks, "{push}", "Pushes that could have used CUDA IPC but went by another transport, by reason (no_cuda, host_source, other_host, device_not_visible, no_peer_access, off, open_failed, copy_failed, ...) (sender)");
        if (reservations is not null)
        {
            meter.CreateObservableCounter(BytesReceived, () => reservations.ReceivedBytes, "By", "KV bytes written into reservations (receiver)");
            meter.CreateObservableGauge(ReservationsActive, () => reservations.Count, "{reservation}", "Open reservations (receiver)");
            meter.CreateObservableCounter(ReservationsExpired, () => reservations.Expired, "{reservation}", "Reservations whose lease ran out before decode took them (receiver)");
        }
    }

    /// <summary>A push ended: <paramref name="failure"/> empty when acknowledged complete.</summary>
    public void Pushed(string transport, TimeSpan total, TimeSpan exposed, long bytes, string failure)
    {
        var t = new KeyValuePair<string, object?>("transport", transport);
        _duration.Record(total.TotalSeconds, t, new KeyValuePair<string, object?>("outcome", failure.Length == 0 ? "ok" : "failed"));
        if (failure.Length == 0)
        {
            _exposed.Record(exposed.TotalSeconds, t);
            _sent.Add(bytes, t);
        }
        else
        {
            _failures.Add(1, new KeyValuePair<string, object?>("reason", failure));
        }
    }

    public void Resumed() => _resumes.Add(1);

    /// <summary>A push fell back from CUDA IPC for <paramref name="reason"/>.</summary>
    public void CudaIpcFellBack(string reason) => _ipcFallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The receiver refused a frame with <paramref name="code"/>.</summary>
    public void Rejected(StatusCode code) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", code switch
    {
        StatusCode.DataLoss => "checksum",
        StatusCode.InvalidArgument => "layout",
        StatusCode.FailedPrecondition => "lease",
        StatusCode.NotFound => "ticket",
        StatusCode.Unimplemented => "ring_refused",   // a shared-memory or CUDA IPC ring the receiver cannot use
        _ => code.ToString().ToLowerInvariant(),
    }));
}
