namespace Appliance.Host.Tls;

/// <summary>The PEM files a node's TLS comes from: <c>--tls-cert</c>, <c>--tls-key</c>, <c>--tls-ca</c>.</summary>
/// <param name="CertFile">This node's certificate, signed by the CA; its SAN should name the node's <c>--host</c>.</param>
/// <param name="KeyFile">Its private key (mode 0600 or stricter).</param>
/// <param name="CaFile">The cluster's CA: the only root that peers', and the API's clients', certificates are checked against.</param>
public sealed record TlsFiles(string CertFile, string KeyFile, string CaFile);
