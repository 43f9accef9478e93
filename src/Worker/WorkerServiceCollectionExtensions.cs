using Cluster.ClusterState;
using Cluster.Engine.KvCache;
using Cluster.Engine.Scheduling;
using Cluster.Hosting;
using Cluster.Hosting.Auth;
using Cluster.KvTransfer;
using Cluster.Worker.KvEngine;
using Cluster.KvTransfer.Reservations;
using Cluster.KvTransfer.Server;
using Cluster.Worker.Engine;
using Cluster.Worker.Grpc;
using Cluster.Worker.Requests;
using Cluster.Worker.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WorkerService = Cluster.Contracts.V1.Worker;

namespace Cluster.Worker;

/// <summary>DI and endpoint wiring of a worker host (any role).</summary>
public static class WorkerServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates (at start-up) <c>Worker</c>, <c>Engine</c>, <c>KvCache</c>, <c>KvTransfer</c> and
    /// <c>ClusterState</c>; adds the engine (loaded at start-up), its loop, the Worker and KvTransfer services,
    /// registration with heartbeats, KV events into the prefix index, and the drain at shutdown.
    /// </summary>
    public static WebApplicationBuilder AddWorker(this WebApplicationBuilder builder, ClusterHostDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(defaults);
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();
        services.AddOptions<EngineOptions>()
            .Configure(o => o.Role = EngineRoleNames.TryParse(defaults.Role) is null ? EngineRoleNames.Colocated : defaults.Role)
            .Bind(configuration.GetSection(EngineOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>>(new ListOptionsValidator<EngineOptions>(o => o.Validate()));
        services.AddOptions<KvCacheOptions>().Bind(configuration.GetSection(KvCacheOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KvCacheOptions>>(new ListOptionsValidator<KvCacheOptions>(o => o.Validate()));
        services.AddOptions<KvTransferOptions>().Bind(configuration.GetSection(KvTransferOptions.SectionName));
        services.AddOptions<KvTransferTestFaults>().Bind(configuration.GetSection(KvTransferTestFaults.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KvTransferTestFaults>, KvTransferTestFaultsValidator>();
        services.AddClusterState(configuration);
        services.TryAddSingleton(TimeProvider.System);

        // Shutdown: the host waits for the drain (Worker:DrainTimeout) plus a margin before giving up.
        // (Read raw: the host's options are built before Worker's are validated, which reports a bad value.)
        services.Configure<HostOptions>(host => host.ShutdownTimeout = DrainTimeout(configuration) + TimeSpan.FromSeconds(10));

        services.AddSingleton<WorkerEngine>();
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton<WorkerDrain>();
        services.AddSingleton<WorkerRequests>();
        services.AddSingleton<PrefillRateMeter>();
        services.AddSingleton<EngineInstruments>();
        services.AddSingleton<WorkerGuards>();
        services.AddSingleton<KvIndexResync>();
        services.AddSingleton(sp => new KvReservationTable(
            new EngineKvImportTarget(sp.GetRequiredService<WorkerEngine>().Engine.Import),
            sp.GetRequiredService<IOptions<KvTransferOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new KvTransferInstruments(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<KvReservationTable>()));
        // CUDA IPC (KvTransfer:CudaIpc): the engine's GPU, the receiver's opened rings, the sender's ring pool.
        services.AddSingleton<KvTransfer.CudaIpc.IKvIpcDevice>(sp => new TorchKvIpcDevice(sp.GetRequiredService<WorkerEngine>().Engine.Storage.Device));
        services.AddSingleton(sp => new KvTransfer.CudaIpc.KvIpcReceiver(
            sp.GetRequiredService<KvTransfer.CudaIpc.IKvIpcDevice>(), sp.GetRequiredService<IOptions<KvTransferOptions>>().Value.CudaIpc));
        services.AddSingleton(sp => new KvTransfer.CudaIpc.KvIpcRingPool(sp.GetRequiredService<KvTransfer.CudaIpc.IKvIpcDevice>()));
        services.AddSingleton<KvTransferGrpcService>();
        // Push frames carry up to KvTransfer:MaxChunkBytes inline (a CUDA IPC or ring fallback too): above the hosts' 4 MiB.
        services.AddOptions<global::Grpc.AspNetCore.Server.GrpcServiceOptions<KvTransferGrpcService>>().Configure<IOptions<KvTransferOptions>>((o, t) =>
            o.MaxReceiveMessageSize = Math.Max(Hosting.ClusterHostExtensions.DefaultMaxMessageSize, t.Value.MaxChunkBytes + (1 << 20)));
        services.AddSingleton<KvPushChannels>();
        services.AddSingleton<PrefillHandler>();
        services.AddSingleton<DecodeHandler>();
        services.AddSingleton<WorkerGrpcService>();
        services.AddHostedService<EngineLoopService>();
        services.AddHostedService<WorkerRegistration>();
        services.AddHostedService<KvEventPublisher>();
        return builder;
    }

    private static TimeSpan DrainTimeout(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(WorkerOptions.SectionName).GetValue(nameof(WorkerOptions.DrainTimeout), WorkerOptions.DefaultDrainTimeout);
        }
        catch (InvalidOperationException)
        {
            return WorkerOptions.DefaultDrainTimeout;
        }
    }

    /// <summary>Maps <c>cluster.v1.Worker</c> and <c>cluster.v1.KvTransfer</c> on the gRPC port, both requiring the cluster token.</summary>
    public static WebApplication MapWorker(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _ = app.Services.GetRequiredService<EngineInstruments>(); // observable instruments exist from start-up
        _ = app.Services.GetRequiredService<KvTransferInstruments>();
        app.MapGrpcService<WorkerGrpcService>().RequireClusterToken();
        app.MapGrpcService<KvTransferGrpcService>().RequireClusterToken(); // its own binder: pooled chunk parsing
        return app;
    }
}
