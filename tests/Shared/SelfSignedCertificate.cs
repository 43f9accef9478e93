using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.Tests.Shared;

/// <summary>
/// A throw-away self-signed server certificate for 127.0.0.1 / localhost (ECDSA P-256, serverAuth), written as a
/// password-less .pfx into its own temporary folder, which <see cref="Dispose"/> deletes.
/// </summary>
internal sealed class SelfSignedCertificate : IDisposable
{
    private readonly string _folder;

    public SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=cluster-test-server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        var pfx = created.Export(X509ContentType.Pfx);
        Certificate = X509CertificateLoader.LoadPkcs12(pfx, null);
        _folder = Directory.CreateTempSubdirectory("cluster-tls-").FullName;
        PfxPath = Path.Combine(_folder, "server.pfx");
        File.WriteAllBytes(PfxPath, pfx);
    }

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The .pfx file (no password), for <c>Hosting:CertificatePath</c>.</summary>
    public string PfxPath { get; }

    /// <summary>True when <paramref name="presented"/> is this certificate (what a caller that trusts it checks).</summary>
    public bool IsThis(X509Certificate? presented) =>
        presented is not null && presented.GetCertHashString() == Certificate.GetCertHashString();

    public void Dispose()
    {
        Certificate.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
