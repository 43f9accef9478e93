using System.Runtime.InteropServices;
using Cluster.Engine.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;

namespace Cluster.Engine.Serving;

public sealed partial class InferenceEngine
{
    /// <summary>
    /// One iteration: applies queued commands, schedules a batch, runs it, hands out sampled tokens.
    /// False when nothing could run (idle, or waiting for blocks that only a command can free).
    /// The engine's lock is held while scheduling and while handing out results, not during the forward pass: the batch's
    /// block tables are copied before it, and nothing another thread may do under the lock meanwhile (reserve, release,
    /// hand over, export) touches a block the batch uses (KvCache/README.md).
    /// </summary>
    public bool Step()
    {
        lock (_stepGate)
        {
            IReadOnlyList<ScheduledChunk> chunks;
            IReadOnlyList<PagedChunk> paged;
            Action<int>? observer;
            lock (_sync)
            {
                while (_commands.Reader.TryRead(out var command)) Apply(command);
                chunks = _scheduler.Schedule();
                if (chunks.Count == 0) return false;
                paged = _runner.Pack(chunks);
                observer = Combine(LayerObserver(chunks), LayerProbe);
            }
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var sampled = _runner.Run(chunks, paged, observer);
            var ran = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            lock (_sync)
            {
                _steps++;
                _peakUsedBlocks = Math.Max(_peakUsedBlocks, Kv.Pool.UsedBlocks);
                for (var c = 0; c < chunks.Count; c++)
                {
                    var (sequence, _, count) = chunks[c];
                    _computedTokens += count;
                    sequence.Computed += count;
                    Kv.Commit(sequence.Id, CollectionsMarshal.AsSpan(sequence.Tokens)[..sequence.Computed]);
                    if (sampled[c] is { } s)
                    {
                        _generatedTokens++;
                        Accept(sequence, s.Token, s.LogProb);
                    }
                }
                _cachedTokens = _scheduler.CachedTokens;
            }

            if (StepCompleted is { } report)
            {
                var tokens = 0;
                var prefill = false;
                var decode = false;
                foreach (var (sequence, _, count) in chunks)
                {
                    tokens += count;
                    var isDecode = count == 1 && sequence.Computed > sequence.PromptLength;
                    prefill |= !isDecode;
                    decode |= isDecode;
                }

                report(new StepReport(ran, tokens, prefill, decode, _runner.LastPath == DecodePath.Graph));
            }

            return true;
        }
    }

    /// <summary>Called on the engine thread after each layer of every forward pass, outside the engine's lock (tests hold a step here).</summary>
    internal Action<int>? LayerProbe { get; set; }

    private static Action<int>? Combine(Action<int>? first, Action<int>? second) =>
        first is null ? second : second is null ? first : layer => { first(layer); second(layer); };

    private void Apply(EngineCommand command)
    {
        switch (command)
        {
            case EngineCommand.Add add:
                _live[add.Sequence.Id] = add.Sequence;
                _scheduler.AddWaiting(add.Sequence);
                break;
            case EngineCommand.AddImported imported:
                var sequence = imported.Sequence;
                _live[sequence.Id] = sequence;
                Kv.Commit(sequence.Id, CollectionsMarshal.AsSpan(sequence.Tokens));   // the prompt's full blocks join the prefix cache
                _scheduler.AddRunning(sequence);
                Accept(sequence, imported.FirstToken, float.NaN);
                break;
            case EngineCommand.Cancel cancel when _live.Remove(cancel.Id, out var cancelled):
                _scheduler.Remove(cancelled);
                Retire(cancelled);
                cancelled.Handle.Cancel();
                break;
        }
    }

    // Appends a sampled token; finishes the sequence on a stop id, max tokens or the model's length.
    private void Accept(EngineSequence sequence, int token, float logProb)
    {
        sequence.Tokens.Add(token);
        sequence.LogProbs.Add(logProb);
        sequence.FirstTokenAt ??= sequence.Clock.Elapsed;
        sequence.Handle.Emit(token);
        var stop = sequence.Parameters.StopTokenIds.Contains(token)
            || (!sequence.Parameters.IgnoreEos && _model.Config.EosTokenIds.Contains(token));
        var done = stop
            || sequence.OutputCount >= sequence.Parameters.MaxTokens
            || sequence.Tokens.Count > sequence.MaxPositions
            || Role == EngineRole.Prefill;
        if (!done) return;
        // A prefill worker keeps the prompt's KV for export until ReleaseKv.
        var keep = Role == EngineRole.Prefill;
        _scheduler.Remove(sequence, keepBlocks: keep);
        if (keep) _exports[sequence.Id] = new KeptExport(sequence.PromptLength);
        _live.Remove(sequence.Id);
        Retire(sequence);
        sequence.Handle.Complete(new GenerationResult(
            [.. sequence.Tokens.Skip(sequence.PromptLength)], [.. sequence.LogProbs], stop ? FinishReason.Stop : FinishReason.Length,
            sequence.FirstTokenAt ?? TimeSpan.Zero, sequence.Clock.Elapsed - (sequence.FirstTokenAt ?? TimeSpan.Zero)));
    }

    private static void Retire(EngineSequence sequence)
    {
        sequence.Sampler?.Dispose();
        sequence.Sampler = null;
    }
}
