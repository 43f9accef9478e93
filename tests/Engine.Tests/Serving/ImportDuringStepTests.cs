using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Tests.Shared;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

/// <summary>
/// KV import and export never wait for a step (src/Engine/KvCache/README.md): with the engine thread held inside a
/// forward pass (after layer 0), reserving, writing a reservation and exporting kept KV all complete. Before the forward
/// pass ran outside the engine's lock each of them blocked until the step ended, so these waits timed out.
/// </summary>
public sealed class ImportDuringStepTests : IClassFixture<TinyModelFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);   // only bounds a hang; normal runs take milliseconds
    private readonly TinyModelFixture _models;

    public ImportDuringStepTests(TinyModelFixture models) => _models = models;

    [Fact]
    public async Task ReserveAndWrite_WhileTheDecodeEngineIsInsideAForwardPass_CompleteBeforeTheStepEnds()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, blocks: 32, blockSize: 4, role: EngineRoleNames.Prefill);
        using var decode = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Decode);
        var prompt = Prompt(22, seed: 5);
        var firstToken = Assert.Single(Tokens(RunToEnd(prefill, prefill.Submit(Id(0), prompt, Greedy(8)))));
        var layout = decode.Storage.Layout;
        var blocks = layout.BlocksFor(prompt.Length);
        var local = decode.Submit(Id(9), Prompt(30, seed: 6), Greedy(4));   // work that keeps the decode engine stepping

        using var held = new HeldStep(decode, Bound);
        Assert.True(held.Entered.Wait(Bound), "the decode engine never reached layer 0 of a step");

        var importing = Task.Run(() =>
        {
            Assert.Equal(blocks, decode.Import.TryReserve(Id(0), prompt.Length));
            for (var layer = 0; layer < layout.Layers; layer++)
            {
                var bytes = new byte[layout.RangeBytes(1, blocks)];
                prefill.ExportKv(Id(0), layer, 1, 0, blocks, bytes);
                decode.Import.Write(Id(0), layer, 1, 0, blocks, bytes);
            }
        });
        await Completes(importing, "reserve + write waited for the step: they must not take the engine's lock for a forward pass");
        Assert.False(held.Finished, "the step ended before the import; the test proved nothing");
        held.Release();
        held.Join();

        prefill.ReleaseKv(Id(0));
        var rest = decode.SubmitImported(Id(0), prompt, firstToken, Greedy(8));
        decode.RunUntilIdle();
        Assert.Equal(Reference(model, prompt, 8), Tokens(rest));   // the bytes written mid-step are the ones decoded
        Assert.Equal(Reference(model, Prompt(30, seed: 6), 4), Tokens(local));
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    [Fact]
    public async Task ExportKv_WhileThePrefillEngineIsInsideAForwardPass_CompletesBeforeTheStepEnds()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Prefill);
        var prompt = Prompt(17, seed: 3);
        RunToEnd(prefill, prefill.Submit(Id(0), prompt, Greedy(2)));
        var layout = prefill.Storage.Layout;
        var blocks = layout.BlocksFor(prompt.Length);
        var expected = new byte[layout.RangeBytes(layout.Layers, blocks)];
        prefill.ExportKv(Id(0), 0, layout.Layers, 0, blocks, expected);
        prefill.Submit(Id(1), Prompt(40, seed: 4), Greedy(2));

        using var held = new HeldStep(prefill, Bound);
        Assert.True(held.Entered.Wait(Bound), "the prefill engine never reached layer 0 of a step");
        var exported = new byte[expected.Length];
        var exporting = Task.Run(() => prefill.ExportKv(Id(0), 0, layout.Layers, 0, blocks, exported));
        await Completes(exporting, "the export waited for the step: it must copy without the engine's lock");
        Assert.False(held.Finished, "the step ended before the export; the test proved nothing");
        held.Release();
        held.Join();

        Assert.Equal(expected, exported);
        prefill.ReleaseKv(Id(0));
        prefill.RunUntilIdle();
        prefill.ReleaseKv(Id(1));
        Assert.Equal(0, prefill.Stats.UsedBlocks);
    }

    private static async Task Completes(Task task, string because)
    {
        var done = await Task.WhenAny(task, Task.Delay(Bound));
        Assert.True(done == task, because);
        await task;
    }

    private static RequestHandle RunToEnd(InferenceEngine engine, RequestHandle handle)
    {
        engine.RunUntilIdle();
        return handle;
    }
}
