using Cluster.Core.Ids;
using Cluster.Hosting;
using Cluster.Hosting.Auth;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.Reservations;
using Cluster.KvTransfer.Server;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.KvTransfer.Tests;

/// <summary>KvTransfer hosted as the worker host maps it: a cluster host with <c>RequireClusterToken</c>.</summary>
public sealed class KvTransferAuthTests
{
    private const string Token = "kv-test-token";

    [Fact]
    public async Task Push_WithoutClusterToken_IsUnauthenticatedAndWithItCompletes()
    {
        var store = new MemoryKvStore(TransferFixture.Layout, totalBlocks: 64);
        using var table = new KvReservationTable(store, Options.Create(new KvTransferOptions()), new ManualTimeProvider());
        string[] args = ["--Hosting:BindAddress=127.0.0.1", "--Hosting:GrpcPort=0", "--Hosting:HttpPort=0", $"--Auth:ClusterToken={Token}"];
        await using var app = ClusterHost.Build(
            args,
            new ClusterHostDefaults("decode", 50999, 8999),
            b => b.Services.AddSingleton(new KvTransferGrpcService(table, NullLogger<KvTransferGrpcService>.Instance)),
            a => a.MapGrpcService<KvTransferGrpcService>().RequireClusterToken());
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(app.Services.GetRequiredService<HostEndpoints>().GrpcAddress, new KvTransferOptions().CreatePushChannelOptions());
        var client = new KvTransferService.KvTransferClient(channel);
        var id = new RequestId("r");
        var reservation = table.Reserve(id, 10, "tiny", TransferFixture.Layout);
        var kv = new byte[TransferFixture.Layout.RangeBytes(TransferFixture.Layout.Layers, reservation.Blocks)];
        new Random(3).NextBytes(kv);
        var push = TransferFixture.PushOf(reservation.Ticket!, 10, reservation.Blocks, kv);

        var refused = await Assert.ThrowsAsync<RpcException>(() => new KvPushClient(client, new KvTransferOptions()).PushAsync(push));
        var wrong = await Assert.ThrowsAsync<RpcException>(() => new KvPushClient(client, new KvTransferOptions(), Bearer("not-the-token")).PushAsync(push));
        Assert.Equal(0, store.Writes);
        var result = await new KvPushClient(client, new KvTransferOptions(), Bearer(Token)).PushAsync(push);

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("Auth:ClusterToken", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.True(result.Complete);
        Assert.Equal(kv, store.Contents(id));
        await app.StopAsync();
    }

    private static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };
}
