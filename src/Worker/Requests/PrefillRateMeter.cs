using Cluster.Engine.Serving;
using Cluster.Worker.Engine;

namespace Cluster.Worker.Requests;

/// <summary>
/// The prefill throughput a worker advertises (heartbeats, Status): prompt tokens the engine ran per second of the
/// busy time (packing, forward, sampling) spent on them, from <see cref="InferenceEngine.Profile"/>
/// (<see cref="StepProfile.PrefillTokens"/> / <see cref="StepProfile.PrefillBusy"/>: decode rows count neither tokens
/// nor time). Counting every token per busy second made a decode worker's rate its decode rate (a few thousand tokens
/// per second on a GPU against hundreds of thousands of prompt tokens), so the router's measured-cost policy judged its
/// local prefill far too slow and disaggregated every request under load. Busy time excludes
/// queueing and RPC overheads, which made a per-request "tokens / time to first token" read tens of tokens per
/// second on small prompts and sent every request to whichever worker had measured large ones (a routing hot spot).
/// A sample is taken only once at least <see cref="MinTokensPerSample"/> tokens ran since the last one: a step's
/// fixed cost dominates tiny steps (a one-token probe), and a rate extrapolated from them would be far too low.
/// Samples are folded into an exponential average; 0 (= "not measured", the router assumes its default) until then.
/// </summary>
internal sealed class PrefillRateMeter(WorkerEngine worker)
{
    public const int MinTokensPerSample = 256;
    private readonly RateAverage _average = new(MinTokensPerSample);

    public double TokensPerSecond
    {
        get
        {
            // Read while the engine loop adds to it: a sample may straddle one step, which the average absorbs.
            var profile = worker.Engine.Profile;
            return _average.Observe(profile.PrefillTokens, profile.PrefillBusy);
        }
    }
}

/// <summary>Tokens per busy second from cumulative counters: samples of ≥ a minimum token count, exponentially averaged.</summary>
internal sealed class RateAverage(int minTokensPerSample, double smoothing = 0.3)
{
    private readonly Lock _gate = new();
    private long _lastTokens;
    private TimeSpan _lastBusy;
    private double _rate;

    /// <summary>Folds the counters' progress since the last sample (if large enough) and returns the average (0 = none yet).</summary>
    public double Observe(long totalTokens, TimeSpan totalBusy)
    {
        lock (_gate)
        {
            var tokens = totalTokens - _lastTokens;
            var busy = totalBusy - _lastBusy;
            if (tokens >= minTokensPerSample && busy > TimeSpan.Zero)
            {
                var sample = tokens / busy.TotalSeconds;
                _rate = _rate == 0 ? sample : _rate + (smoothing * (sample - _rate));
                _lastTokens = totalTokens;
                _lastBusy = totalBusy;
            }

            return _rate;
        }
    }
}
