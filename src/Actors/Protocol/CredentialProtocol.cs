namespace Appliance.Actors.Protocol;

/// <summary>What a node asks the coordinator before it rotates the cluster's superuser password.</summary>
public static class CredentialProtocol
{
    /// <summary>Ask the coordinator which passwords each node holds; it answers <see cref="SecretFingerprints"/>.</summary>
    public sealed record GetSecretFingerprints : IApplianceMessage
    {
        /// <summary>The one instance.</summary>
        public static readonly GetSecretFingerprints Instance = new();
    }

    /// <summary>
    /// The fingerprints (<see cref="Appliance.Nodes.Postgres.ClusterSecret.Fingerprint"/>) of the passwords each peer's
    /// node last reported holding, newest first, by peer id; a peer whose node sent none is missing.
    /// </summary>
    /// <param name="ByPeer">The fingerprints by peer id.</param>
    public sealed record SecretFingerprints(IReadOnlyDictionary<string, IReadOnlyList<string>> ByPeer) : IApplianceMessage;
}
