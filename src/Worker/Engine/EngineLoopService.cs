using Cluster.Worker.Requests;
using Cluster.Hosting.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Cluster.Worker.Engine;

/// <summary>Runs the engine loop for the life of the host. At shutdown it keeps stepping until the in-flight requests
/// have finished or the drain timeout cancelled them (<see cref="WorkerDrain"/>), then stops.</summary>
internal sealed class EngineLoopService(WorkerEngine engine, WorkerRequests requests, WorkerDrain drain, Readiness readiness) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Run(() => engine.Engine.RunAsync(stoppingToken), stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            readiness.Block("engine", $"the engine loop stopped: {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        drain.Begin();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drain.Expired);
        try
        {
            await requests.WaitIdleAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Drain timeout (requests were cancelled) or the host's own shutdown timeout: stop now.
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
