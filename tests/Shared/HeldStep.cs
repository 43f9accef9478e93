using Cluster.Engine.Serving;

namespace Cluster.Tests.Shared;

/// <summary>
/// Runs one engine step on its own thread and holds it inside the forward pass, after layer 0 (the engine's
/// <c>LayerProbe</c>), until released: what the engine lets other threads do meanwhile is then observable.
/// </summary>
/// <remarks>Linked into Engine.Tests and Worker.Tests (one source, no shared test assembly).</remarks>
internal sealed class HeldStep : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly Thread _thread;
    private readonly TimeSpan _bound;
    private volatile bool _finished;

    /// <param name="bound">Longest hold and longest wait for the step to end: only bounds a hang.</param>
    public HeldStep(InferenceEngine engine, TimeSpan bound)
    {
        _bound = bound;
        var once = 0;
        engine.LayerProbe = layer =>
        {
            if (layer != 0 || Interlocked.Exchange(ref once, 1) == 1) return;
            Entered.Set();
            _release.Wait(bound);
        };
        _thread = new Thread(() =>
        {
            engine.Step();
            _finished = true;
        }) { IsBackground = true };
        _thread.Start();
    }

    /// <summary>Set once the step is held inside its forward pass.</summary>
    public ManualResetEventSlim Entered { get; } = new();

    /// <summary>The step has returned.</summary>
    public bool Finished => _finished;

    public void Release() => _release.Set();

    public void Join()
    {
        if (!_thread.Join(_bound)) throw new TimeoutException("the held step did not finish");
    }

    public void Dispose()
    {
        _release.Set();
        _thread.Join(_bound);
        _release.Dispose();
        Entered.Dispose();
    }
}
