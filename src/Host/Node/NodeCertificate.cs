using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Host.Tls;

namespace Appliance.Host.Node;

/// <summary>
/// A node's certificate with its private key, and the CA it trusts, loaded and checked once at start, so that a
/// wrong file stops the node with a message instead of failing every handshake later.
/// </summary>
public sealed class NodeCertificate : IDisposable
{
    private NodeCertificate(TlsFiles files, X509Certificate2 certificate, X509Certificate2Collection ca)
    {
        Files = files;
        Certificate = certificate;
        Ca = ca;
    }

    /// <summary>The files it came from.</summary>
    public TlsFiles Files { get; }

    /// <summary>The node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The trusted root(s).</summary>
    public X509Certificate2Collection Ca { get; }

    /// <summary>Loads and checks <paramref name="files"/>.</summary>
    /// <exception cref="NodeConfigurationException">
    /// A file is missing or unreadable, the key is readable by group or others, the key does not match the
    /// certificate, or the CA did not sign the certificate.
    /// </exception>
    public static NodeCertificate Load(TlsFiles files)
    {
        foreach (var (flag, path) in new[] { ("--tls-cert", files.CertFile), ("--tls-key", files.KeyFile), ("--tls-ca", files.CaFile) })
            if (!File.Exists(path))
                throw new NodeConfigurationException($"{flag} {path} does not exist. Give the PEM file's path (see docs/SECURITY.md §2 for making one).");
        SecretFile.RequireOwnerOnly(files.KeyFile, "--tls-key", "whoever reads the key can pose as this node to its peers and clients");
        var ca = LoadCa(files.CaFile);
        X509Certificate2 certificate;
        try { certificate = X509Certificate2.CreateFromPemFile(files.CertFile, files.KeyFile); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new NodeConfigurationException(
                $"--tls-cert {files.CertFile} with --tls-key {files.KeyFile} cannot be used ({e.Message}). Both must be PEM, and the key must be the certificate's own.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"--tls-cert {files.CertFile} or --tls-key {files.KeyFile} cannot be read ({e.Message}).");
        }
        if (CustomRootTrust.Problem(certificate, ca) is { } problem)
        {
            certificate.Dispose();
            throw new NodeConfigurationException(
                $"--tls-cert {files.CertFile} does not chain to --tls-ca {files.CaFile} ({problem}). Give the certificate the cluster's CA signed for this node, and that CA.");
        }
        return new NodeCertificate(files, certificate, ca);
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        try { return CustomRootTrust.Roots(path); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"--tls-ca {path} cannot be read as PEM certificates ({e.Message}).");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var c in Ca) c.Dispose();
    }
}
