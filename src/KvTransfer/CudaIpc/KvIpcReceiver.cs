using Cluster.Contracts.V1;

namespace Cluster.KvTransfer.CudaIpc;

/// <summary>
/// The decode side of CUDA IPC: decides whether an announced ring can be used here (mode on, a GPU here, the same host,
/// the same GPU or a peer GPU: <see cref="KvIpcPeerDecision"/>) and opens it on the sender's GPU, keeping each opened ring for later pushes (a sender reuses its rings; opening costs
/// milliseconds). At most <see cref="MaxOpen"/> stay open; the least recently used idle one is closed beyond that.
/// </summary>
public sealed class KvIpcReceiver(IKvIpcDevice? device, KvCudaIpcMode mode = KvCudaIpcMode.Auto) : IDisposable
{
    public const int MaxOpen = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _open = [];   // by handle (hex) and size
    private long _clock;

    /// <summary>Whether announced rings are considered at all.</summary>
    public bool Enabled => mode != KvCudaIpcMode.Off && device?.Identity is not null;

    /// <summary>Rings open now (tests).</summary>
    public int OpenCount
    {
        get
        {
            lock (_gate) return _open.Count;
        }
    }

    /// <summary>
    /// The announced ring, opened (release it with <see cref="Release"/>), or null with a reason (a short tag for
    /// metrics: off, no_cuda, other_host, device_not_visible, no_peer_access, bad_shape, open_failed, nonce) and a message
    /// naming what differs.
    /// </summary>
    public CudaIpcChunkRing? TryOpen(CudaIpcRing announced, out string reason, out string message)
    {
        ArgumentNullException.ThrowIfNull(announced);
        var gpu = Check(announced, out reason, out message);
        if (gpu is null) return null;
        var key = Convert.ToHexString(announced.Handle.Span) + ":" + announced.Bytes;
        Entry? entry;
        lock (_gate)
        {
            if (_open.TryGetValue(key, out entry)) entry.Users++;
        }
        if (entry is null)
        {
            IKvIpcRegion region;
            try
            {
                region = device!.Open(announced.Handle.Span, (long)announced.Bytes, gpu);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                (reason, message) = ("open_failed", $"the announced device memory cannot be opened here: {e.Message}");
                return null;
            }
            entry = new Entry(key, region) { Users = 1 };
            lock (_gate)
            {
                if (_open.TryGetValue(key, out var raced))
                {
                    raced.Users++;
                    region.Dispose();
                    entry = raced;
                }
                else
                {
                    _open[key] = entry;
                    EvictLocked();
                }
            }
        }

        var ring = new CudaIpcChunkRing(entry.Region, (int)announced.Slots, (int)announced.SlotBytes, announced.Nonce);
        lock (_gate) entry.LastUsed = ++_clock;
        if (ring.StoredNonce != announced.Nonce)
        {
            Release(ring, forget: true);
            (reason, message) = ("nonce", "the opened device memory does not hold the announced nonce (another allocation under the same handle)");
            return null;
        }
        return ring;
    }

    /// <summary>Ends one push's use of <paramref name="ring"/>; with <paramref name="forget"/> it is closed once idle.</summary>
    public void Release(CudaIpcChunkRing ring, bool forget = false)
    {
        ArgumentNullException.ThrowIfNull(ring);
        IKvIpcRegion? close = null;
        lock (_gate)
        {
            foreach (var (key, entry) in _open)
            {
                if (!ReferenceEquals(entry.Region, ring.Region)) continue;
                entry.Users--;
                entry.Forget |= forget;
                if (entry.Forget && entry.Users == 0)
                {
                    _open.Remove(key);
                    close = entry.Region;
                }
                break;
            }
        }
        close?.Dispose();
    }

    // The GPU to open the ring on (the receiver's own or a peer), or null with the reason.
    private KvVisibleGpu? Check(CudaIpcRing announced, out string reason, out string message)
    {
        (reason, message) = ("", "");
        if (mode == KvCudaIpcMode.Off)
        {
            (reason, message) = ("off", "KvTransfer:CudaIpc is off on the receiver");
            return null;
        }

        var here = device?.Identity;
        if (here is null)
        {
            (reason, message) = ("no_cuda", device?.UnavailableReason is { Length: > 0 } why ? why : "the receiver has no CUDA device");
            return null;
        }

        var gpu = KvIpcPeerDecision.Decide(here, device!.VisibleGpus, announced.HostId, announced.DeviceUuid, out reason, out message);
        if (gpu is null) return null;
        if (announced.Slots < 2 || announced.Slots > CudaIpcChunkRing.MaxSlots || announced.SlotBytes < 1 || announced.SlotBytes > CudaIpcChunkRing.MaxSlotBytes
            || announced.Bytes < (ulong)CudaIpcChunkRing.BytesFor((int)announced.Slots, (int)announced.SlotBytes) || announced.Handle.IsEmpty)
        {
            (reason, message) = ("bad_shape", $"{announced.Slots} slots of {announced.SlotBytes} bytes in {announced.Bytes} bytes with a {announced.Handle.Length}-byte handle is not a valid ring");
            return null;
        }
        return gpu;
    }

    // Closes the least recently used idle rings beyond MaxOpen.
    private void EvictLocked()
    {
        while (_open.Count > MaxOpen)
        {
            var idle = _open.Values.Where(e => e.Users == 0).MinBy(e => e.LastUsed);
            if (idle is null) return;
            _open.Remove(idle.Key);
            idle.Region.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var entry in _open.Values) entry.Region.Dispose();
            _open.Clear();
        }
    }

    private sealed class Entry(string key, IKvIpcRegion region)
    {
        public string Key { get; } = key;
        public IKvIpcRegion Region { get; } = region;
        public int Users { get; set; }
        public long LastUsed { get; set; }
        public bool Forget { get; set; }
    }
}
