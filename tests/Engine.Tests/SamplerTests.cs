using Cluster.Core.Generation;
using Cluster.Engine.Sampling;
using Cluster.Torch;

namespace Cluster.Engine.Tests;

public sealed class SamplerTests
{
    private static (int Token, float LogProb) SampleOnce(GenerationParameters p, float[] logits, int[]? prompt = null)
    {
        using var sampler = new Sampler(p, logits.Length, Device.CPU, prompt ?? []);
        using var t = torch.tensor(logits, [logits.Length]);
        return sampler.Sample(t);
    }

    [Fact]
    public void Greedy_PicksArgmaxAndReportsItsLogProb()
    {
        float[] logits = [0.1f, 2f, -1f, 1.5f];
        var (token, logProb) = SampleOnce(new GenerationParameters(), logits);
        Assert.Equal(1, token);
        var z = logits.Sum(l => Math.Exp(l));
        Assert.Equal(Math.Log(Math.Exp(2) / z), logProb, 5);
    }

    [Fact]
    public void Temperature_SameSeedSameTokens_DifferentSeedsDiffer()
    {
        var logits = Enumerable.Range(0, 50).Select(i => (float)Math.Sin(i)).ToArray();
        int[] Draw(ulong seed)
        {
            using var sampler = new Sampler(new GenerationParameters { Temperature = 1, Seed = seed }, logits.Length, Device.CPU, []);
            using var t = torch.tensor(logits, [logits.Length]);
            return Enumerable.Range(0, 20).Select(_ => sampler.Sample(t).Token).ToArray();
        }
        Assert.Equal(Draw(1), Draw(1));
        Assert.NotEqual(Draw(1), Draw(2));
    }

    [Fact]
    public void Temperature_EmpiricalFrequencies_FollowSoftmax()
    {
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.2f)];
        using var sampler = new Sampler(new GenerationParameters { Temperature = 1, Seed = 42 }, 3, Device.CPU, []);
        using var t = torch.tensor(logits, [3]);
        var counts = new int[3];
        const int n = 3000;
        for (var i = 0; i < n; i++) counts[sampler.Sample(t).Token]++;
        Assert.InRange(counts[0] / (double)n, 0.46, 0.54);
        Assert.InRange(counts[1] / (double)n, 0.26, 0.34);
        Assert.InRange(counts[2] / (double)n, 0.16, 0.24);
    }

    [Theory]
    [InlineData(1, 1.0, 0.0)]     // top-k 1
    [InlineData(0, 0.05, 0.0)]    // top-p keeps only the most likely
    [InlineData(0, 1.0, 0.95)]    // min-p drops all but the most likely
    public void Truncation_LeavingOneCandidate_AlwaysPicksIt(int topK, double topP, double minP)
    {
        float[] logits = [1f, 1.2f, 3f, 0.5f, 2.9f];
        var p = new GenerationParameters { Temperature = 1.5, TopK = topK, TopP = topP, MinP = minP, Seed = 3 };
        using var sampler = new Sampler(p, logits.Length, Device.CPU, []);
        using var t = torch.tensor(logits, [logits.Length]);
        Assert.All(Enumerable.Range(0, 30), _ => Assert.Equal(2, sampler.Sample(t).Token));
    }

    [Fact]
    public void TopK_Two_OnlyEverPicksTheTwoLargest()
    {
        float[] logits = [1f, 1.2f, 3f, 0.5f, 2.9f];
        using var sampler = new Sampler(new GenerationParameters { Temperature = 1, TopK = 2, Seed = 5 }, logits.Length, Device.CPU, []);
        using var t = torch.tensor(logits, [logits.Length]);
        var seen = Enumerable.Range(0, 200).Select(_ => sampler.Sample(t).Token).ToHashSet();
        Assert.Equal(new HashSet<int> { 2, 4 }, seen);
    }

    [Fact]
    public void RepetitionPenalty_OnPromptToken_MovesGreedyToTheNextBest()
    {
        float[] logits = [0f, 3f, 2.5f];
        Assert.Equal(1, SampleOnce(new GenerationParameters(), logits, [1]).Token);
        Assert.Equal(2, SampleOnce(new GenerationParameters { RepetitionPenalty = 1.5 }, logits, [1]).Token);
    }

    [Fact]
    public void PresenceAndFrequencyPenalties_ApplyToGeneratedTokens()
    {
        float[] logits = [0f, 3f, 2.5f];
        using var sampler = new Sampler(new GenerationParameters { PresencePenalty = 0.3, FrequencyPenalty = 0.3 }, 3, Device.CPU, []);
        using var t = torch.tensor(logits, [3]);
        Assert.Equal(1, sampler.Sample(t).Token);   // 3.0 vs 2.5
        Assert.Equal(2, sampler.Sample(t).Token);   // 3.0 - 0.6 = 2.4 < 2.5
    }
}
