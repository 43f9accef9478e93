using Cluster.Contracts.V1;
using Cluster.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Cluster.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Worker.Tests.Support;

/// <summary>A worker host started in-process on free loopback ports, with a client of its Worker service.</summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly GrpcChannel _channel;

    private WorkerHost(WebApplication app, string? token)
    {
        App = app;
        Endpoint = app.Services.GetRequiredService<HostEndpoints>().GrpcAddress;
        _channel = GrpcChannel.ForAddress(Endpoint);
        Client = new Contracts.V1.Worker.WorkerClient(_channel);
        Headers = token is null ? null : new Metadata { { "authorization", $"Bearer {token}" } };
    }

    public WebApplication App { get; }

    public Uri Endpoint { get; }

    public Contracts.V1.Worker.WorkerClient Client { get; }

    /// <summary>The credentials every call of this host's tests sends (null without a cluster token).</summary>
    public Metadata? Headers { get; }

    public T Get<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Starts a worker of <paramref name="defaults"/>' role on the tiny model (block size 4).</summary>
    public static async Task<WorkerHost> StartAsync(
        ClusterHostDefaults defaults, TinyModel model, SharedClusterState? state = null, string? token = null, params string[] settings)
    {
        string[] args =
        [
            .. HostProbe.FreePorts,
            $"--Worker:ModelPath={model.Directory}",
            "--KvCache:BlockSize=4",
            "--KvCache:NumBlocks=1100",
            "--Worker:HeartbeatInterval=00:00:00.050",
            .. token is null ? Array.Empty<string>() : [$"--Auth:ClusterToken={token}"],
            .. settings,
        ];
        var app = WorkerApp.Build(args, defaults, builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            state?.Apply(builder);
        });
        await app.StartAsync();
        return new WorkerHost(app, token);
    }

    public CallOptions Options(CancellationToken cancellationToken = default) => new(Headers, cancellationToken: cancellationToken);

    public async Task<WorkerStatus> StatusAsync() => await Client.StatusAsync(new StatusRequest(), Options());

    /// <summary>Waits (bounded) until every KV block of the worker is free again.</summary>
    public async Task WaitAllBlocksFreeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = await StatusAsync();
            if (status.KvBlocksFree == status.KvBlocksTotal) return;
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>
    /// Waits (bounded) until the worker runs and queues nothing and two reads in a row give the same
    /// <c>generated_tokens</c>, and returns it: a count that is still growing (a request nobody stopped) never settles.
    /// </summary>
    public async Task<ulong> SettledGeneratedTokensAsync()
    {
        ulong? previous = null;
        var settled = await Eventually.ReturnsAsync(StatusAsync, s =>
        {
            var same = previous == s.GeneratedTokens && s.RunningRequests == 0 && s.WaitingRequests == 0;
            previous = s.GeneratedTokens;
            return same;
        }, "the worker to go idle with generated_tokens no longer growing");
        return settled.GeneratedTokens;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
