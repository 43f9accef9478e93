using Cluster.Core.Ids;
using Cluster.KvTransfer.Client;

namespace Cluster.KvTransfer.Tests;

public sealed class ConcurrentTransferTests
{
    [Fact]
    public async Task HundredConcurrentPushes_WithRandomCancellations_LeaveZeroReservedBlocks()
    {
        await using var f = await TransferFixture.StartAsync(totalBlocks: 100 * 10);
        var random = new Random(42);
        var client = new KvPushClient(f.Client);
        var work = Enumerable.Range(0, 100).Select(i =>
        {
            var request = new RequestId($"r{i}");
            var tokens = random.Next(1, 40);
            var (ticket, blocks, kv) = f.Reserve(request, tokens, seed: i);
            var cancelAt = random.Next(3) == 0 ? random.Next(0, 8) : -1;
            return Task.Run(() => RunOneAsync(f, client, request, ticket, tokens, blocks, kv, cancelAt));
        }).ToArray();

        var outcomes = await Task.WhenAll(work);

        Assert.Contains(true, outcomes);
        Assert.Contains(false, outcomes);
        Assert.Equal(0, f.Table.Count);
        Assert.Equal(0, f.Store.UsedBlocks);
    }

    // Completes (hands over to "decode", which frees the blocks when done) or cancels part-way; true when completed.
    private static async Task<bool> RunOneAsync(TransferFixture f, KvPushClient client, RequestId request, string ticket, int tokens, int blocks, byte[] kv, int cancelAt)
    {
        using var cts = new CancellationTokenSource();
        var push = TransferFixture.PushOf(ticket, tokens, blocks, kv, maxChunkBytes: 128, tamper: (sequence, chunk) =>
        {
            if (sequence == cancelAt)
            {
                cts.Cancel();
            }

            return chunk;
        });
        try
        {
            var result = await client.PushAsync(push, cts.Token);
            Assert.True(result.Complete);
            Assert.Equal(kv, f.Store.Contents(request));
            Assert.NotNull(f.Table.TakeForDecode(ticket));
            f.Store.Release(request);
            return true;
        }
        catch (Exception) when (cts.IsCancellationRequested)
        {
            Assert.True(f.Table.Cancel(request));
            return false;
        }
    }
}
