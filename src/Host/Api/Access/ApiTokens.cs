using System.Security.Cryptography;
using System.Text;
using Appliance.Host.Node;

namespace Appliance.Host.Api.Access;

/// <summary>
/// The HTTP API's bearer tokens as a node holds them: only their SHA-256 hashes. A presented token is hashed too and
/// the two hashes compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time taken tells an
/// attacker neither how much of a guess matched nor how long the real token is.
/// </summary>
public sealed class ApiTokens
{
    private readonly byte[]? _write;
    private readonly byte[]? _read;

    /// <summary>Holds <paramref name="write"/> (changes and reads) and <paramref name="read"/> (reads); null where none is configured.</summary>
    public ApiTokens(string? write, string? read)
    {
        _write = write is null ? null : Hash(write);
        _read = read is null ? null : Hash(read);
    }

    /// <summary>No token at all: changes only from loopback, every read open.</summary>
    public static ApiTokens None { get; } = new(null, null);

    /// <summary>Reads the token files <paramref name="options"/> names.</summary>
    /// <exception cref="NodeConfigurationException">A file is missing, empty, unreadable or readable by group or others.</exception>
    public static ApiTokens Load(NodeOptions options) => new(
        options.ApiTokenFile is { } write ? ApiTokenFile.Read(write, "--api-token-file", requirePrivate: true) : null,
        options.ApiReadTokenFile is { } read ? ApiTokenFile.Read(read, "--api-read-token-file", requirePrivate: true) : null);

    /// <summary>Whether changes need a token (<c>--api-token-file</c>).</summary>
    public bool WriteConfigured => _write is not null;

    /// <summary>Whether the protected reads need a token (<c>--api-read-token-file</c>).</summary>
    public bool ReadConfigured => _read is not null;

    /// <summary>What <paramref name="presented"/> allows.</summary>
    public ApiAccessLevel Grant(string presented)
    {
        var hash = Hash(presented);
        // Both comparisons always run, so the time taken does not tell which token a guess was compared with.
        var write = _write is not null && CryptographicOperations.FixedTimeEquals(hash, _write);
        var read = _read is not null && CryptographicOperations.FixedTimeEquals(hash, _read);
        return write ? ApiAccessLevel.Operate : read ? ApiAccessLevel.Read : ApiAccessLevel.None;
    }

    /// <summary>
    /// Whether two tokens are equal, in time that depends on neither their contents nor their lengths: both are hashed
    /// (SHA-256 over UTF-8) and the hashes, always 32 bytes, compared in constant time.
    /// </summary>
    public static bool SameToken(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(Hash(presented), Hash(expected));

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
