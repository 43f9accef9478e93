using Cluster.Core.Generation;
using Cluster.Torch;

namespace Cluster.Engine.Sampling;

/// <summary>
/// Picks tokens for one sequence from logits [vocab] (float32, on the model's device): penalties, then greedy
/// or temperature → top-k → softmax → min-p → top-p → an inverse-CDF draw with a uniform from a seeded
/// <see cref="Random"/> (so a seed gives the same tokens on any device). Reports the chosen token's
/// log-probability under the unprocessed logits. Output generated before this sampler existed (elsewhere: the prefill
/// worker's first token, tokens before a migration) is counted as output and, for a seeded draw, skips one uniform
/// per token (each non-greedy <see cref="Sample"/> draws exactly one), so the tokens that follow equal an
/// uninterrupted run's.
/// </summary>
public sealed class Sampler : IDisposable
{
    private readonly GenerationParameters _p;
    private readonly Random _random;
    private readonly Tensor? _seen;          // [vocab] bool: in prompt or output (repetition penalty)
    private readonly Tensor? _outputCounts;  // [vocab] float32: occurrences in output (presence/frequency)
    private readonly Device _device;

    public Sampler(GenerationParameters parameters, int vocabSize, Device device, IReadOnlyList<int> prompt)
        : this(parameters, vocabSize, device, prompt, [])
    {
    }

    /// <summary>A sampler for a request that already has <paramref name="priorOutput"/> output tokens.</summary>
    public Sampler(GenerationParameters parameters, int vocabSize, Device device, IReadOnlyList<int> prompt, IReadOnlyList<int> priorOutput)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(priorOutput);
        parameters.Validate();
        _p = parameters;
        _device = device;
        _random = parameters.Seed is { } s ? new Random(unchecked((int)(s ^ (s >> 32)))) : new Random();
        if (_p.RepetitionPenalty != 1)
        {
            _seen = torch.zeros([vocabSize], torch.@bool, device).DetachFromDisposeScope();
            Mark(_seen, prompt);
        }
        if (_p.PresencePenalty != 0 || _p.FrequencyPenalty != 0)
        {
            _outputCounts = torch.zeros([vocabSize], torch.float32, device).DetachFromDisposeScope();
        }
        for (var i = 0; i < priorOutput.Count && !_p.IsGreedy; i++) _random.NextDouble();   // the draws those tokens took
        Observe(priorOutput);
    }

    /// <summary>Chooses the next token from <paramref name="logits"/> [vocab]; returns it with its log-probability.</summary>
    public (int Token, float LogProb) Sample(Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        var x = Penalize(logits);
        Tensor token;
        if (_p.IsGreedy)
        {
            token = x.argmax(0, keepdim: true);                                   // [1]
        }
        else
        {
            x = x / _p.Temperature;
            var vocab = x.size(0);
            if (_p.TopK > 0 && _p.TopK < vocab)
            {
                var kth = x.topk(_p.TopK).values.narrow(0, _p.TopK - 1, 1);        // [1]
                x = x.masked_fill(x.lt(kth), double.NegativeInfinity);
            }
            var probs = x.softmax(0);                                             // [vocab]
            if (_p.MinP > 0) probs = probs.masked_fill(probs.lt(probs.amax() * _p.MinP), 0);
            var (sorted, order) = probs.sort(0, descending: true);               // [vocab], [vocab]
            if (_p.TopP < 1)
            {
                var before = sorted.cumsum(0) - sorted;                          // mass of strictly more likely tokens
                sorted = sorted.masked_fill(before.gt(_p.TopP), 0);
            }
            var cdf = sorted.cumsum(0);                                          // [vocab]
            var threshold = cdf.narrow(0, vocab - 1, 1) * _random.NextDouble();   // [1]
            var index = cdf.le(threshold).sum().clamp(0, vocab - 1).to(ScalarType.Int64).view(1); // [1]
            token = order.index_select(0, index);                                // [1]
        }
        var id = (int)token.itemLong();
        var logProb = (float)logits.log_softmax(0).index_select(0, token).item();
        Observe([id]);
        return (id, logProb);
    }

    private Tensor Penalize(Tensor logits)
    {
        var x = logits;
        if (_seen is not null)
        {
            var penalized = torch.where(x.gt(0), x / _p.RepetitionPenalty, x * _p.RepetitionPenalty);
            x = torch.where(_seen, penalized, x);
        }
        if (_outputCounts is not null)
        {
            x = x - _outputCounts * _p.FrequencyPenalty - _outputCounts.gt(0).to(ScalarType.Float32) * _p.PresencePenalty;
        }
        return x;
    }

    private void Observe(IReadOnlyList<int> tokens)
    {
        if (tokens.Count == 0) return;
        using var scope = torch.NewDisposeScope();
        if (_seen is not null) Mark(_seen, tokens);
        if (_outputCounts is not null)
        {
            var index = torch.tensor(tokens.Select(t => (long)t).ToArray(), _device);
            _outputCounts.index_add_(0, index, torch.ones([tokens.Count], torch.float32, _device));
        }
    }

    private void Mark(Tensor seen, IReadOnlyList<int> tokens)
    {
        if (tokens.Count == 0) return;
        using var scope = torch.NewDisposeScope();
        var index = torch.tensor(tokens.Select(t => (long)t).ToArray(), _device);
        seen.masked_fill_(torch.zeros(seen.shape, torch.@bool, _device).index_copy_(0, index, torch.ones([tokens.Count], torch.@bool, _device)), 1);
    }

    public void Dispose()
    {
        _seen?.Dispose();
        _outputCounts?.Dispose();
    }
}
