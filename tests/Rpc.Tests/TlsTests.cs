using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;

namespace Cluster.Rpc.Tests;

public sealed class TlsTests
{
    private static ServerServiceDefinition EchoService() => ServerServiceDefinition.CreateBuilder()
        .AddMethod(EchoMethods.Unary, (EchoMessage request, ServerCallContext context) =>
            Task.FromResult(new EchoMessage { Text = context.GetHttpContext().Request.IsHttps + " " + context.GetHttpContext().Request.Protocol }))
        .AddMethod(EchoMethods.Duplex, async (IAsyncStreamReader<EchoMessage> requests, IServerStreamWriter<EchoMessage> responses, ServerCallContext _) =>
        {
            await foreach (var message in requests.ReadAllAsync())
            {
                await responses.WriteAsync(message);
            }
        })
        .Build();

    [Fact]
    public async Task Unary_SelfSignedCertificateTrustedByThumbprint_SucceedsOverHttp2Tls()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var server = await TestServer.StartAsync(EchoService(), certificate: certificate);
        var https = new UriBuilder(server.Address) { Scheme = "https" }.Uri;
        using var channel = RpcChannel.ForAddress(https, new RpcChannelOptions
        {
            ServerCertificateValidation = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString(),
        });
        var invoker = channel.CreateCallInvoker();

        using var unary = invoker.AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var response = await unary.ResponseAsync.WaitBounded();
        using var duplex = invoker.AsyncDuplexStreamingCall(EchoMethods.Duplex, null, default);
        await duplex.RequestStream.WriteAsync(EchoMethods.Text("over tls")).WaitBounded();
        await duplex.RequestStream.CompleteAsync();
        var echoed = await duplex.ResponseStream.ReadAllAsync().ToListAsync().AsTask().WaitBounded();

        Assert.Equal("True HTTP/2", response.Text);
        Assert.Equal("over tls", Assert.Single(echoed).Text);
    }

    [Fact]
    public async Task Unary_UntrustedCertificate_Unavailable()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var server = await TestServer.StartAsync(EchoService(), certificate: certificate);
        var https = new UriBuilder(server.Address) { Scheme = "https" }.Uri;
        using var channel = RpcChannel.ForAddress(https);

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }
}
