using System.Diagnostics;
using System.Globalization;

namespace Cluster.Engine.Serving;

/// <summary>
/// Where the engine's steps spend their time, phase by phase (cluster bench serve --profile). Always counted; with
/// <see cref="Synchronize"/> the runner waits for the device after each phase, so a phase's time is its GPU time too
/// (without it, device work shows up in the first phase that waits: sampling's copy to the host).
/// </summary>
public sealed class StepProfile
{
    private long _lastEnd;

    /// <summary>Wait for the device after packing and after the forward pass (adds the waits; for profiling only).</summary>
    public bool Synchronize { get; set; }

    public long Steps { get; private set; }
    public long Tokens { get; private set; }
    public long Chunks { get; private set; }
    public long DecodeChunks { get; private set; }

    /// <summary>Prompt tokens run (every token of a step that is not a one-token decode row).</summary>
    public long PrefillTokens { get; private set; }

    /// <summary>
    /// The busy time (pack + forward + sample) of the prompt tokens: each step's busy time times its share of prompt
    /// tokens. A decode-only step adds nothing, so a decode worker's prefill rate is not its decode rate.
    /// </summary>
    public TimeSpan PrefillBusy { get; private set; }

    /// <summary>Decode-only steps replayed from a CUDA graph (<see cref="DecodeGraphMode.On"/>).</summary>
    public long GraphSteps { get; private set; }

    /// <summary>Decode-only steps run eagerly and unpadded (graphs off, unavailable, or more decodes than the largest bucket).</summary>
    public long EagerDecodeSteps { get; private set; }

    /// <summary>Steps run through the padded fixed buffers (graph replays and padded eager steps).</summary>
    public long PaddedSteps { get; private set; }

    /// <summary>Padding rows those steps ran on top of their decodes.</summary>
    public long PaddedRows { get; private set; }

    /// <summary>Building the step's indices on the host and copying them to the device.</summary>
    public TimeSpan Pack { get; private set; }

    /// <summary>The model's forward pass (launches; with <see cref="Synchronize"/>, until the device is done).</summary>
    public TimeSpan Forward { get; private set; }

    /// <summary>Greedy argmax and log-probabilities, the copy of the sampled tokens to the host, other samplers.</summary>
    public TimeSpan Sample { get; private set; }

    /// <summary>From the end of one runner call to the start of the next: scheduling, commits, emitting, applying commands (and idle waits).</summary>
    public TimeSpan Between { get; private set; }

    internal void Start(out long start)
    {
        start = Stopwatch.GetTimestamp();
        if (_lastEnd != 0) Between += Stopwatch.GetElapsedTime(_lastEnd, start);
    }

    internal void Record(int chunks, int decodes, int tokens, long start, long packed, long forwarded, DecodePath path = DecodePath.Off, int bucket = 0)
    {
        var fixedShape = path is DecodePath.Graph or DecodePath.PaddedEager;
        if (path == DecodePath.Graph) GraphSteps++;
        if (fixedShape)
        {
            PaddedSteps++;
            PaddedRows += bucket - chunks;
        }
        else if (decodes == chunks)
        {
            EagerDecodeSteps++;
        }
        _lastEnd = Stopwatch.GetTimestamp();
        var prefillTokens = tokens - decodes;
        if (prefillTokens > 0 && tokens > 0)
        {
            PrefillTokens += prefillTokens;
            PrefillBusy += Stopwatch.GetElapsedTime(start, _lastEnd) * ((double)prefillTokens / tokens);
        }
        Pack += Stopwatch.GetElapsedTime(start, packed);
        Forward += Stopwatch.GetElapsedTime(packed, forwarded);
        Sample += Stopwatch.GetElapsedTime(forwarded, _lastEnd);
        Steps++;
        Chunks += chunks;
        DecodeChunks += decodes;
        Tokens += tokens;
    }

    /// <summary>Starts counting afresh (e.g. after a warm-up).</summary>
    public void Reset()
    {
        _lastEnd = 0;
        Steps = Tokens = Chunks = DecodeChunks = PrefillTokens = GraphSteps = EagerDecodeSteps = PaddedSteps = PaddedRows = 0;
        Pack = Forward = Sample = Between = PrefillBusy = TimeSpan.Zero;
    }

    /// <summary>One line: mean milliseconds per step of each phase, and the mean step's shape.</summary>
    public string Describe(TimeSpan schedule)
    {
        if (Steps == 0) return "no steps";
        string Ms(TimeSpan t) => (t.TotalMilliseconds / Steps).ToString("F2", CultureInfo.InvariantCulture);
        var total = Pack + Forward + Sample + Between;
        var padding = PaddedSteps > 0 ? ((double)PaddedRows / PaddedSteps).ToString("F1", CultureInfo.InvariantCulture) : "0";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Steps} steps, mean {(double)Tokens / Steps:F0} tokens / {(double)Chunks / Steps:F1} chunks ({(double)DecodeChunks / Steps:F1} decodes) per step; " +
            $"ms per step: pack+H2D {Ms(Pack)}, forward {Ms(Forward)}, sample+D2H {Ms(Sample)}, between steps {Ms(Between)} " +
            $"(of which scheduling {Ms(schedule)}); total {Ms(total)}{(Synchronize ? " (device synchronised per phase)" : "")}; " +
            $"decode-only steps: {GraphSteps} from CUDA graphs, {PaddedSteps - GraphSteps} padded eager, {EagerDecodeSteps} eager " +
            $"(padded steps: mean {padding} padding rows)");
    }
}
