using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.KvTransfer.Tests;

/// <summary>The options-based construction of <see cref="KvPushClient"/> that hosts use.</summary>
public sealed class KvPushOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Push_ReceiverFailsEveryWrite_OpensOnePlusMaxResumeAttemptsStreams(int maxResumeAttempts)
    {
        var target = new FailingTarget(new MemoryKvStore(TransferFixture.Layout, 64));
        using var table = new KvReservationTable(target, Options.Create(new KvTransferOptions()), new ManualTimeProvider());
        await using var server = await TransferFixture.StartServerAsync(table);
        using var channel = GrpcChannel.ForAddress(server.Urls.First());
        var reservation = table.Reserve(new RequestId("r"), 10, "tiny", TransferFixture.Layout);
        var kv = new byte[TransferFixture.Layout.RangeBytes(TransferFixture.Layout.Layers, reservation.Blocks)];
        var push = TransferFixture.PushOf(reservation.Ticket!, 10, reservation.Blocks, kv);
        var streams = 0;
        var counted = push with { Source = (from, ct) => { Interlocked.Increment(ref streams); return push.Source(from, ct); } };
        var options = new KvTransferOptions { MaxResumeAttempts = maxResumeAttempts };

        var e = await Assert.ThrowsAsync<RpcException>(() => new KvPushClient(new KvTransferService.KvTransferClient(channel), options).PushAsync(counted));

        Assert.NotEqual(StatusCode.OK, e.StatusCode);
        Assert.Equal(1 + maxResumeAttempts, streams);
        Assert.Equal(1 + maxResumeAttempts, target.Attempts);
    }

    [Fact]
    public void Create_NegativeMaxResumeAttempts_ThrowsNamingTheSetting()
    {
        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:1");
        var e = Assert.Throws<ArgumentException>(() => new KvPushClient(new KvTransferService.KvTransferClient(channel), new KvTransferOptions { MaxResumeAttempts = -1 }));
        Assert.Contains("KvTransfer:MaxResumeAttempts", e.Message, StringComparison.Ordinal);
    }

    // A cache whose every write fails (an engine fault): the server ends each push with a resumable status.
    private sealed class FailingTarget(IKvImportTarget inner) : IKvImportTarget
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public string Model => inner.Model;

        public KvCacheLayout Layout => inner.Layout;

        public int? TryReserve(RequestId request, int tokens) => inner.TryReserve(request, tokens);

        public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data)
        {
            Interlocked.Increment(ref _attempts);
            throw new InvalidOperationException("simulated cache fault");
        }

        public void Release(RequestId request) => inner.Release(request);
    }
}
