using System.Security.Cryptography;
using System.Text;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// PostgreSQL's stored form of a SCRAM-SHA-256 password (<c>SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey</c>, RFC 5802
/// and 7677), computed and checked here so that the driver sends roles a verifier rather than a password (a DDL log line
/// then shows no password), and changes a role's password only when it really differs.
/// </summary>
/// <remarks>
/// PostgreSQL normalises a non-ASCII password (SASLprep) before hashing it; these methods do not, so they accept only
/// ASCII passwords (<see cref="CanHash"/>). The derived passwords always are.
/// </remarks>
internal static class ScramVerifier
{
    /// <summary>PostgreSQL's default <c>scram_iterations</c>.</summary>
    public const int DefaultIterations = 4096;

    private const string Prefix = "SCRAM-SHA-256$";

    /// <summary>True if <paramref name="password"/> is ASCII, so that its verifier can be computed here.</summary>
    public static bool CanHash(string password) => password.Length > 0 && Ascii.IsValid(password);

    /// <summary>A new verifier for <paramref name="password"/>, with a random salt.</summary>
    /// <exception cref="ArgumentException">The password is empty or not ASCII.</exception>
    public static string Create(string password, int iterations = DefaultIterations) =>
        Create(password, RandomNumberGenerator.GetBytes(16), iterations);

    /// <summary>The verifier for <paramref name="password"/> with the given salt and iteration count.</summary>
    /// <exception cref="ArgumentException">The password is empty or not ASCII.</exception>
    public static string Create(string password, byte[] salt, int iterations)
    {
        if (!CanHash(password)) throw new ArgumentException("Only a non-empty ASCII password can be hashed here.", nameof(password));
        var (storedKey, serverKey) = Keys(password, salt, iterations);
        return $"{Prefix}{iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>
    /// True if <paramref name="verifier"/> (a <c>pg_authid.rolpassword</c>) is a SCRAM-SHA-256 verifier of
    /// <paramref name="password"/>. False for anything else: no password, an MD5 hash, a malformed value, a non-ASCII password.
    /// </summary>
    public static bool Verifies(string? verifier, string password)
    {
        if (verifier is null || !verifier.StartsWith(Prefix, StringComparison.Ordinal) || !CanHash(password)) return false;
        var parts = verifier[Prefix.Length..].Split('$');
        if (parts.Length != 2) return false;
        var salting = parts[0].Split(':');
        var keys = parts[1].Split(':');
        if (salting.Length != 2 || keys.Length != 2 || !int.TryParse(salting[0], out var iterations) || iterations < 1) return false;
        try
        {
            var (storedKey, serverKey) = Keys(password, Convert.FromBase64String(salting[1]), iterations);
            return CryptographicOperations.FixedTimeEquals(storedKey, Convert.FromBase64String(keys[0])) &&
                   CryptographicOperations.FixedTimeEquals(serverKey, Convert.FromBase64String(keys[1]));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static (byte[] StoredKey, byte[] ServerKey) Keys(string password, byte[] salt, int iterations)
    {
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.ASCII.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        return (SHA256.HashData(clientKey), HMACSHA256.HashData(salted, "Server Key"u8));
    }
}
