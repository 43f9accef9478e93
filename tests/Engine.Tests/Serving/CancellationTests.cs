using Cluster.Engine.Model;
using Cluster.Engine.Serving;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

public sealed class CancellationTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public CancellationTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void Run_ThousandRandomRequestsWithRandomCancellations_LeavesNoBlockAllocated()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 48, blockSize: 4, maxBatchTokens: 96);
        var random = new Random(42);
        var handles = new List<RequestHandle>();
        var cancelled = 0;
        for (var i = 0; i < 1000; i++)
        {
            // Shared prefixes (from a few seeds) so that cached blocks are reused and evicted too.
            var prompt = Prompt(1 + random.Next(30), seed: random.Next(8));
            handles.Add(engine.Submit(Id(i), prompt, Greedy(1 + random.Next(8))));
            if (random.Next(3) == 0)
            {
                engine.Cancel(Id(random.Next(i + 1)));
                cancelled++;
            }
            if (random.Next(4) == 0) engine.Step();
        }
        engine.RunUntilIdle();

        Assert.All(handles, h => Assert.True(h.Completion.IsCompleted));
        var cancelledCount = handles.Count(h => h.Completion.IsCanceled);
        Assert.InRange(cancelledCount, 1, cancelled);
        Assert.Equal(0, engine.Stats.UsedBlocks);
        Assert.Equal(0, engine.Kv.SequenceCount);
    }

    [Fact]
    public void Cancel_RunningRequest_FreesItsBlocksBeforeTheNextStep()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 32, blockSize: 4);
        var handle = engine.Submit(Id(0), Prompt(20, seed: 1), Greedy(50));
        Assert.True(engine.Step());
        Assert.True(engine.Stats.UsedBlocks >= 5);
        engine.Cancel(Id(0));
        Assert.False(engine.Step());
        Assert.Equal(0, engine.Stats.UsedBlocks);
        Assert.True(handle.Completion.IsCanceled);
        Assert.Equal(1, handle.Tokens.Count);   // the one token produced before the cancellation
    }

    [Fact]
    public async Task RunAsync_SubmitThenStop_GeneratesWithoutPollingAndStops()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 32, blockSize: 4);
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => engine.RunAsync(stop.Token));
        var prompt = Prompt(9, seed: 2);
        var result = await engine.Submit(Id(0), prompt, Greedy(5)).Completion.WaitAsync(TimeSpan.FromSeconds(60)); // bounds a hang only
        Assert.Equal(Reference(model, prompt, 5), result.Tokens);
        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(60));   // a stop is a normal return, whether the loop was idle or between steps
        Assert.True(loop.IsCompletedSuccessfully);
    }
}
