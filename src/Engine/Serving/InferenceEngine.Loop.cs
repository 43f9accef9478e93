namespace Cluster.Engine.Serving;

public sealed partial class InferenceEngine
{
    /// <summary>The loop: steps while there is work, else waits for a command; no sleeps. Ends when <paramref name="stoppingToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            bool ran;
            try
            {
                ran = Step();
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                FailAll(error);
                throw;
            }
            if (!ran) await _commands.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    // A step failed (a broken invariant or a device error): every request in flight or queued fails with it, none
    // hangs, and later submissions are refused.
    private void FailAll(Exception error)
    {
        lock (_postGate)
        {
            _fault = error;
            lock (_sync)
            {
                foreach (var sequence in _live.Values)
                {
                    _scheduler.Remove(sequence);
                    sequence.Handle.Fail(error);
                }
                _live.Clear();
                while (_commands.Reader.TryRead(out var command))
                {
                    if (command is EngineCommand.Add add) add.Sequence.Handle.Fail(error);
                    if (command is EngineCommand.AddImported imported) imported.Sequence.Handle.Fail(error);
                }
            }
        }
    }
}
