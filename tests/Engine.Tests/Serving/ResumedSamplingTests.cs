using Cluster.Core.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

/// <summary>
/// A request resumed with its generated tokens (migration, or the prefill worker's first token on the decode engine)
/// samples the rest exactly as an uninterrupted run: penalties count those tokens as output and a seeded draw
/// continues where it stopped.
/// </summary>
public sealed class ResumedSamplingTests : IClassFixture<TinyModelFixture>
{
    private const int MaxTokens = 12;
    private readonly TinyModelFixture _models;

    public ResumedSamplingTests(TinyModelFixture models) => _models = models;

    public static TheoryData<string> Samplings => ["greedy-penalised", "seeded-penalised", "seeded"];

    [Theory]
    [MemberData(nameof(Samplings))]
    public void Submit_WithGeneratedSoFar_ContinuesAsTheUninterruptedRun(string sampling)
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var prompt = Prompt(9, seed: 21);
        var whole = Run(engine, new EngineRequest(Id(0), prompt, Params(sampling)));

        foreach (var k in new[] { 1, 5 })
        {
            var resumed = Run(engine, new EngineRequest(Id(k), prompt, Params(sampling)) { Generated = whole[..k] });
            Assert.Equal(whole[k..], resumed);
        }
    }

    [Theory]
    [MemberData(nameof(Samplings))]
    public void PrefillThenImport_WithGeneratedSoFar_ContinuesAsTheUninterruptedRun(string sampling)
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var colocated = NewEngine(model, blocks: 64, blockSize: 4);
        using var prefill = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Prefill);
        using var decode = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Decode);
        var prompt = Prompt(9, seed: 21);
        var whole = Run(colocated, new EngineRequest(Id(0), prompt, Params(sampling)));

        foreach (var k in new[] { 0, 4 })   // 0: plain disaggregation; 4: a migration after 4 tokens
        {
            var id = Id(10 + k);
            var earlier = whole[..k];
            var first = Run(prefill, new EngineRequest(id, prompt, Params(sampling)) { Generated = earlier });
            Assert.Equal(whole[k], Assert.Single(first));
            var tokens = prompt.Length + k;
            var layout = prefill.Storage.Layout;
            var blocks = decode.Import.TryReserve(id, tokens)!.Value;
            var bytes = new byte[layout.RangeBytes(layout.Layers, blocks)];
            prefill.ExportKv(id, 0, layout.Layers, 0, blocks, bytes);
            decode.Import.Write(id, 0, layout.Layers, 0, blocks, bytes);
            prefill.ReleaseKv(id);

            var rest = Run(decode, new EngineRequest(id, prompt, Params(sampling)) { Generated = [.. earlier, first[0]] }, imported: true);
            Assert.Equal(whole[k..], rest);   // the handle emits the imported first token, then the rest
        }
    }

    [Fact]
    public void Submit_GeneratedReachesMaxTokens_Refused()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var error = Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest(Id(0), [1, 2, 3], Greedy(2)) { Generated = [4, 5] }));
        Assert.Contains("nothing is left to generate", error.Message);
    }

    // Penalties strong enough to change the tiny model's choices (checked in Penalties_ChangeTheOutput).
    private static GenerationParameters Params(string sampling) => sampling switch
    {
        "greedy-penalised" => new() { MaxTokens = MaxTokens, IgnoreEos = true, PresencePenalty = 1.5, FrequencyPenalty = 1, RepetitionPenalty = 1.3 },
        "seeded-penalised" => new() { MaxTokens = MaxTokens, IgnoreEos = true, Temperature = 0.9, Seed = 77, PresencePenalty = 1.5, FrequencyPenalty = 1 },
        _ => new() { MaxTokens = MaxTokens, IgnoreEos = true, Temperature = 1, Seed = 5 },
    };

    [Fact]
    public void Penalties_ChangeTheOutput()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var prompt = Prompt(9, seed: 21);
        var penalised = Run(engine, new EngineRequest(Id(0), prompt, Params("greedy-penalised")));
        Assert.NotEqual(Reference(model, prompt, MaxTokens), penalised);
    }

    private static int[] Run(InferenceEngine engine, EngineRequest request, bool imported = false)
    {
        var handle = imported ? engine.SubmitImported(request) : engine.Submit(request);
        engine.RunUntilIdle();
        return [.. Tokens(handle)];
    }
}
