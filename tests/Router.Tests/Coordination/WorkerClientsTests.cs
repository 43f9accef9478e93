using Cluster.Contracts.V1;
using Cluster.Hosting.Auth;
using Cluster.Router.Coordination;
using Cluster.Tests.Shared;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>
/// <see cref="WorkerClients"/> against fake workers on real sockets: a registry blip must not dispose a healthy worker's
/// channel (which cancels its streams); only an absence as long as <c>Routing:WorkerChannelGrace</c> does.
/// </summary>
public sealed class WorkerClientsTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Retain_EndpointMissingFromOneListThenBack_SameClientAndItsInFlightStreamCompletes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var worker = await FakeWorker.StartAsync("d-blip", WorkerRole.Decode);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.HoldAfterFirstToken = release.Task;
        var time = new ManualTimeProvider();
        using var clients = Clients(time);
        var client = clients.For(worker.Address);
        using var stream = client.Decode(Decode(maxTokens: 4), cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token)); // the stream is open, held after its first token
        var next = stream.ResponseStream.MoveNext(timeout.Token); // the router waiting for the next token

        clients.Retain([]); // the registry listed nobody (Redis restarted empty)
        time.Advance(TimeSpan.FromSeconds(5));
        clients.Retain([worker.Address]); // the worker re-registered

        Assert.Same(client, clients.For(worker.Address));
        Assert.Equal(1, clients.Count);
        release.SetResult();
        Assert.True(await next); // not cancelled: "gRPC call disposed" before the fix
        Assert.Single(stream.ResponseStream.Current.TokenIds); // token 2
        Assert.Equal(2, await RestAsync(stream, timeout.Token)); // tokens 3 and 4
    }

    [Fact]
    public async Task Retain_EndpointAbsentForTheWholeGrace_ChannelDisposedItsStreamCancelledAndForCreatesANewClient()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var worker = await FakeWorker.StartAsync("d-gone", WorkerRole.Decode);
        worker.HoldAfterFirstToken = Task.Delay(Timeout.Infinite, timeout.Token);
        var time = new ManualTimeProvider();
        using var clients = Clients(time);
        var old = clients.For(worker.Address);
        using var stream = old.Decode(Decode(maxTokens: 4), cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        var next = stream.ResponseStream.MoveNext(timeout.Token);

        clients.Retain([]);
        time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        clients.Retain([]);
        Assert.Equal(1, clients.Count); // still in its grace: kept
        Assert.Same(old, clients.For(worker.Address));

        time.Advance(TimeSpan.FromMilliseconds(1));
        clients.Retain([]);

        Assert.Equal(0, clients.Count);
        var cut = await Assert.ThrowsAsync<RpcException>(() => next); // disposed: its call cancelled
        Assert.Equal(StatusCode.Cancelled, cut.StatusCode);
        var fresh = clients.For(worker.Address);
        Assert.NotSame(old, fresh);
        Assert.Equal(1, clients.Count);
        Assert.False(string.IsNullOrEmpty((await fresh.ReserveAsync(new ReserveRequest { RequestId = "r2", PromptTokens = 16 }, cancellationToken: timeout.Token)).Ticket));
    }

    [Fact]
    public void Retain_EndpointBackBeforeTheGrace_ItsAbsenceIsForgottenAndANewAbsenceStartsAFullGrace()
    {
        var time = new ManualTimeProvider();
        using var clients = Clients(time);
        const string endpoint = "http://127.0.0.1:1";
        var client = clients.For(endpoint);

        clients.Retain([]);
        time.Advance(TimeSpan.FromSeconds(50));
        clients.Retain([endpoint]);
        time.Advance(TimeSpan.FromSeconds(20));
        clients.Retain([]); // absent again: 70 s after the first absence, but its grace starts now
        time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        clients.Retain([]);
        Assert.Same(client, clients.For(endpoint));

        time.Advance(TimeSpan.FromMilliseconds(1));
        clients.Retain([]);
        Assert.Equal(0, clients.Count);
    }

    [Fact]
    public async Task Dispose_ChannelsLiveAndInTheirGrace_AllDisposedAtOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var leaving = await FakeWorker.StartAsync("d-leaving", WorkerRole.Decode);
        await using var staying = await FakeWorker.StartAsync("d-staying", WorkerRole.Decode);
        leaving.HoldAfterFirstToken = Task.Delay(Timeout.Infinite, timeout.Token);
        var clients = Clients(new ManualTimeProvider());
        using var stream = clients.For(leaving.Address).Decode(Decode(maxTokens: 4), cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        var next = stream.ResponseStream.MoveNext(timeout.Token);
        var live = clients.For(staying.Address);
        clients.Retain([staying.Address]);
        Assert.Equal(2, clients.Count); // the leaving worker's channel is in its grace

        clients.Dispose();

        Assert.Equal(0, clients.Count);
        var cut = await Assert.ThrowsAsync<RpcException>(() => next);
        Assert.Equal(StatusCode.Cancelled, cut.StatusCode);
        Assert.Throws<ObjectDisposedException>(() => live.Reserve(new ReserveRequest { RequestId = "r", PromptTokens = 16 }));
    }

    [Fact]
    public async Task AddRequestCoordinator_WorkerChannelGraceAndTimeProvider_ReachTheWorkerClients()
    {
        var time = new ManualTimeProvider();
        await using var harness = CoordinatorHarness.Create(
            new() { ["Routing:WorkerChannelGrace"] = "00:00:05" }, s => s.AddSingleton<TimeProvider>(time));
        var clients = harness.Services.GetRequiredService<WorkerClients>();
        clients.For("http://127.0.0.1:1");

        clients.Retain([]);
        time.Advance(TimeSpan.FromSeconds(4));
        clients.Retain([]);
        Assert.Equal(1, clients.Count);
        time.Advance(TimeSpan.FromSeconds(1));
        clients.Retain([]);
        Assert.Equal(0, clients.Count);
    }

    private static WorkerClients Clients(TimeProvider time) =>
        new(Options.Create(new AuthOptions()), Options.Create(new RoutingOptions { WorkerChannelGrace = Grace }), time);

    private static DecodeRequest Decode(uint maxTokens) =>
        new() { RequestId = Guid.NewGuid().ToString("N"), PromptTokenIds = { 1, 2, 3 }, Stop = new StopConditions { MaxTokens = maxTokens } };

    private static async Task<int> RestAsync(AsyncServerStreamingCall<DecodeResponse> stream, CancellationToken cancellationToken)
    {
        var tokens = 0;
        while (await stream.ResponseStream.MoveNext(cancellationToken))
        {
            tokens += stream.ResponseStream.Current.TokenIds.Count;
        }

        return tokens;
    }
}
