using System.Collections.Concurrent;
using Cluster.KvTransfer.CudaIpc;

namespace Cluster.KvTransfer.Tests;

/// <summary>
/// A stand-in for a GPU in CPU CI: "device memory" is host arrays registered under a random 16-byte handle, so a
/// sender and a receiver in one test process share them as two processes share device memory through CUDA IPC.
/// Counts allocations and opens; can be told to fail copies or opens.
/// </summary>
/// <remarks><paramref name="visible"/>: the GPUs this "process" sees (default: its own, as index 0).
/// <paramref name="sameProcess"/>: this device and the others given the same table stand for workers of ONE process, and
/// Open behaves as CUDA does there: an export of this process is refused ("invalid device context") unless the table
/// holds it, as <c>TorchKvIpcDevice</c> records its allocations in <see cref="KvIpcLocalExports{TMemory}.Process"/>.
/// <paramref name="recordExports"/> false leaves the table empty (a device that does not record them).</remarks>
internal sealed class FakeIpcDevice(KvDeviceIdentity? identity, string unavailable = "no_cuda: test device", IReadOnlyList<KvVisibleGpu>? visible = null,
    KvIpcLocalExports<byte[]>? sameProcess = null, bool recordExports = true) : IKvIpcDevice
{
    private static readonly ConcurrentDictionary<string, byte[]> Memory = new();

    public KvDeviceIdentity? Identity => identity;

    public string UnavailableReason => identity is null ? unavailable : "";

    public IReadOnlyList<KvVisibleGpu> VisibleGpus => identity is null ? [] : visible ?? [new KvVisibleGpu(0, identity.DeviceUuid, PeerAccess: true)];

    /// <summary>The GPUs rings were opened on, in order.</summary>
    public List<KvVisibleGpu> OpenedOn { get; } = [];

    public int Allocations;

    public int Opens;

    public bool FailOpen { get; set; }

    public static KvDeviceIdentity Gpu(string uuid = "GPU-0", string host = "host-a") => new(host, uuid);

    public IKvIpcRegion Allocate(long bytes)
    {
        Interlocked.Increment(ref Allocations);
        var handle = Guid.NewGuid().ToByteArray();
        var memory = new byte[bytes];
        Memory[Convert.ToHexString(handle)] = memory;
        if (recordExports) sameProcess?.Add(handle, bytes, memory);
        return new Region(handle, memory);
    }

    /// <summary>Opens that found the memory in the same-process table (used in place).</summary>
    public int InPlace;

    public IKvIpcRegion Open(ReadOnlySpan<byte> handle, long bytes, KvVisibleGpu gpu)
    {
        Interlocked.Increment(ref Opens);
        lock (OpenedOn) OpenedOn.Add(gpu);
        if (FailOpen) throw new InvalidOperationException("cudaIpcOpenMemHandle: invalid device context (injected)");
        if (sameProcess is not null)
        {
            if (sameProcess.Find(handle, bytes) is { } own)
            {
                Interlocked.Increment(ref InPlace);
                return new Region(handle.ToArray(), own);
            }

            throw new InvalidOperationException("cudaIpcOpenMemHandle: invalid device context (an export of this same process)");
        }

        return Memory.TryGetValue(Convert.ToHexString(handle), out var memory) && memory.Length == bytes
            ? new Region(handle.ToArray(), memory)
            : throw new ArgumentException("no such exported allocation");
    }

    private sealed class Region(byte[] handle, byte[] memory) : IKvIpcRegion
    {
        public ReadOnlyMemory<byte> Handle => handle;

        public long Bytes => memory.Length;

        public void Read(long offset, Span<byte> destination)
        {
            lock (memory) memory.AsSpan((int)offset, destination.Length).CopyTo(destination);
        }

        public void Write(long offset, ReadOnlySpan<byte> source)
        {
            lock (memory) source.CopyTo(memory.AsSpan((int)offset));
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>A chunk "on the device" (host bytes behind <see cref="IKvDeviceBytes"/>); optionally failing its device copy.</summary>
internal sealed class FakeDeviceBytes(byte[] data, bool failCopy = false) : IKvDeviceBytes
{
    public int Length => data.Length;

    public void CopyTo(IKvIpcRegion region, long offset)
    {
        if (failCopy) throw new InvalidOperationException("cudaMemcpyAsync: an illegal memory access was encountered (injected)");
        region.Write(offset, data);
    }

    public void CopyTo(Span<byte> destination) => data.CopyTo(destination);
}
