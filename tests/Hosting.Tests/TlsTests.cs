using System.Net;
using System.Security.Cryptography.X509Certificates;
using Cluster.Hosting.Tests.Interop;
using Cluster.Tests.Shared;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Hosting.Tests;

/// <summary>
/// <c>Hosting:CertificatePath</c>: the gRPC endpoint serves TLS with HTTP/2 by ALPN (re-homed from the deleted
/// Rpc.Tests TlsTests). A caller that trusts the certificate is served; one that does not gets INTERNAL naming the
/// certificate, and a plaintext caller UNAVAILABLE.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly SelfSignedCertificate _certificate = new();

    public void Dispose() => _certificate.Dispose();

    private Task<TestHost> StartTlsHostAsync(InteropEchoService service) =>
        TestHost.StartAsync(
            builder => builder.Services.AddSingleton(service),
            app => app.MapGrpcService<InteropEchoService>(),
            $"--Hosting:CertificatePath={_certificate.PfxPath}");

    [Fact]
    public async Task CertificateSet_CallerTrustingIt_IsServedOverTlsAndHttp2()
    {
        await using var host = await StartTlsHostAsync(new InteropEchoService());
        Assert.Equal("https", host.Endpoints.GrpcAddress.Scheme);
        X509Certificate? presented = null;
        var tls = new SocketsHttpHandler();
        tls.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            presented = certificate;
            return _certificate.IsThis(certificate);
        };
        var versions = new VersionRecorder(tls);
        using var channel = GrpcChannel.ForAddress(host.Endpoints.GrpcAddress, new GrpcChannelOptions { HttpHandler = versions });

        var reply = await new CallInvokerEcho(channel).UnaryAsync("over tls");

        Assert.Equal("echo:over tls", reply.Text);
        Assert.True(_certificate.IsThis(presented), "The caller's validation callback did not see the host's certificate.");
        Assert.Equal([HttpVersion.Version20], versions.Seen);
    }

    [Fact]
    public async Task CertificateSet_CallerNotTrustingIt_InternalNamingTheCertificate()
    {
        await using var host = await StartTlsHostAsync(new InteropEchoService());
        using var channel = GrpcChannel.ForAddress(host.Endpoints.GrpcAddress); // the system's validation: self-signed is untrusted

        var e = await Assert.ThrowsAsync<RpcException>(() => new CallInvokerEcho(channel).UnaryAsync("refused"));

        // Grpc.Net.Client maps a failed TLS handshake (HttpRequestError.SecureConnectionError) to INTERNAL, not
        // UNAVAILABLE: a certificate the caller does not trust is not transient, and the SDK does not retry it.
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("The remote certificate is invalid", e.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CertificateSet_PlaintextCallToTheTlsPort_Fails()
    {
        await using var host = await StartTlsHostAsync(new InteropEchoService());
        var plaintext = new UriBuilder(host.Endpoints.GrpcAddress) { Scheme = "http" }.Uri;
        using var channel = GrpcChannel.ForAddress(plaintext);

        var e = await Assert.ThrowsAsync<RpcException>(() => new CallInvokerEcho(channel).UnaryAsync("plaintext"));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
    }

    private sealed class CallInvokerEcho(GrpcChannel channel)
    {
        public async Task<EchoMessage> UnaryAsync(string text) =>
            await channel.CreateCallInvoker().AsyncUnaryCall(
                EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow + Bounded.Timeout), EchoMethods.Text(text));
    }

    /// <summary>Records the HTTP version of every response (HTTP/2 proves ALPN chose h2).</summary>
    private sealed class VersionRecorder(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public List<Version> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            lock (Seen)
            {
                Seen.Add(response.Version);
            }

            return response;
        }
    }
}
