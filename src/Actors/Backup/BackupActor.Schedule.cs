using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Backup;

namespace Appliance.Actors.Backup;

/// <summary>
/// The backup actor's schedule and reports. While this node takes the backups (its peer is primary and the stanza is
/// ready), it reads the repository every <see cref="BackupSchedule.CheckInterval"/> (a minute without a schedule),
/// asks <see cref="BackupDue"/> whether a backup is due and starts it through the same path as one asked for by hand,
/// so one runs at a time whoever asked. After every read and every start or end of a backup it publishes a
/// <see cref="BackupProtocol.Report"/>, which every node's backup actor keeps for its API.
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
        var decision = BackupDue.Decide(_schedule, read.Backups!, _run is { State: "running" }, _failure, DateTimeOffset.UtcNow);
        if (decision.Type is not { } type) return;
        _log.Info("Backups: the schedule ({0}) starts a {1} backup: {2}", _schedule, type.ToString().ToLowerInvariant(), decision.Reason);
        Begin(type, fromStandby: false);
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
        var running = _run is { State: "running" } run ? run.Percent ?? 0 : (double?)null;
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
