using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Host.Tls;

/// <summary>
/// A throwaway certificate authority (ECDSA P-256) for the demo and the tests: it signs per-node certificates and
/// writes them as PEM, keys with mode 0600. Production clusters bring their own CA (docs/SECURITY.md §2).
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    /// <summary>The CA's file name in a directory written by <see cref="WriteNodeFiles"/>.</summary>
    public const string CaFileName = "ca.crt";

    private readonly X509Certificate2 _ca;

    private CertificateAuthority(X509Certificate2 ca) => _ca = ca;

    /// <summary>A new self-signed CA named <paramref name="name"/>, valid for ten years.</summary>
    public static CertificateAuthority Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        return new CertificateAuthority(request.CreateSelfSigned(now, now.AddYears(10)));
    }

    /// <summary>
    /// Writes <c>ca.crt</c> and, for each of <paramref name="nodeNames"/>, <c>NAME.crt</c> and <c>NAME.key</c> (0600)
    /// into <paramref name="directory"/>; every node certificate names 127.0.0.1, ::1, localhost and
    /// <paramref name="addresses"/>, and serves as both TLS server and client (peers authenticate each other).
    /// </summary>
    /// <returns>The files of each node, in order.</returns>
    public IReadOnlyList<TlsFiles> WriteNodeFiles(string directory, IEnumerable<string> nodeNames, params string[] addresses)
    {
        Directory.CreateDirectory(directory);
        var caFile = Path.Combine(directory, CaFileName);
        File.WriteAllText(caFile, _ca.ExportCertificatePem() + "\n");
        var written = new List<TlsFiles>();
        foreach (var name in nodeNames)
        {
            var files = new TlsFiles(Path.Combine(directory, $"{name}.crt"), Path.Combine(directory, $"{name}.key"), caFile);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var certificate = Issue(name, key, addresses);
            File.WriteAllText(files.CertFile, certificate.ExportCertificatePem() + "\n");
            WritePrivate(files.KeyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
            written.Add(files);
        }
        return written;
    }

    private X509Certificate2 Issue(string name, ECDsa key, string[] addresses)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));   // server and client auth
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        foreach (var address in addresses)
            if (IPAddress.TryParse(address, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(address);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;   // a positive serial number
        return request.Create(_ca, now, now.AddYears(2), serial);
    }

    /// <summary>Writes <paramref name="text"/> to a file created with mode 0600, so the secret is never readable by others.</summary>
    private static void WritePrivate(string path, string text)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The appliance runs on Linux.");
        File.Delete(path);
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <inheritdoc />
    public void Dispose() => _ca.Dispose();
}
