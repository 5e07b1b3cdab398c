using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// The cluster secret (the <c>postgres</c> superuser's password) a node uses now, chosen from the passwords it was given,
/// and the version of the replication role's password; both can change while the node runs, when an operator rotates
/// them (<see cref="ApplianceRoles.RotateSuperuserAsync"/>, <see cref="ApplianceRoles.RotateReplicationAsync"/>).
/// </summary>
/// <remarks>
/// <para>
/// The source of truth is PostgreSQL's catalog, which every standby holds as a copy of the primary's: the secret in use
/// is the one the instances accept. A node is given candidates (the lines of its password file, newest first); it uses
/// the first until PostgreSQL refuses it (<c>28P01</c>), then takes the first candidate that PostgreSQL accepts
/// (<see cref="OpenWithFallbackAsync"/>). So a rotation needs no message to every node: the primary changes the
/// passwords in one transaction, replication carries it to every standby, and each node follows at its next connection.
/// </para>
/// <para>
/// The replication role's password is derived from the secret and a version, which the primary keeps as the role's
/// comment (<see cref="ApplianceRoles.ReplicationVersionOf"/>); status reads carry it to every node
/// (<see cref="UseReplicationVersion"/>).
/// </para>
/// </remarks>
public sealed class ClusterSecret
{
    private readonly Func<IReadOnlyList<string>> _candidates;
    private readonly SemaphoreSlim _fallback = new(1, 1);
    private volatile Current _current;
    private volatile Fingerprinted? _fingerprints;
    private long _fingerprintsReadAt = long.MinValue / 2;
    private int _refreshing;

    private sealed record Current(string Password, int ReplicationVersion);

    private sealed record Fingerprinted(IReadOnlyList<string> Candidates, IReadOnlyList<string> Fingerprints);

    /// <summary>A secret chosen from <paramref name="candidates"/>, which is read again whenever PostgreSQL refuses the one in use.</summary>
    /// <param name="candidates">The passwords this node may use, newest first (a password file's lines); never empty.</param>
    public ClusterSecret(Func<IReadOnlyList<string>> candidates)
    {
        _candidates = candidates;
        var first = candidates().FirstOrDefault(c => c.Length > 0)
                    ?? throw new ArgumentException("A cluster secret needs at least one password.", nameof(candidates));
        _current = new Current(first, 1);
    }

    /// <summary>A secret of one fixed password.</summary>
    public static ClusterSecret Fixed(string password) => new(() => [password]);

    /// <summary>Raised after <see cref="Password"/> or <see cref="ReplicationVersion"/> changed, so that files holding a
    /// password derived from them (a standby's password file) are written again.</summary>
    public event Action? Changed;

    /// <summary>The superuser's password in use.</summary>
    public string Password => _current.Password;

    /// <summary>The version of the replication role's password in use (1 until the first rotation).</summary>
    public int ReplicationVersion => _current.ReplicationVersion;

    /// <summary>The replication role's password.</summary>
    public string ReplicationPassword => DerivedPassword.Derive(Password, DerivedPassword.ReplicationPurposeOf(ReplicationVersion));

    /// <summary>The monitoring role's password.</summary>
    public string MonitorPassword => DerivedPassword.Derive(Password, DerivedPassword.MonitorPurpose);

    /// <summary>The candidates as they are now (the password file read again), newest first.</summary>
    public IReadOnlyList<string> Candidates => Read();

    /// <summary>The password an operator rotates to: the first candidate.</summary>
    public string Newest => Read()[0];

    /// <summary>
    /// <see cref="Fingerprint"/> of every candidate, newest first, so the coordinator can tell an operator which nodes do not
    /// hold a new password yet without any node sending a password; null until first computed.
    /// </summary>
    /// <remarks>
    /// Read twice a second by the node actor's report, so it never reads the file or hashes there: it returns the last
    /// result and, at most once a second, starts <see cref="RefreshFingerprints"/> on the thread pool.
    /// </remarks>
    public IReadOnlyList<string>? Fingerprints
    {
        get
        {
            if (Environment.TickCount64 - Interlocked.Read(ref _fingerprintsReadAt) >= 1000 && Interlocked.Exchange(ref _refreshing, 1) == 0)
                _ = Task.Run(() =>
                {
                    try { RefreshFingerprints(); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                    finally
                    {
                        Interlocked.Exchange(ref _fingerprintsReadAt, Environment.TickCount64);
                        Volatile.Write(ref _refreshing, 0);
                    }
                });
            return _fingerprints?.Fingerprints;
        }
    }

    /// <summary>Reads the candidates again and computes <see cref="Fingerprints"/> if they changed.</summary>
    /// <returns>The fingerprints now.</returns>
    public IReadOnlyList<string> RefreshFingerprints()
    {
        var candidates = Read();
        var known = _fingerprints;
        if (known is not null && known.Candidates.SequenceEqual(candidates)) return known.Fingerprints;
        var computed = new Fingerprinted(candidates, [.. candidates.Select(Fingerprint)]);
        _fingerprints = computed;
        return computed.Fingerprints;
    }

    /// <summary>
    /// A one-way digest of <paramref name="password"/> that identifies it among a node's candidates: PBKDF2-SHA256 with a
    /// fixed salt, slow enough that a digest in a log or a report gives no practical start on a generated password.
    /// </summary>
    public static string Fingerprint(string password) =>
        Convert.ToHexStringLower(Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password),
            Encoding.UTF8.GetBytes("appliance/secret-fingerprint/v1"), 20_000, HashAlgorithmName.SHA256, 16));

    /// <summary>Uses replication password version <paramref name="version"/> from now on, if it is newer than the one in use
    /// (a status read or the primary's catalog found it).</summary>
    /// <remarks>Only ever forward: a standby that has not replayed a rotation yet still shows the older version.</remarks>
    /// <returns>True if that changed the version in use.</returns>
    public bool UseReplicationVersion(int version)
    {
        var current = _current;
        if (version <= current.ReplicationVersion) return false;
        _current = current with { ReplicationVersion = version };
        Changed?.Invoke();
        return true;
    }

    /// <summary>Uses <paramref name="password"/> as the superuser's from now on (this node has just rotated it).</summary>
    public void UsePassword(string password)
    {
        var current = _current;
        if (current.Password == password) return;
        _current = current with { Password = password };
        Changed?.Invoke();
    }

    /// <summary>
    /// Opens a connection with the password in use; if PostgreSQL refuses it, tries every other candidate (the file read
    /// again) and keeps the first it accepts.
    /// </summary>
    /// <param name="open">Opens a connection with the given superuser password.</param>
    /// <exception cref="PostgresException">PostgreSQL refused every candidate: the original refusal.</exception>
    public async Task<NpgsqlConnection> OpenWithFallbackAsync(Func<string, Task<NpgsqlConnection>> open)
    {
        var tried = Password;
        try
        {
            return await open(tried).ConfigureAwait(false);
        }
        catch (PostgresException refused) when (refused.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            await _fallback.WaitAsync().ConfigureAwait(false);
            try
            {
                // Another caller may have found the accepted one meanwhile.
                if (Password != tried)
                {
                    try { return await open(Password).ConfigureAwait(false); }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword) { }
                }
                foreach (var candidate in Read())
                {
                    if (candidate == tried) continue;
                    NpgsqlConnection connection;
                    try { connection = await open(candidate).ConfigureAwait(false); }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword) { continue; }
                    UsePassword(candidate);
                    return connection;
                }
            }
            finally
            {
                _fallback.Release();
            }
            throw;
        }
    }

    private IReadOnlyList<string> Read()
    {
        var candidates = _candidates().Where(c => c.Length > 0).Distinct().ToArray();
        return candidates.Length > 0 ? candidates : [_current.Password];
    }
}
