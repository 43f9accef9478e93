using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Worker.Engine;
using Cluster.Worker.Requests;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.State;

/// <summary>
/// Registers the worker once Kestrel has bound (actual endpoints), heartbeats its live load every
/// <c>Worker:HeartbeatInterval</c>, registers again (and asks for a full prefix-index re-publish) when the registry
/// forgot it, and deregisters first thing at shutdown. A registry that cannot be reached never stops the worker.
/// </summary>
internal sealed partial class WorkerRegistration(
    IWorkerRegistry registry,
    WorkerIdentity identity,
    WorkerEngine engine,
    WorkerRequests requests,
    PrefillRateMeter prefillRate,
    WorkerDrain drain,
    KvIndexResync resync,
    Cluster.Hosting.HealthChecks.Readiness readiness,
    IHostApplicationLifetime lifetime,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<WorkerRegistration> logger) : BackgroundService
{
    private static readonly TimeSpan DeregisterTimeout = TimeSpan.FromSeconds(5);
    private const string ReadinessComponent = "registration";

    /// <summary>The live load reported with every heartbeat.</summary>
    public WorkerLoad Load()
    {
        var stats = engine.Engine.Stats;
        var (queued, queuedLow) = requests.QueuedPrefill();
        return new WorkerLoad(
            stats.TotalBlocks - stats.UsedBlocks, requests.Running, requests.Waiting, queued,
            prefillRate.TokensPerSecond, resync.LastPublished, queuedLow);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        readiness.Block(ReadinessComponent, "not registered in the worker registry yet");
        await HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false);
        lifetime.ApplicationStopping.Register(Deregister);
        await RegisterAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false) && !drain.IsDraining)
        {
            try
            {
                var outcome = await registry.HeartbeatAsync(identity.Id, Load(), stoppingToken).ConfigureAwait(false);
                if (outcome == RegistryOutcome.Accepted)
                {
                    readiness.Unblock(ReadinessComponent); // registered (also when the registration's answer was lost)
                }

                if (outcome == RegistryOutcome.NotRegistered && !drain.IsDraining)
                {
                    LogReRegistering(logger, identity.Id.Value);
                    await RegisterAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogHeartbeatFailed(logger, e);
            }
        }
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var info = identity.Info;
        var outcome = await registry.RegisterAsync(info, Load(), cancellationToken: cancellationToken).ConfigureAwait(false);
        resync.Request();
        if (outcome == RegistryOutcome.Accepted)
        {
            readiness.Unblock(ReadinessComponent); // model loaded (at start-up), engine running, registered: ready
        }
        else
        {
            readiness.Block(ReadinessComponent, $"registration answered {outcome}; ready at the next accepted heartbeat or registration");
        }
        LogRegistered(logger, info.Id.Value, info.Role, info.Model.Value, info.GrpcEndpoint, info.TotalKvBlocks, outcome);
    }

    // ApplicationStopping: refuse new work and leave the registry before in-flight requests drain.
    private void Deregister()
    {
        drain.Begin();
        try
        {
            using var timeout = new CancellationTokenSource(DeregisterTimeout, time);
            var outcome = registry.DeregisterAsync(identity.Id, timeout.Token).GetAwaiter().GetResult();
            LogDeregistered(logger, identity.Id.Value, outcome);
        }
        catch (Exception e)
        {
            LogHeartbeatFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered worker {Id} ({Role}, model {Model}) at {Endpoint} with {Blocks} KV blocks: {Outcome}")]
    private static partial void LogRegistered(ILogger logger, string id, WorkerRole role, string model, string endpoint, int blocks, RegistryOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Id} deregistered (draining): {Outcome}")]
    private static partial void LogDeregistered(ILogger logger, string id, RegistryOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Id} was not registered any more (heartbeat expired): registering again and re-publishing its KV blocks")]
    private static partial void LogReRegistering(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry call failed; trying again on the next heartbeat")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception error);
}
