using Cluster.Core.Generation;
using System.Diagnostics;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Torch;

namespace Cluster.Engine.Generation;

/// <summary>
/// Generates for one sequence at a time with its own KV cache: one prefill over the prompt, then one decode
/// step per token, until max tokens, a stop id, an end-of-sequence id or the cache's length.
/// </summary>
public sealed class Generator
{
    private readonly LlamaModel _model;
    private readonly bool _cudaGraphs;

    /// <param name="model">The model to run.</param>
    /// <param name="cudaGraphs">On CUDA, replay decode steps from a CUDA graph.</param>
    public Generator(LlamaModel model, bool cudaGraphs = true)
    {
        _model = model;
        _cudaGraphs = cudaGraphs;
    }

    public GenerationResult Generate(IReadOnlyList<int> prompt, GenerationParameters parameters,
        Action<int>? onToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(parameters);
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty", nameof(prompt));
        var maxLength = Math.Min(_model.MaxPositions, prompt.Count + parameters.MaxTokens);
        if (prompt.Count >= maxLength)
        {
            throw new ArgumentException($"the prompt has {prompt.Count} tokens; this model instance runs at most {_model.MaxPositions} positions");
        }
        var device = _model.Device;
        var stops = new HashSet<int>(parameters.StopTokenIds);
        if (!parameters.IgnoreEos) stops.UnionWith(_model.Config.EosTokenIds);

        using var cache = _model.CreateCache(1, maxLength);
        using var sampler = new Sampler(parameters, _model.Config.VocabSize, device, prompt);
        using var step = new DecodeStep(_model, cache, _cudaGraphs);
        var tokens = new List<int>();
        var logProbs = new List<float>();
        var clock = Stopwatch.StartNew();
        var prefillTime = TimeSpan.Zero;
        var position = prompt.Count;
        var reason = FinishReason.Length;
        using (var scope = torch.NewDisposeScope())
        {
            var ids = torch.tensor(prompt.Select(t => (long)t).ToArray(), [1, prompt.Count], device);  // [1, T]
            var positions = torch.arange(0, prompt.Count, 1, torch.int64, device).view(1, prompt.Count); // [1, T]
            var logits = _model.Forward(ids, positions, cache, freshPrefill: true, lastOnly: true);      // [1, 1, V]
            var (token, logProb) = sampler.Sample(logits.view(-1));
            prefillTime = clock.Elapsed;
            if (Accept(token, logProb)) return Result();
        }
        while (position < maxLength)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var logits = step.Run(tokens[^1], position);                                        // [V]
            position++;
            var (token, logProb) = sampler.Sample(logits);
            if (Accept(token, logProb)) break;
        }
        return Result();

        bool Accept(int token, float logProb)
        {
            tokens.Add(token);
            logProbs.Add(logProb);
            onToken?.Invoke(token);
            if (stops.Contains(token))
            {
                reason = FinishReason.Stop;
                return true;
            }
            return tokens.Count >= parameters.MaxTokens;
        }

        GenerationResult Result() => new(tokens, logProbs, reason, prefillTime, clock.Elapsed - prefillTime);
    }
}
