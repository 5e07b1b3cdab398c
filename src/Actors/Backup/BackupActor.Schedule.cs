using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Backup;

namespace Appliance.Actors.Backup;

/// <summary>
/// The backup actor's schedule and reports. While this node takes the backups (its peer is primary and the stanza is
/// ready), it reads the repository every <see cref="BackupSchedule.CheckInterval"/> (a minute without a schedule),
/// asks <see cref="BackupDue"/> whether a backup is due and starts it where <see cref="BackupSource"/> says, as for one
/// asked for by hand: on a standby's node through <see cref="BackupProtocol.Start"/> (followed by
/// <see cref="BackupProtocol.GetProgress"/> until it ends, so that its failure is reported like a local one), or here.
/// One scheduled backup runs at a time, and none while this node runs one. After every read and every start or end of
/// a backup it publishes a <see cref="BackupProtocol.Report"/>, which every node's backup actor keeps for its API.
/// </summary>
public sealed partial class BackupActor
{
    /// <summary>How often the repository is read for the reports when there is no schedule.</summary>
    public static readonly TimeSpan UnscheduledCheckInterval = TimeSpan.FromMinutes(1);

    private readonly BackupSchedule? _schedule;
    private BackupFailure? _failure;
    private BackupEntry? _newest;
    private bool _reading;
    private BackupProtocol.Report? _latest;
    private RemoteRun? _remote;

    /// <summary>How often a scheduled backup on a standby's node is asked how it goes.</summary>
    public static readonly TimeSpan RemoteFollowInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a standby's node may take to answer <see cref="BackupProtocol.Start"/> or
    /// <see cref="BackupProtocol.GetProgress"/>: both answer from memory, so only a node that is down or cut off misses it.
    /// </summary>
    public static readonly TimeSpan RemoteAskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How many times in a row a standby's node may leave that question unanswered before its backup counts as failed.</summary>
    public const int RemoteMissesAllowed = 3;

    /// <summary>A scheduled backup on another node: its peer, its run (null until that node said it started), type and progress.</summary>
    private sealed record RemoteRun(string Peer, string? Run, BackupType Type, double? Percent, int Misses = 0);

    private sealed record RemoteStarted(string Peer, BackupType Type, BackupProtocol.Progress? Progress, string? Error);

    private sealed record RemoteProgress(string Run, BackupProtocol.Progress? Progress, string? Error);

    private sealed record FollowRemote
    {
        public static readonly FollowRemote Instance = new();
    }

    private sealed record Check
    {
        public static readonly Check Instance = new();
    }

    private sealed record CatalogRead(long Generation, IReadOnlyList<BackupEntry>? Backups, string? Error);

    /// <inheritdoc />
    protected override void PreStart() =>
        Timers.StartPeriodicTimer(nameof(Check), Check.Instance, _schedule?.CheckInterval ?? UnscheduledCheckInterval);

    private void ReceiveSchedule()
    {
        Receive<Check>(_ => CheckSchedule());
        Receive<CatalogRead>(OnCatalogRead);
        Receive<BackupProtocol.Report>(OnReport);
        Receive<BackupProtocol.GetReport>(_ => Sender.Tell(new BackupProtocol.Reported(_latest)));
        Receive<RemoteStarted>(OnRemoteStarted);
        Receive<FollowRemote>(_ => AskRemoteProgress());
        Receive<RemoteProgress>(OnRemoteProgress);
    }

    /// <summary>This node takes the backups now: its peer is primary and the stanza exists for this generation.</summary>
    private bool TakesBackups => IsPrimary && _stanzaGeneration == _state!.Generation;

    private void CheckSchedule()
    {
        if (!TakesBackups || _reading) return;
        _reading = true;
        var generation = _state!.Generation;
        _pgBackRest.InfoJsonAsync(CancellationToken.None).PipeTo(Self,
            success: json => new CatalogRead(generation, BackupCatalog.Parse(json).Backups, null),
            failure: e => new CatalogRead(generation, null, e.Message));
    }

    private void OnCatalogRead(CatalogRead read)
    {
        _reading = false;
        if (read.Error is not null)
        {
            _log.Warning("Backups: reading the repository failed; the schedule waits for the next check: {0}", read.Error);
            return;
        }
        _newest = read.Backups!.MaxBy(b => b.Stop);
        PublishReport();
        if (_schedule is null || !TakesBackups || _state!.Generation != read.Generation) return;
        var decision = BackupDue.Decide(_schedule, read.Backups!, _run is { State: "running" } || _remote is not null, _failure, DateTimeOffset.UtcNow);
        if (decision.Type is not { } type) return;
        var placement = BackupSource.Choose(_state, BackupFrom.Auto, _pgBackRest.HasTls ? null : BackupSource.NoTls);
        _log.Info("Backups: the schedule ({0}) starts a {1} backup, {2}: {3}", _schedule, type.ToString().ToLowerInvariant(), placement.Reason, decision.Reason);
        if (placement.Runner is { } runner && runner.Id != _self) StartRemote(runner.Id, type);
        else Begin(type, fromStandby: false);
    }

    /// <summary>Asks the node of <paramref name="peer"/> to run the scheduled backup, as the API does for one asked by hand.</summary>
    private void StartRemote(string peer, BackupType type)
    {
        _remote = new RemoteRun(peer, null, type, null);
        _mediator.Ask<BackupProtocol.Progress>(new Publish(BackupProtocol.Topic, new BackupProtocol.Start(peer, type.ToString().ToLowerInvariant())), RemoteAskTimeout)
            .PipeTo(Self,
                success: p => new RemoteStarted(peer, type, p, null),
                failure: e => new RemoteStarted(peer, type, null, $"its node did not answer within {RemoteAskTimeout.TotalSeconds:0} s ({e.GetType().Name})"));
    }

    private void OnRemoteStarted(RemoteStarted started)
    {
        if (_remote is not { Run: null } pending || pending.Peer != started.Peer) return;
        if (started.Progress is { State: "running", Run: { } run } progress)
        {
            _remote = pending with { Run = run, Percent = progress.Percent };
            _log.Info("Backups: the scheduled {0} backup runs on {1} (run {2})", started.Type.ToString().ToLowerInvariant(), started.Peer, run);
            Timers.StartPeriodicTimer(nameof(FollowRemote), FollowRemote.Instance, RemoteFollowInterval);
            PublishReport();
            return;
        }
        _remote = null;
        EndRemote(started.Type, $"it could not start on the standby {started.Peer}: {started.Progress?.Detail ?? started.Error}");
    }

    private void AskRemoteProgress()
    {
        if (_remote is not { Run: { } run } remote) return;
        _mediator.Ask<BackupProtocol.Progress>(new Publish(BackupProtocol.Topic, new BackupProtocol.GetProgress(remote.Peer)), RemoteAskTimeout)
            .PipeTo(Self,
                success: p => new RemoteProgress(run, p, null),
                failure: e => new RemoteProgress(run, null, e.GetType().Name));
    }

    private void OnRemoteProgress(RemoteProgress answer)
    {
        if (_remote is not { } remote || remote.Run != answer.Run) return;
        switch (answer.Progress)
        {
            case null when remote.Misses + 1 < RemoteMissesAllowed:
                _remote = remote with { Misses = remote.Misses + 1 };
                return;
            case null:
                FinishRemote(remote, $"the node of {remote.Peer} stopped answering while its backup ran ({answer.Error}); it may have stopped or lost the cluster");
                return;
            case { Run: var run } when run != remote.Run:
                FinishRemote(remote, $"the node of {remote.Peer} no longer knows its backup {remote.Run} (it was started again?)");
                return;
            case { State: "running" } running:
                _remote = remote with { Percent = running.Percent, Misses = 0 };
                return;
            case { State: "succeeded" }:
                FinishRemote(remote, null);
                return;
            case var ended:
                FinishRemote(remote, $"on the standby {remote.Peer}: {ended.Detail}");
                return;
        }
    }

    private void FinishRemote(RemoteRun remote, string? error)
    {
        _remote = null;
        Timers.Cancel(nameof(FollowRemote));
        if (error is null) _log.Info("Backups: the scheduled backup {0} on {1} is complete", remote.Run, remote.Peer);
        EndRemote(remote.Type, error);
    }

    private void EndRemote(BackupType type, string? error)
    {
        if (error is not null) _log.Warning("Backups: the scheduled {0} backup failed: {1}", type.ToString().ToLowerInvariant(), error);
        NoteOutcome(type, error);
    }

    /// <summary>A backup ended: keep its failure until one succeeds, and read the repository again for the new backup.</summary>
    private void NoteOutcome(BackupType type, string? error)
    {
        _failure = error is null ? null : new BackupFailure(DateTimeOffset.UtcNow, type.ToString().ToLowerInvariant(), error);
        PublishReport();
        CheckSchedule();
    }

    private void PublishReport()
    {
        if (!IsPrimary) return;
        var running = _run is { State: "running" } run ? run.Percent ?? 0 : _remote is { } remote ? remote.Percent ?? 0 : (double?)null;
        var report = new BackupProtocol.Report(_self, new BackupStatus(DateTimeOffset.UtcNow, _schedule?.ToString(), _newest, _failure, running));
        _latest = report;
        _mediator.Tell(new Publish(BackupProtocol.Topic, report));
    }

    private void OnReport(BackupProtocol.Report report)
    {
        // The newest wins: after a failover the former primary's last report is older than the new primary's first.
        if (_latest is null || report.Status.At >= _latest.Status.At) _latest = report;
    }
}
