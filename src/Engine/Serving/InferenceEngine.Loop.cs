namespace Cluster.Engine.Serving;

public sealed partial class InferenceEngine
{
    /// <summary>The loop: steps while there is work, else waits for a command; no sleeps. Returns normally when <paramref name="stoppingToken"/> fires (idle or between steps); a failed step fails every request and rethrows.</summary>
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
            if (ran) continue;
            try
            {
                await _commands.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;   // stopped while idle: the same normal return as a stop noticed between steps
            }
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
