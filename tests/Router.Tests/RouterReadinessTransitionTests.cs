using System.Net;
using System.Net.Sockets;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Hosting;
using Cluster.Router.Coordination;
using Cluster.Tests.Shared;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests;

/// <summary>
/// Issue 21 (6d): a ready router turns NOT ready (<c>/readyz</c> 503 and grpc health NOT_SERVING) when the only
/// decode-capable worker of a model dies (its heartbeat expires) or becomes suspect (it refused a connection), and
/// ready again when that worker returns (registers again / sends a newer heartbeat).
/// </summary>
public sealed class RouterReadinessTransitionTests
{
    private static readonly ModelId Model = new("m");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Readiness_OnlyDecodeWorkerExpires_NotReadyNamingTheModel_ReadyWhenItRegistersAgain()
    {
        await using var router = await StartedRouter.StartAsync();
        await router.Registry.RegisterAsync(Worker("p1", WorkerRole.Prefill, "http://127.0.0.1:1"), WorkerLoad.Idle(100), TimeSpan.FromMinutes(10));
        var decode = Worker("d1", WorkerRole.Decode, "http://127.0.0.1:2");
        await router.Registry.RegisterAsync(decode, WorkerLoad.Idle(100), TimeSpan.FromMinutes(10));
        await router.WaitForAsync(ServingStatus.Serving);

        // It dies the way a kill -9 does: no deregistration, no further heartbeat. Once its (now short) TTL passes, the
        // next refresh no longer lists it.
        await router.Registry.RegisterAsync(decode, WorkerLoad.Idle(100), TimeSpan.FromMilliseconds(300));
        await router.WaitForAsync(ServingStatus.NotServing);
        await router.AssertReadyzAsync(HttpStatusCode.ServiceUnavailable, "model 'm': no live decode or colocated worker is registered");

        await router.Registry.RegisterAsync(decode, WorkerLoad.Idle(100), TimeSpan.FromMinutes(10));
        await router.WaitForAsync(ServingStatus.Serving);
        await router.AssertReadyzAsync(HttpStatusCode.OK, null);
    }

    [Fact]
    public async Task Readiness_OnlyDecodeWorkerRefusesConnections_NotReadyWhileSuspect_ReadyAfterItsNextHeartbeat()
    {
        await using var router = await StartedRouter.StartAsync();
        var dead = new WorkerId("d-dead");
        await router.Registry.RegisterAsync(Worker(dead.Value, WorkerRole.Decode, $"http://127.0.0.1:{ClosedPort()}"), WorkerLoad.Idle(100), TimeSpan.FromMinutes(10));
        await router.WaitForAsync(ServingStatus.Serving);

        // A real request: the router dials the worker, is refused, and marks it suspect.
        var coordinator = router.App.Services.GetRequiredService<IRequestCoordinator>();
        var refused = await Assert.ThrowsAsync<RpcException>(() => coordinator.RunAsync(Request()).ToListAsync().AsTask());
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.True(router.App.Services.GetRequiredService<WorkerPool>().IsSuspect(dead));

        await router.WaitForAsync(ServingStatus.NotServing);
        await router.AssertReadyzAsync(HttpStatusCode.ServiceUnavailable, "model 'm': every decode worker is suspect (refused connections): d-dead");

        Assert.Equal(RegistryOutcome.Accepted, await router.Registry.HeartbeatAsync(dead, WorkerLoad.Idle(100)));
        await router.WaitForAsync(ServingStatus.Serving);
        await router.AssertReadyzAsync(HttpStatusCode.OK, null);
    }

    private static WorkerInfo Worker(string id, WorkerRole role, string endpoint) =>
        new(new WorkerId(id), role, Model, endpoint, role == WorkerRole.Prefill ? "" : endpoint, 100, 4);

    private static TokenizedRequest Request() => new(
        new RequestId(Guid.NewGuid().ToString("N")), Model, [1, 2, 3, 4], new SamplingParams(), new StopConditions { MaxTokens = 2 }, false, CacheSalt: "");

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>A started router on free ports with a fast registry refresh, and a grpc health Watch on it.</summary>
    private sealed class StartedRouter : IAsyncDisposable
    {
        private readonly CancellationTokenSource _bound = new(Bound);
        private readonly GrpcChannel _channel;
        private readonly AsyncServerStreamingCall<HealthCheckResponse> _watch;
        private readonly HttpClient _http;

        private StartedRouter(Microsoft.AspNetCore.Builder.WebApplication app)
        {
            App = app;
            var endpoints = app.Services.GetRequiredService<HostEndpoints>();
            _channel = GrpcChannel.ForAddress(endpoints.GrpcAddress);
            _http = new HttpClient { BaseAddress = endpoints.HttpAddress };
            _watch = new Health.HealthClient(_channel).Watch(new HealthCheckRequest(), new CallOptions(cancellationToken: _bound.Token));
        }

        public Microsoft.AspNetCore.Builder.WebApplication App { get; }

        public IWorkerRegistry Registry => App.Services.GetRequiredService<IWorkerRegistry>();

        public static async Task<StartedRouter> StartAsync()
        {
            var app = RouterApp.Build([.. HostProbe.FreePorts, "--Routing:RefreshInterval=00:00:00.100", "--Routing:NoWorkerWait=00:00:00.200"]);
            await app.StartAsync();
            return new StartedRouter(app);
        }

        /// <summary>Reads the Watch stream until it reports <paramref name="status"/> (bounded by <see cref="Bound"/>).</summary>
        public async Task WaitForAsync(ServingStatus status)
        {
            ServingStatus? last = null;
            try
            {
                while (await _watch.ResponseStream.MoveNext(_bound.Token))
                {
                    last = _watch.ResponseStream.Current.Status;
                    if (last == status)
                    {
                        return;
                    }
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && _bound.IsCancellationRequested)
            {
                // bounded: reported below
            }

            Assert.Fail($"grpc health Watch did not report {status} within {Bound.TotalSeconds} s (last reported: {last?.ToString() ?? "nothing"})");
        }

        public async Task AssertReadyzAsync(HttpStatusCode expected, string? reason)
        {
            using var response = await _http.GetAsync("/readyz");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(expected == response.StatusCode, $"/readyz answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
            if (reason is not null)
            {
                using var json = System.Text.Json.JsonDocument.Parse(body);
                var given = json.RootElement.GetProperty("reason").GetString() ?? "";
                Assert.True(given.Contains(reason, StringComparison.Ordinal), $"/readyz reason \"{given}\" does not contain \"{reason}\"");
            }
        }

        public async ValueTask DisposeAsync()
        {
            _watch.Dispose(); // an open Watch stream would hold the shutdown
            await App.StopAsync();
            await App.DisposeAsync();
            _http.Dispose();
            _channel.Dispose();
            _bound.Dispose();
        }
    }
}
