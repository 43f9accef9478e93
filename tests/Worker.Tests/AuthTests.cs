using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>With Auth:ClusterToken set, Worker and KvTransfer calls need the token; the prefill worker sends it when pushing.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private const string Token = "s3cret-cluster-token";
    private readonly TinyModel _model = new();
    private WorkerHost _prefill = null!;
    private WorkerHost _decode = null!;

    public async Task InitializeAsync()
    {
        var state = new SharedClusterState();
        _prefill = await WorkerHost.StartAsync(WorkerPair.PrefillRole, _model, state, Token);
        _decode = await WorkerHost.StartAsync(WorkerPair.DecodeRole, _model, state, Token);
    }

    public async Task DisposeAsync()
    {
        await _prefill.DisposeAsync();
        await _decode.DisposeAsync();
        _model.Dispose();
    }

    [Fact]
    public async Task Status_WithoutToken_Unauthenticated()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _decode.Client.StatusAsync(new StatusRequest()));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task KvTransfer_WithWrongToken_Unauthenticated()
    {
        using var channel = GrpcChannel.ForAddress(_decode.Endpoint);
        var client = new Contracts.V1.KvTransfer.KvTransferClient(channel);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.GetTicketAsync(new TicketRequest { Ticket = "x" }, new CallOptions(new Metadata { { "authorization", "Bearer wrong" } })));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task ReservePrefillDecode_WithToken_PushIsAuthenticatedAndTokensMatch()
    {
        var prompt = TinyModel.Prompt(10, seed: 3);
        var (ticket, first) = await Calls.PrefillToAsync(_prefill, _decode, "auth", prompt);

        var messages = await Calls.ReadAllAsync(_decode, Calls.Decode("auth", prompt, [(int)first.FirstTokenId], 5, ticket));

        Assert.Equal(_model.Greedy(prompt, 5), [(int)first.FirstTokenId, .. Calls.Tokens(messages)]);
    }
}
