using System.Security.Cryptography;
using System.Text;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// Passwords of the appliance's own roles, derived from the cluster secret (the superuser's password): every node computes
/// the same ones with no configuration, and none reveals the secret, so a file or setting that holds one (a standby's
/// replication password, a monitoring tool's) gives nothing towards the superuser.
/// </summary>
/// <remarks>
/// HMAC-SHA256 with the secret as key and a fixed purpose string as message, written as base64url without padding:
/// 43 characters of <c>[A-Za-z0-9_-]</c>, which need no quoting in a conninfo string or a password file. A new purpose
/// string (a new version suffix) gives an unrelated password.
/// </remarks>
internal static class DerivedPassword
{
    /// <summary>The purpose of the replication role's first password.</summary>
    public const string ReplicationPurpose = "appliance/replication/v1";

    /// <summary>The purpose of the replication role's password version <paramref name="version"/> (1 before any rotation).</summary>
    public static string ReplicationPurposeOf(int version) =>
        version >= 1 ? $"appliance/replication/v{version}" : throw new ArgumentOutOfRangeException(nameof(version), version, "Versions start at 1.");

    /// <summary>The purpose of the monitoring role's password.</summary>
    public const string MonitorPurpose = "appliance/monitor/v1";

    /// <summary>The password for <paramref name="purpose"/> under <paramref name="clusterSecret"/>.</summary>
    /// <exception cref="ArgumentException">The secret or the purpose is empty.</exception>
    public static string Derive(string clusterSecret, string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterSecret);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(clusterSecret), Encoding.UTF8.GetBytes(purpose));
        return System.Buffers.Text.Base64Url.EncodeToString(mac);
    }
}
