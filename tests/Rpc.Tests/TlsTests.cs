using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;

namespace Cluster.Rpc.Tests;

public sealed class TlsTests
{
    private static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

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
        using var certificate = CreateSelfSigned();
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
        using var certificate = CreateSelfSigned();
        await using var server = await TestServer.StartAsync(EchoService(), certificate: certificate);
        var https = new UriBuilder(server.Address) { Scheme = "https" }.Uri;
        using var channel = RpcChannel.ForAddress(https);

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }
}
