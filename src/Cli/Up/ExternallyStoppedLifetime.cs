using Microsoft.Extensions.Hosting;

namespace Cluster.Cli.Up;

/// <summary>
/// Host lifetime of an in-process role: no Ctrl+C handler of its own (three hosts would each catch it); the cluster
/// that owns the hosts stops them.
/// </summary>
internal sealed class ExternallyStoppedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
