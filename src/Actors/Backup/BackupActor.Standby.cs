using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Backup;

/// <summary>
/// Backups from this node's standby (pgBackRest's <c>--backup-standby</c>): the files are read here, and the primary,
/// which only starts and stops the backup, is reached through its pgBackRest server. Its data directory and server
/// port are asked of its node (<see cref="BackupProtocol.GetServer"/>) when the backup starts, since the cluster
/// state carries only its address and PostgreSQL port.
/// </summary>
public sealed partial class BackupActor
{
    /// <summary>How long the primary's node may take to say where its pgBackRest server listens.</summary>
    public static readonly TimeSpan ServerAskTimeout = TimeSpan.FromSeconds(10);

    private sealed record PrimaryServerFound(string Run, BackupType Type, PeerId Primary, BackupProtocol.Server Server);

    /// <summary>Why this node cannot back up from its standby now; null if it can.</summary>
    private string? StandbyRefusal()
    {
        if (_state is not { } state) return $"{_self} has no cluster state yet; ask again";
        var standby = state.Sync?.Id == _self || state.Async.Any(p => p.Id == _self);
        if (!standby) return $"{_self} is neither the primary nor a standby in the newest state it holds; ask again";
        if (state.InMaintenance(_self)) return $"{_self} is in maintenance";
        if (!_pgBackRest.HasTls)
            return $"{_self} has no TLS (--tls-cert, --tls-key, --tls-ca): a standby reaches the primary only through pgBackRest's TLS server; back up with --from primary";
        return null;
    }

    private void AskPrimaryServer(string run, BackupType type)
    {
        var primary = _state!.Primary;
        _mediator.Ask<BackupProtocol.Server>(new Publish(BackupProtocol.Topic, new BackupProtocol.GetServer(primary.Id)), ServerAskTimeout)
            .PipeTo(Self,
                success: server => new PrimaryServerFound(run, type, primary, server),
                failure: e => new Finished(run,
                    $"the primary {primary.Id} did not say where its pgBackRest server listens within {ServerAskTimeout.TotalSeconds:0} s ({e.GetType().Name}); is its node started with --backup-repo and TLS?"));
    }

    private void OnPrimaryServerFound(PrimaryServerFound found)
    {
        if (_run is not { State: "running" } run || run.Run != found.Run) return;
        if (found.Server is not { Port: { } port, Host: { } host })
        {
            OnFinished(new Finished(found.Run, $"the primary {found.Primary.Id} cannot serve a backup from a standby: {found.Server.Problem}"));
            return;
        }
        if (_state?.Primary.Id != found.Primary.Id)
        {
            OnFinished(new Finished(found.Run, $"the primary changed from {found.Primary.Id} to {_state?.Primary.Id} while the backup started; ask again"));
            return;
        }
        _run = run with { Detail = $"backing up from this standby, with the primary {found.Primary.Id} through its pgBackRest server on {host}:{port}" };
        RunBackup(found.Run, found.Type, new PrimaryEndpoint(host, found.Primary.Port, found.Server.DataDirectory, port));
    }
}
