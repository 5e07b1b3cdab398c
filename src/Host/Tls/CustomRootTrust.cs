using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Host.Tls;

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
