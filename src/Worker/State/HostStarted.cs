using Microsoft.Extensions.Hosting;

namespace Cluster.Worker.State;

/// <summary>Awaits the host's start (Kestrel bound, so the actual ports are known).</summary>
internal static class HostStarted
{
    public static async Task WaitAsync(IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
