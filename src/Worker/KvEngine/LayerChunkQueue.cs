using Cluster.Core.Ids;
using Cluster.Engine.Serving;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.CudaIpc;
using Cluster.Torch;

namespace Cluster.Worker.KvEngine;

/// <summary>
/// The sink of a streaming prefill (<see cref="InferenceEngine.SubmitStreaming"/>) and the source of its push: each
/// published layer slab becomes chunks of at most a byte budget, numbered in publication order (an append-only list,
/// so a resumed push replays the same sequence numbers). A chunk is copied out of its slab the first time it is sent;
/// a resend after a broken stream re-exports it from the engine once the prefill has finished. Blocks before
/// <paramref name="firstBlock"/> (the receiver's cached prefix) are never queued.
/// </summary>
internal sealed class LayerChunkQueue(InferenceEngine engine, RequestId request, int maxChunkBytes, int firstBlock = 0) : IKvLayerSink, IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    private readonly List<SlabBytes> _handedOut = [];   // device chunks given to a push: released on Dispose if never copied
    private TaskCompletionSource _appended = NewSignal();
    private Task _prefill = Task.CompletedTask;
    private bool _disposed;

    /// <summary>Chunks published so far (tests observe progress through it).</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>The prefill's completion: once it has succeeded every chunk is queued; a failure ends the push.</summary>
    public void Attach(Task prefill) => _prefill = prefill;

    public void LayerReady(KvLayerSlab slab)
    {
        ArgumentNullException.ThrowIfNull(slab);
        var perChunk = (int)Math.Max(1, maxChunkBytes / slab.Layout.BlockLayerBytes);
        var skip = Math.Clamp(firstBlock - slab.BlockStart, 0, slab.BlockCount);   // the receiver holds these already
        var owner = new SlabOwner(slab, (slab.BlockCount - skip + perChunk - 1) / perChunk);
        TaskCompletionSource appended;
        lock (_gate)
        {
            if (_disposed || skip == slab.BlockCount)
            {
                slab.Dispose();
                return;
            }
            for (var offset = skip; offset < slab.BlockCount; offset += perChunk)
            {
                var count = Math.Min(perChunk, slab.BlockCount - offset);
                _entries.Add(new Entry(new KvChunkRange(slab.Layer, 1, slab.BlockStart + offset, count), owner, offset));
            }
            appended = _appended;
            _appended = NewSignal();
        }
        appended.TrySetResult();
    }

    /// <summary>
    /// The chunks from sequence <paramref name="from"/> on, each as soon as it is published, in one reused host staging of
    /// one chunk (pinned on CUDA; the push has copied a chunk into its frame before it asks for the next).
    /// </summary>
    public async IAsyncEnumerable<KvChunkData> Chunks(uint from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var layout = engine.Storage.Layout;
        using var staging = HostStaging.Allocate((int)layout.RangeBytes(1, (int)Math.Max(1, maxChunkBytes / layout.BlockLayerBytes)), engine.Storage.Device);
        for (var i = (int)from; ; i++)
        {
            var entry = await NextAsync(i, cancellationToken);
            if (entry is null) yield break;
            var range = entry.Range;
            var bytes = TryCopyFromSlab(entry, staging);
            if (bytes is null)
            {
                await _prefill.WaitAsync(cancellationToken);
                bytes = engine.ExportKvStaged(request, range.LayerStart, 1, range.BlockStart, range.BlockCount, staging);
            }
            yield return new KvChunkData(range, staging.Memory[..bytes.Value]);
        }
    }

    /// <summary>
    /// The chunks from sequence <paramref name="from"/> on with their bytes left in their slab on the device
    /// (<see cref="KvChunkData.Device"/>: copied device to device into a CUDA IPC ring slot); a chunk whose slab is gone
    /// (a resend) is exported to the host once the prefill has finished, as in <see cref="Chunks"/>.
    /// </summary>
    public async IAsyncEnumerable<KvChunkData> DeviceChunks(uint from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var layout = engine.Storage.Layout;
        for (var i = (int)from; ; i++)
        {
            var entry = await NextAsync(i, cancellationToken);
            if (entry is null) yield break;
            var range = entry.Range;
            if (TryTake(entry))
            {
                var slab = new SlabBytes(entry);
                lock (_gate) _handedOut.Add(slab);
                yield return new KvChunkData(range, ReadOnlyMemory<byte>.Empty) { Device = slab };
                continue;
            }
            await _prefill.WaitAsync(cancellationToken);
            var bytes = new byte[layout.RangeBytes(1, range.BlockCount)];
            engine.ExportKv(request, range.LayerStart, 1, range.BlockStart, range.BlockCount, bytes);
            yield return new KvChunkData(range, bytes);
        }
    }

    // Marks the entry's slab as taken by one sender (false when it was taken before or the queue is gone).
    private bool TryTake(Entry entry)
    {
        lock (_gate)
        {
            if (entry.Copied || _disposed) return false;
            entry.Copied = true;
            return true;
        }
    }

    // The i-th chunk once published; null when the prefill finished and there is none; throws when the prefill failed.
    private async Task<Entry?> NextAsync(int i, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task appended;
            lock (_gate)
            {
                if (i < _entries.Count) return _entries[i];
                appended = _appended.Task;
            }
            if (_prefill.IsCompleted)
            {
                await _prefill;   // a failed or cancelled prefill ends the push with its exception
                lock (_gate) return i < _entries.Count ? _entries[i] : null;
            }
            await Task.WhenAny(appended, _prefill).WaitAsync(cancellationToken);
        }
    }

    // The chunk's bytes copied out of its slab into the staging (their count), or null when the slab is gone.
    private int? TryCopyFromSlab(Entry entry, HostStaging staging)
    {
        lock (_gate)
        {
            if (entry.Copied || _disposed) return null;
            entry.Copied = true;
        }
        try
        {
            return entry.Owner.Slab.CopyTo(entry.Offset, entry.Range.BlockCount, staging);
        }
        finally
        {
            entry.Owner.Release();
        }
    }

    /// <summary>Frees the slabs not sent yet (the push ended early); later slabs are freed as they arrive.</summary>
    public void Dispose()
    {
        List<Entry> unsent;
        List<SlabBytes> handedOut;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            unsent = [.. _entries.Where(e => !e.Copied)];
            foreach (var entry in unsent) entry.Copied = true;
            handedOut = [.. _handedOut];
        }
        // A copy in progress still holds its slab: the slab goes with the last release.
        foreach (var entry in unsent) entry.Owner.Release();
        foreach (var slab in handedOut) slab.Abandon();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // A slab shared by its chunks: disposed when the last chunk was copied out or given up.
    private sealed class SlabOwner(KvLayerSlab slab, int chunks)
    {
        private int _pending = chunks;

        public KvLayerSlab Slab { get; } = slab;

        public void Release()
        {
            if (Interlocked.Decrement(ref _pending) == 0) Slab.Dispose();
        }
    }

    // A chunk still in its slab: copied once (into a ring slot or to the host), then the slab reference is released.
    private sealed class SlabBytes(Entry entry) : IKvDeviceBytes
    {
        private int _done;

        public int Length => entry.Owner.Slab.Bytes(entry.Offset, entry.Range.BlockCount);

        public void CopyTo(IKvIpcRegion region, long offset)
        {
            var memory = (region as TorchIpcRegion)?.Memory
                ?? throw new ArgumentException($"A slab copies only into CUDA IPC memory of its device, not {region?.GetType().Name}.", nameof(region));
            Once(() => entry.Owner.Slab.CopyTo(entry.Offset, entry.Range.BlockCount, memory, offset));
        }

        public void CopyTo(Span<byte> destination)
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) throw new InvalidOperationException("The chunk was copied out of its slab already.");
            try
            {
                entry.Owner.Slab.CopyTo(entry.Offset, entry.Range.BlockCount, destination);
            }
            finally
            {
                entry.Owner.Release();
            }
        }

        /// <summary>Gives the slab reference back if the push never copied the chunk (it ended early).</summary>
        public void Abandon()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) entry.Owner.Release();
        }

        private void Once(Action copy)
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) throw new InvalidOperationException("The chunk was copied out of its slab already.");
            try
            {
                copy();
            }
            finally
            {
                entry.Owner.Release();
            }
        }
    }

    private sealed class Entry(KvChunkRange range, SlabOwner owner, int offset)
    {
        public KvChunkRange Range { get; } = range;

        public SlabOwner Owner { get; } = owner;

        public int Offset { get; } = offset;

        public bool Copied { get; set; }
    }
}
