using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Cluster.Rpc.Server;

/// <summary>Kestrel memory pools of large pinned blocks (<see cref="RpcReceiveBufferExtensions.AddRpcLargeReceiveBuffers"/>).</summary>
internal sealed class LargeBlockMemoryPoolFactory(int blockSize) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool(blockSize);

    private sealed class LargeBlockMemoryPool(int blockSize) : MemoryPool<byte>
    {
        private const long MaxFreeBytes = 64L * 1024 * 1024;
        private readonly ConcurrentQueue<byte[]> _free = new();
        private int _freeCount;

        public override int MaxBufferSize => blockSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            if (minBufferSize > blockSize)
            {
                return new Block(this, GC.AllocateUninitializedArray<byte>(minBufferSize, pinned: true));
            }

            if (_free.TryDequeue(out var array))
            {
                Interlocked.Decrement(ref _freeCount);
                return new Block(this, array);
            }

            return new Block(this, GC.AllocateUninitializedArray<byte>(blockSize, pinned: true));
        }

        protected override void Dispose(bool disposing) => _free.Clear();

        private void Return(byte[] array)
        {
            if (array.Length == blockSize && (long)Interlocked.Increment(ref _freeCount) * blockSize <= MaxFreeBytes)
            {
                _free.Enqueue(array);
                return;
            }

            if (array.Length == blockSize)
            {
                Interlocked.Decrement(ref _freeCount);
            }
        }

        private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
        {
            private byte[]? _array = array;

            public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _array, null) is { } returned)
                {
                    pool.Return(returned);
                }
            }
        }
    }
}
