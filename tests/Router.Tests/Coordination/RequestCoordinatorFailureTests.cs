using System.Net;
using System.Net.Sockets;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Redis;
using Cluster.Contracts.V1;
using Cluster.Router.Coordination;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

public sealed class RequestCoordinatorFailureTests
{
    private static readonly WorkerLoad Busy = new(1000, 4, 0, 100_000, 0, 0);

    [Fact]
    public async Task RunAsync_PrefillWorkerFails_CancelsReservationAndRetriesOnAnotherPrefillWorker()
    {
        await using var harness = Create();
        var failing = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var healthy = await harness.AddWorkerAsync("p2", WorkerRole.Prefill, Busy); // chosen second: its queue is long
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        failing.PrefillFailure = new RpcException(new Status(StatusCode.Unavailable, "prefill engine crashed"));
        var request = Request(promptTokens: 40, maxTokens: 6);

        var (tokens, finished) = await CollectAsync(harness.Coordinator.RunAsync(request));

        Assert.Equal(Expected(40, 6), tokens);
        Assert.Equal(FinishReason.Length, finished.Reason);
        Assert.Single(failing.Prefills);
        var retried = Assert.Single(healthy.Prefills);
        Assert.Equal(2, decode.Reserves.Count);
        Assert.Equal([request.Id.Value], decode.Cancels); // the first reservation, before the second Reserve
        Assert.Equal(retried.Ticket, Assert.Single(decode.Decodes).Ticket);
    }

    [Fact]
    public async Task RunAsync_EveryPrefillWorkerFails_UnavailableNamingTheLastError()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        prefill.PrefillFailure = new RpcException(new Status(StatusCode.Internal, "out of memory"));

        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request()).ToListAsync().AsTask());

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("out of memory", e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(decode.Decodes);
        Assert.NotEmpty(decode.Cancels);
    }

    [Fact]
    public async Task RunAsync_KvTransferFails_CancelsReservationAndDecodeWorkerRecomputes()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        prefill.PrefillFailure = new RpcException(new Status(StatusCode.Aborted, "KV push to d1 failed: connection reset"));
        var request = Request(promptTokens: 50, maxTokens: 5);

        var (tokens, finished) = await CollectAsync(harness.Coordinator.RunAsync(request));

        Assert.Equal(Expected(50, 5), tokens);
        Assert.Equal(new CoordinatorEvent.Finished(FinishReason.Length, 50, 5, 0), finished);
        Assert.Single(prefill.Prefills);
        Assert.Single(decode.Reserves);
        Assert.Contains(request.Id.Value, decode.Cancels);
        var local = Assert.Single(decode.Decodes);
        Assert.Equal(("", 0, 50), (local.Ticket, local.GeneratedTokenIds.Count, local.PromptTokenIds.Count));
    }

    [Fact]
    public async Task RunAsync_DecodeWorkerDiesAfterThreeTokens_MigratesAndContinuesWithoutGapOrRepeat()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        prefill.CachedTokens = 32;
        var dying = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var spare = await harness.AddWorkerAsync("d2", WorkerRole.Decode, Busy); // chosen second: it runs 4 of 8
        dying.DieAfterTokens = 3;
        var request = Request(promptTokens: 40, maxTokens: 12);

        var (tokens, finished) = await CollectAsync(harness.Coordinator.RunAsync(request), KillAt(dying, 4));

        Assert.Equal(Expected(40, 12), tokens);
        Assert.Equal(new CoordinatorEvent.Finished(FinishReason.Length, 40, 12, 32), finished);
        var prefills = prefill.Prefills.ToArray();
        Assert.Equal(2, prefills.Length);
        Assert.Equal(prefills[0].PromptTokenIds, prefills[1].PromptTokenIds); // the prompt stays the prompt
        Assert.Equal(Expected(40, 4).Select(t => (uint)t), prefills[1].GeneratedTokenIds); // the 4 already streamed (1 from prefill, 3 from d1): output
        Assert.Equal(spare.Address, prefills[1].DecodeEndpoint);
        var resumed = Assert.Single(spare.Decodes);
        Assert.Equal(prefills[0].PromptTokenIds, resumed.PromptTokenIds);
        Assert.Equal(Expected(40, 5).Select(t => (uint)t), resumed.GeneratedTokenIds); // the 4 earlier + the new prefill's first token
        Assert.Equal(12u, resumed.Stop.MaxTokens); // counts every output token, the generated ones included
        var reserve = Assert.Single(spare.Reserves);
        Assert.Equal(44u, reserve.PromptTokens); // the ticket's KV covers prompt + the 4 earlier tokens
        Assert.Equal(prefills[0].PromptTokenIds.Concat(Expected(40, 4).Select(t => (uint)t)), reserve.TokenIds); // and D may reuse them
        Assert.Equal(8u, reserve.MaxNewTokens);
    }

    [Fact]
    public async Task RunAsync_LocalDecodeWorkerDiesMidStream_MigratesToAnotherLocalDecode()
    {
        await using var harness = Create();
        var dying = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var spare = await harness.AddWorkerAsync("d2", WorkerRole.Decode, Busy);
        dying.DieAfterTokens = 2;

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 7)), KillAt(dying, 2));

        Assert.Equal(Expected(30, 7), tokens);
        var resumed = Assert.Single(spare.Decodes);
        Assert.Equal("", resumed.Ticket);
        Assert.Equal(Expected(30, 2).Select(t => (uint)t), resumed.GeneratedTokenIds);
    }

    [Fact]
    public async Task RunAsync_DecodeWorkerDiesAndNoOtherExists_UnavailableAfterTheStreamedTokens()
    {
        await using var harness = Create();
        var dying = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        dying.DieAfterTokens = 2;
        var received = new List<int>();

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var t in harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 7)).OfType<CoordinatorEvent.Tokens>())
            {
                received.AddRange(t.Ids);
                KillAt(dying, 2)(received.Count);
            }
        });

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(Expected(30, 2), received);
    }

    [Fact]
    public async Task RunAsync_PrefixIndexUnreachable_StillServedOnLoad()
    {
        await using var harness = Create(
            new()
            {
                ["ClusterState:RedisConnectionString"] = $"127.0.0.1:{ClosedPort()},connectTimeout=300",
                // The workers stay registered however long the failing connection attempts take on a loaded machine.
                ["ClusterState:HeartbeatTtl"] = "00:05:00",
            },
            services =>
            {
                services.AddSingleton<IPrefixIndex>(sp => sp.GetRequiredService<RedisPrefixIndex>());
                services.AddSingleton<IWorkerRegistry>(sp => sp.GetRequiredService<ClusterState.InMemory.InMemoryWorkerRegistry>());
            });
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        Assert.False((await harness.Services.GetRequiredService<IPrefixIndex>().FindOverlapAsync(Model, [new(1)])).IndexAvailable);

        var (tokens, finished) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 48, maxTokens: 3)));

        Assert.Equal(Expected(48, 3), tokens);
        Assert.Equal(FinishReason.Length, finished.Reason);
    }

    /// <summary>Kills <paramref name="worker"/>'s held stream once the client has received <paramref name="tokens"/> tokens.</summary>
    private static Action<int> KillAt(FakeWorker worker, int tokens) => received =>
    {
        if (received >= tokens)
        {
            worker.Kill.TrySetResult();
        }
    };

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
