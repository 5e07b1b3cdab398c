using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Host.Node;

namespace Appliance.Host.Tls;

/// <summary>The PEM files a node's TLS comes from: <c>--tls-cert</c>, <c>--tls-key</c>, <c>--tls-ca</c>.</summary>
/// <param name="CertFile">This node's certificate, signed by the CA; its SAN should name the node's <c>--host</c>.</param>
/// <param name="KeyFile">Its private key (mode 0600 or stricter).</param>
/// <param name="CaFile">The cluster's CA: the only root that peers', and the API's clients', certificates are checked against.</param>
public sealed record TlsFiles(string CertFile, string KeyFile, string CaFile);

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

/// <summary>
/// Checks a certificate against our CA only: a chain built with a custom trust store, so that no certificate the
/// operating system trusts (any public CA's) gets into the cluster.
/// </summary>
public static class CustomRootTrust
{
    /// <summary>The certificates in <paramref name="pemFile"/>, as trusted roots.</summary>
    /// <exception cref="CryptographicException">The file holds no PEM certificate, or a malformed one.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static X509Certificate2Collection Roots(string pemFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(pemFile);
        return roots.Count > 0 ? roots : throw new CryptographicException("no -----BEGIN CERTIFICATE----- in it");
    }

    /// <summary>Null if <paramref name="certificate"/> chains to one of <paramref name="roots"/>; otherwise why not.</summary>
    /// <param name="certificate">The certificate presented.</param>
    /// <param name="roots">The trusted roots.</param>
    /// <param name="presented">Intermediates the peer sent with it, if any.</param>
    public static string? Problem(X509Certificate2 certificate, X509Certificate2Collection roots, X509Chain? presented = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // A private CA publishes no revocation lists; revoking means re-issuing the CA (docs/SECURITY.md §2).
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.Equals(certificate)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(certificate)) return null;
        var statuses = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return $"'{certificate.Subject}', issued by '{certificate.Issuer}': {string.Join("; ", statuses)}";
    }

    /// <summary>
    /// Checks an HTTPS server as a browser would, but against <paramref name="roots"/> only: the chain ends in our CA
    /// and the certificate names the host asked for. Never switches validation off.
    /// </summary>
    /// <param name="roots">The trusted roots.</param>
    /// <param name="refused">Told why a certificate was refused, for the error message.</param>
    public static RemoteCertificateValidationCallback ServerCallback(X509Certificate2Collection roots, Action<string>? refused = null) =>
        (_, presented, chain, errors) =>
        {
            string? problem;
            if (presented is null) problem = "it presented no certificate";
            else
            {
                using var certificate = new X509Certificate2(presented);
                problem = Problem(certificate, roots, chain) is { } p
                    ? $"its certificate is not signed by our CA: {p}"
                    : errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)
                        ? $"its certificate ('{certificate.Subject}') does not name the host asked for in its subject alternative names"
                        : null;
            }
            if (problem is not null) refused?.Invoke(problem);
            return problem is null;
        };
}
