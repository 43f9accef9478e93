using Cluster.Core.Generation;
using System.Diagnostics;
using Cluster.Core.Ids;
using Cluster.Engine.Generation;
using Cluster.Engine.Sampling;
using Cluster.Engine.Serving;

namespace Cluster.Cli.Bench;

/// <summary>
/// Replays a workload against an <see cref="InferenceEngine"/> running its own loop: each request is submitted at its
/// arrival time (greedy, end-of-sequence ignored, exactly max_tokens out); TTFT and TPOT come from the engine's
/// per-request clock, which starts at submission.
/// </summary>
internal static class ServeBenchRunner
{
    public static async Task<ServeBenchResult> RunAsync(InferenceEngine engine, ServeBenchWorkload workload, string tag)
    {
        using var stop = new CancellationTokenSource();
        var loop = Task.Factory.StartNew(() => engine.RunAsync(stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        var before = engine.Stats;
        var clock = Stopwatch.StartNew();
        var pending = new List<Task<GenerationResult>>(workload.Requests.Count);
        for (var i = 0; i < workload.Requests.Count; i++)
        {
            var request = workload.Requests[i];
            var wait = TimeSpan.FromSeconds(request.Arrival) - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait).ConfigureAwait(false);   // the arrival process, not a poll
            var parameters = new GenerationParameters { MaxTokens = request.MaxTokens, IgnoreEos = true };
            pending.Add(engine.Submit(new RequestId($"{tag}-{i}"), request.Prompt, parameters).Completion);
        }
        var results = await Task.WhenAll(pending).ConfigureAwait(false);
        var duration = clock.Elapsed.TotalSeconds;
        var after = engine.Stats;
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation.
        }
        var promptTokens = workload.Requests.Sum(r => (long)r.Prompt.Length);
        return new ServeBenchResult(
            "cluster engine",
            results.Sum(r => r.Tokens.Count),
            duration,
            [.. results.Select(r => r.PrefillTime.TotalMilliseconds)],
            [.. results.Where(r => r.Tokens.Count > 1).Select(r => r.DecodeTime.TotalMilliseconds / (r.Tokens.Count - 1))],
            (double)after.PeakUsedBlocks / after.TotalBlocks,
            engine.Storage.Bytes,
            (double)(after.CachedPromptTokens - before.CachedPromptTokens) / promptTokens);
    }
}
