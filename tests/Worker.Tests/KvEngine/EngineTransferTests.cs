using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.Generation;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Engine.Synthetic;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Tests;
using Cluster.Worker.KvEngine;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;
using Grpc.Net.Client;
using Cluster.Torch;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.Worker.Tests.KvEngine;

/// <summary>Two engines (prefill role, decode role) on the tiny model, KV moved between them over real h2c.</summary>
public sealed class EngineTransferTests : IDisposable
{
    private static readonly ModelId Model = new("tiny");
    private readonly string _modelDir = Path.Combine(Path.GetTempPath(), "kv-transfer-tests-" + Guid.NewGuid().ToString("N"));

    public EngineTransferTests() => SyntheticModelWriter.Write(_modelDir, ModelPresets.Get("tiny"), ScalarType.Float32, seed: 77);

    public void Dispose() => Directory.Delete(_modelDir, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(37)]
    public async Task Push_PrefillToDecodeEngine_KvBitExactAndDecodeEqualsUninterruptedGeneration(int promptLength)
    {
        using var model = LlamaModel.Load(_modelDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, EngineRoleNames.Prefill);
        using var decode = NewEngine(model, EngineRoleNames.Decode);
        using var table = new KvReservationTable(new EngineKvImportTarget(decode.Import), Options.Create(new KvTransferOptions()), TimeProvider.System);
        await using var server = await TransferFixture.StartServerAsync(table);
        using var channel = GrpcChannel.ForAddress(server.Urls.First());
        var id = new RequestId("r1");
        var prompt = Prompt(promptLength);

        var first = prefill.Submit(id, prompt, Greedy(12));
        prefill.RunUntilIdle();
        var firstToken = Assert.Single((await first.Completion).Tokens);
        var reservation = table.Reserve(id, promptLength, "tiny", decode.Storage.Layout);
        Assert.True(reservation.Succeeded, reservation.Message);

        // Small chunks so a prompt spans many chunk frames.
        var push = EngineKvSource.Create(prefill, id, reservation.Ticket!, maxChunkBytes: 2048);
        var result = await new KvPushClient(new KvTransferService.KvTransferClient(channel)).PushAsync(push);
        Assert.True(result.Complete);

        Assert.NotNull(table.TakeForDecode(reservation.Ticket!));
        Assert.Equal(ExportAll(prefill.Storage, prefill.Kv.GetBlocks(id)), ExportAll(decode.Storage, decode.Kv.GetBlocks(id)));
        prefill.ReleaseKv(id);

        var rest = decode.SubmitImported(id, prompt, firstToken, Greedy(12));
        decode.RunUntilIdle();
        Assert.Equal(new Generator(model).Generate(prompt, Greedy(12)).Tokens, (await rest.Completion).Tokens);
        Assert.Equal(11, decode.Stats.ComputedTokens);
        Assert.Equal(0, decode.Stats.UsedBlocks);
        Assert.Equal(0, prefill.Stats.UsedBlocks);
    }

    [Fact]
    public async Task Push_ReservationCancelledMidway_FreesDecodeBlocksAndRefusesTheRest()
    {
        using var model = LlamaModel.Load(_modelDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, EngineRoleNames.Prefill);
        using var decode = NewEngine(model, EngineRoleNames.Decode);
        using var table = new KvReservationTable(new EngineKvImportTarget(decode.Import), Options.Create(new KvTransferOptions()), TimeProvider.System);
        await using var server = await TransferFixture.StartServerAsync(table);
        using var channel = GrpcChannel.ForAddress(server.Urls.First());
        var id = new RequestId("r1");
        prefill.Submit(id, Prompt(30), Greedy(4));
        prefill.RunUntilIdle();
        var ticket = table.Reserve(id, 30).Ticket!;
        var push = EngineKvSource.Create(prefill, id, ticket, maxChunkBytes: 1024);
        var chunks = 0;
        var cancelling = push with
        {
            Source = (from, ct) => CancelAfter(push.Source(from, ct), 3, () =>
            {
                chunks++;
                return table.Cancel(id);
            }),
        };

        var e = await Assert.ThrowsAsync<RpcException>(() => new KvPushClient(new KvTransferService.KvTransferClient(channel)).PushAsync(cancelling));

        // The sender pulls chunks ahead of the receiver: the cancel lands either during the push (FAILED_PRECONDITION) or
        // before the receiver has read the header (NOT_FOUND: the ticket is gone). Either way nothing more is written.
        Assert.Contains(e.StatusCode, new[] { StatusCode.FailedPrecondition, StatusCode.NotFound });
        Assert.Equal(1, chunks);
        Assert.Equal(0, decode.Stats.UsedBlocks);
        Assert.Equal(0, table.Count);
    }

    private static async IAsyncEnumerable<KvChunkData> CancelAfter(IAsyncEnumerable<KvChunkData> source, int count, Func<bool> cancel)
    {
        var n = 0;
        await foreach (var chunk in source)
        {
            if (n++ == count)
            {
                Assert.True(cancel());
            }

            yield return chunk;
        }
    }

    private static byte[] ExportAll(PagedKvStorage storage, IReadOnlyList<KvBlockId> blocks)
    {
        var bytes = new byte[storage.Layout.RangeBytes(storage.Layout.Layers, blocks.Count)];
        storage.Export(storage.Layout, 0, storage.Layout.Layers, blocks, bytes);
        return bytes;
    }

    private static InferenceEngine NewEngine(LlamaModel model, string role) =>
        new(model, Model, new EngineOptions { Role = role }, new KvCacheOptions { BlockSize = 4, NumBlocks = 64 });

    private static GenerationParameters Greedy(int maxTokens) => new() { MaxTokens = maxTokens, IgnoreEos = true };

    private static int[] Prompt(int length)
    {
        var random = new Random(length);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(256))];
    }
}
