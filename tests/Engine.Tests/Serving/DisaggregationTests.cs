using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

public sealed class DisaggregationTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public DisaggregationTests(TinyModelFixture models) => _models = models;

    [Theory]
    [InlineData(23)]
    [InlineData(24)]
    [InlineData(1)]
    public void ExportImport_PrefillThenDecodeEngine_EqualsUninterruptedGeneration(int promptLength)
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, blocks: 32, blockSize: 4, role: EngineRoleNames.Prefill);
        using var decode = NewEngine(model, blocks: 32, blockSize: 4, role: EngineRoleNames.Decode);
        var prompt = Prompt(promptLength, seed: 9);
        var first = prefill.Submit(Id(0), prompt, Greedy(10));
        prefill.RunUntilIdle();
        Assert.Equal(promptLength, prefill.ExportableTokens(Id(0)));
        var firstToken = Assert.Single(Tokens(first));

        // Layer by layer, as the transfer service sends it.
        var layout = prefill.Storage.Layout;
        var blocks = decode.Import.TryReserve(Id(0), promptLength)!.Value;
        Assert.Equal(layout.BlocksFor(promptLength), blocks);
        for (var layer = 0; layer < layout.Layers; layer++)
        {
            var bytes = new byte[layout.RangeBytes(1, blocks)];
            prefill.ExportKv(Id(0), layer, 1, 0, blocks, bytes);
            decode.Import.Write(Id(0), layer, 1, 0, blocks, bytes);
        }
        prefill.ReleaseKv(Id(0));
        Assert.Equal(0, prefill.Stats.UsedBlocks);

        var rest = decode.SubmitImported(Id(0), prompt, firstToken, Greedy(10));
        decode.RunUntilIdle();
        Assert.Equal(Reference(model, prompt, 10), Tokens(rest));
        Assert.Equal(9, decode.Stats.ComputedTokens);   // no prompt token recomputed
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    [Fact]
    public void Read_Reservation_ReturnsWhatWasWrittenForEveryLayer()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var decode = NewEngine(model, blocks: 32, blockSize: 4, role: EngineRoleNames.Decode);
        var layout = decode.Storage.Layout;
        var blocks = decode.Import.TryReserve(Id(0), 10)!.Value;
        var written = new byte[layout.RangeBytes(layout.Layers, blocks)];
        new Random(3).NextBytes(written);
        decode.Import.Write(Id(0), 0, layout.Layers, 0, blocks, written);

        var read = new byte[written.Length];
        decode.Import.Read(Id(0), read);

        Assert.Equal(written, read);
        decode.Import.Release(Id(0));
        Assert.Throws<InvalidOperationException>(() => decode.Import.Read(Id(0), read));
    }

    [Fact]
    public void Release_OpenReservation_FreesBlocksAndRefusesLateWrites()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var decode = NewEngine(model, blocks: 8, blockSize: 4, role: EngineRoleNames.Decode);
        Assert.Equal(3, decode.Import.TryReserve(Id(0), 10));
        Assert.Null(decode.Import.TryReserve(Id(1), 30));
        decode.Import.Release(Id(0));
        decode.Import.Release(Id(0));
        Assert.Equal(0, decode.Stats.UsedBlocks);
        var bytes = new byte[decode.Storage.Layout.RangeBytes(1, 1)];
        Assert.Throws<InvalidOperationException>(() => decode.Import.Write(Id(0), 0, 1, 0, 1, bytes));
        Assert.Throws<InvalidOperationException>(() => decode.SubmitImported(Id(0), Prompt(10, seed: 0), 1, Greedy(2)));
    }
}
