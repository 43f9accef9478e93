using System.Security.Cryptography.X509Certificates;
using Cluster.Tests.Shared;
using Grpc.Core;

namespace Cluster.Client.Tests;

/// <summary>
/// The SDK against a router serving TLS with a self-signed certificate: trusted through
/// <see cref="ClusterClientOptions.ServerCertificateValidation"/>, and refused (INTERNAL naming the certificate)
/// with the system's validation.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly SelfSignedCertificate _certificate = new();

    public void Dispose() => _certificate.Dispose();

    [Fact]
    public async Task ServerCertificateValidationTrustingIt_CallsAreServedOverTls()
    {
        await using var router = await ScriptedRouter.StartAsync(_certificate.Certificate);
        Assert.Equal("https", router.Address.Scheme);
        X509Certificate? presented = null;
        using var client = new ClusterClient(new ClusterClientOptions
        {
            Addresses = [router.Address],
            ApiKey = "sk-tls",
            MaxRetries = 0,
            ServerCertificateValidation = (_, certificate, _, _) =>
            {
                presented = certificate;
                return _certificate.IsThis(certificate);
            },
        });

        var chunks = await client.GenerateAsync("hi").ToListAsync();

        Assert.Equal("hello world", string.Concat(chunks.Select(c => c.Text)));
        Assert.True(_certificate.IsThis(presented), "ServerCertificateValidation did not see the router's certificate.");
        Assert.Equal("Bearer sk-tls", Assert.Single(router.Authorizations));
    }

    [Fact]
    public async Task NoValidationCallback_SelfSignedRouter_InternalNamingTheCertificate()
    {
        await using var router = await ScriptedRouter.StartAsync(_certificate.Certificate);
        using var client = new ClusterClient(new ClusterClientOptions { Addresses = [router.Address], MaxRetries = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.GenerateAsync("hi").ToListAsync());

        // Grpc.Net.Client's status for a failed TLS handshake; INTERNAL is not retried (MaxRetries only covers UNAVAILABLE
        // and RESOURCE_EXHAUSTED: UntrustedCertificate_IsNotRetried), which suits an error that retrying cannot fix.
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("The remote certificate is invalid", e.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, router.Calls);
    }

    [Fact]
    public async Task UntrustedCertificate_IsNotRetried()
    {
        await using var router = await ScriptedRouter.StartAsync(_certificate.Certificate);
        var counting = new CountingHandler(new SocketsHttpHandler()); // the system's validation
        using var client = new ClusterClient(new ClusterClientOptions
        {
            Addresses = [router.Address],
            HttpHandler = counting,
            MaxRetries = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.GenerateAsync("hi").ToListAsync());

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Equal(1, counting.Requests);
    }
}
