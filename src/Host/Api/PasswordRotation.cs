using Appliance.Host.Node;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Host.Api;

/// <summary>
/// <c>POST /rotate-password</c>: changes the superuser's or the replication role's password across the cluster, with no
/// failover and no restart. The primary changes it in one transaction, which replication carries to every standby, and
/// every node follows its own copy of the catalog (<see cref="ClusterSecret"/>).
/// </summary>
/// <remarks>
/// The superuser's new password is never sent over the network: the operator puts it on the first line of every node's
/// password file first (the old one on the second line), and this checks by fingerprint that every node the state names
/// holds it before anything changes. The replication password is derived from the superuser's and a version, so its
/// rotation needs no file at all.
/// </remarks>
public sealed class PasswordRotation(ClusterAccess access)
{
    /// <summary>How long the change may take to reach every named peer before the answer says which have not replayed it.</summary>
    public static readonly TimeSpan ReplayWait = TimeSpan.FromSeconds(15);

    /// <summary>The roles an operator can rotate.</summary>
    public static readonly IReadOnlyList<string> Roles = ["superuser", "replication"];

    /// <summary>Rotates <paramref name="role"/>'s password; the result says what happened, or why nothing did.</summary>
    public async Task<(int Status, CommandResultDto Result)> RotateAsync(string? role, CancellationToken ct)
    {
        if (role is not ("superuser" or "replication"))
            return Refuse(412, "InvalidRequest", $"Give the role whose password to rotate: {{\"role\": \"superuser\"}} or {{\"role\": \"replication\"}} (got '{role}').");
        var credentials = access.Credentials;
        var secret = credentials.Secret!;
        var state = (await access.CoordinatorStateAsync(TimeSpan.FromSeconds(3), ct).ConfigureAwait(false))?.State
                    ?? throw new ClusterUnavailableException("The coordinator did not answer, so this node cannot tell which peer is primary; try again shortly.");

        string? newPassword = null;
        if (role == "superuser")
        {
            if (access.Options.PgPasswordFile is null)
                return Refuse(412, "InvalidRequest",
                    "This node takes the superuser's password from --pg-password or APPLIANCE_PG_PASSWORD, which cannot change while it runs. " +
                    "Start every node with --pg-password-file to rotate it.");
            newPassword = secret.Newest;
            if (newPassword == secret.Password)
                return Refuse(412, "InvalidRequest",
                    $"The first line of {access.Options.PgPasswordFile} is the password in use. Put the new password on the first line of the " +
                    "password file on every node, keep the old one on the second line until the rotation is done, and ask again.");
            if (await MissingOnAsync(state, ClusterSecret.Fingerprint(newPassword), ct).ConfigureAwait(false) is { Count: > 0 } missing)
                return Refuse(409, "NewPasswordNotEverywhere",
                    $"Nothing changed: {string.Join("; ", missing)}. Every node must hold the new password on the first line of its password file " +
                    "(the old one on the second) before the rotation, or it could no longer reach PostgreSQL.");
        }

        await using var primary = await OpenPrimaryAsync(state, credentials, ct).ConfigureAwait(false);
        if (primary.Error is { } refusal) return refusal;
        string detail;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(15));
            if (newPassword is not null)
            {
                await ApplianceRoles.RotateSuperuserAsync(primary.Connection!, credentials, newPassword, cts.Token).ConfigureAwait(false);
                detail = $"The superuser's password (and the replication and monitoring roles' passwords derived from it) changed on primary {state.Primary.Id}.";
            }
            else
            {
                var version = await ApplianceRoles.RotateReplicationAsync(primary.Connection!, credentials, cts.Token).ConfigureAwait(false);
                detail = $"The replication role's password is now version {version} on primary {state.Primary.Id}.";
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return (409, new CommandResultDto(false, "RotationNotConfirmed",
                $"The rotation on primary {state.Primary.Id} did not complete ({e.Message}). If the commit was under way it may still have " +
                "been applied; look at 'appliance status' and ask again (a repeated rotation is harmless).", StateDto.From(state)));
        }

        var lagging = await WaitForReplayAsync(state, credentials, ct).ConfigureAwait(false);
        detail += lagging.Count == 0
            ? $" Every peer ({string.Join(", ", state.NamedPeers.Select(p => p.Id))}) has it."
            : $" Not yet replayed by {string.Join(", ", lagging)} after {ReplayWait.TotalSeconds:0} s: they follow once they catch up.";
        if (newPassword is not null)
            detail += " The old password can now be removed from the second line of every node's password file.";
        return (200, new CommandResultDto(true, role == "superuser" ? "SuperuserPasswordRotated" : "ReplicationPasswordRotated", detail, StateDto.From(state)));
    }

    private async Task<List<string>> MissingOnAsync(ClusterState state, string fingerprint, CancellationToken ct)
    {
        var coordinator = await access.SecretFingerprintsAsync(TimeSpan.FromSeconds(3), ct).ConfigureAwait(false);
        var missing = new List<string>();
        // Peers in maintenance are out of the chain but come back to it: they need the new password as much.
        foreach (var id in state.NamedPeers.Select(p => p.Id).Concat(state.Maintenance).Distinct())
        {
            if (!coordinator.ByPeer.TryGetValue(id, out var held))
                missing.Add($"{id} has not told the coordinator which passwords it holds (is its node running this version?)");
            else if (!held.Contains(fingerprint))
                missing.Add($"{id} does not hold the new password");
        }
        return missing;
    }

    private sealed record PrimaryConnection(NpgsqlConnection? Connection, (int, CommandResultDto)? Error) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Connection?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    private static async Task<PrimaryConnection> OpenPrimaryAsync(ClusterState state, ClusterCredentials credentials, CancellationToken ct)
    {
        NpgsqlConnection connection;
        try { connection = await InstanceProbe.Of(state.Primary, credentials, TimeSpan.FromSeconds(5)).OpenAsync(ct).ConfigureAwait(false); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return new PrimaryConnection(null, Refuse(409, "PrimaryUnreachable", $"Nothing changed: primary {state.Primary.Id} cannot be reached ({e.Message})."));
        }
        await using var check = new NpgsqlCommand("SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off'", connection);
        if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is true) return new PrimaryConnection(connection, null);
        await connection.DisposeAsync().ConfigureAwait(false);
        return new PrimaryConnection(null, Refuse(409, "PrimaryNotWritable",
            $"Nothing changed: primary {state.Primary.Id} does not take writes now (its sync may not have caught up); ask again once it does."));
    }

    /// <summary>The peers whose PostgreSQL does not accept the new monitoring password, or show the new replication version,
    /// within <see cref="ReplayWait"/>: the change has not reached their copy of the catalog.</summary>
    private static async Task<List<string>> WaitForReplayAsync(ClusterState state, ClusterCredentials credentials, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ReplayWait;
        var pending = state.NamedPeers.Where(p => !state.IsDeposed(p.Id)).ToList();
        while (true)
        {
            var results = await Task.WhenAll(pending.Select(async p => (Peer: p, Done: await HasReplayedAsync(p, credentials, ct).ConfigureAwait(false))))
                .ConfigureAwait(false);
            pending = [.. results.Where(r => !r.Done).Select(r => r.Peer)];
            if (pending.Count == 0 || DateTime.UtcNow > deadline) return [.. pending.Select(p => p.Id)];
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
        }
    }

    private static async Task<bool> HasReplayedAsync(PeerId peer, ClusterCredentials credentials, CancellationToken ct)
    {
        try
        {
            // The monitoring role's password is derived from the superuser's: accepted means the new one arrived there.
            var expected = credentials.Secret!.ReplicationVersion;
            var probe = new NpgsqlConnectionStringBuilder
            {
                Host = peer.Host, Port = peer.Port, Username = ClusterCredentials.MonitorUser, Password = credentials.MonitorPassword,
                Database = "postgres", Pooling = false, Timeout = 3,
            };
            await using var connection = new NpgsqlConnection(PeerConnectionDefaults.Apply(probe, credentials.Tls).ConnectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var read = new NpgsqlCommand(ApplianceRoles.ReplicationVersionSql, connection);
            read.Parameters.AddWithValue("replication", credentials.ReplicationUser);
            return ApplianceRoles.ReplicationVersionOf(await read.ExecuteScalarAsync(ct).ConfigureAwait(false) as string) >= expected;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    private static (int, CommandResultDto) Refuse(int status, string reason, string detail) =>
        (status, new CommandResultDto(false, reason, detail, null));
}
