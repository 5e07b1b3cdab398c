using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Backup;

/// <summary>
/// One per node with a backup repository. While the newest state names this node's peer primary, it makes sure the
/// stanza exists (<c>stanza-create</c>, once per generation, retried until it succeeds: WAL waits in pg_wal until
/// then), then pushes the segments of earlier timelines it holds that the archive may lack (<see cref="EarlierTimelines"/>);
/// and it runs the backups asked of it (<see cref="BackupProtocol"/>), one at a time: on the primary, or from this node's
/// standby with the primary reached through its pgBackRest server (BackupActor.Standby.cs).
/// pgBackRest runs as tasks piped back, so the actor never blocks. The schedule and the reports of the backups' state
/// are in <c>BackupActor.Schedule.cs</c>.
/// </summary>
public sealed partial class BackupActor : ReceiveActor, IWithTimers
{
    /// <summary>How long after a failed stanza-create it is tried again.</summary>
    public static readonly TimeSpan StanzaRetry = TimeSpan.FromSeconds(3);

    /// <summary>The delay before the earlier timelines' files are pushed again after a push failed.</summary>
    public static readonly TimeSpan BackfillRetry = TimeSpan.FromSeconds(30);

    /// <summary>How long stanza-create may fail in a generation before each failure is a warning.</summary>
    public static readonly TimeSpan QuietStanzaFailures = TimeSpan.FromSeconds(30);

    private readonly string _self;
    private readonly PgBackRest _pgBackRest;
    private readonly string _walDirectory;
    private readonly IActorRef _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ClusterState? _state;
    private long? _stanzaGeneration;
    private (long Generation, DateTime Since)? _stanzaFailing;
    private bool _stanzaRunning;
    private BackupProtocol.Progress? _run;
    private CancellationTokenSource? _cancel;
    private string? _label;
    private BackupType _runType;

    private sealed record StanzaDone(long Generation, string? Error);

    private sealed record Backfilled(long Generation, int Pushed, int Held, string? Error, int Histories = 0, string? HistoryRefusals = null);

    private sealed record Line(string Run, string Text);

    private sealed record Finished(string Run, string? Error);

    private sealed record RetryBackfill(long Generation);

    private sealed record RetryStanza
    {
        public static readonly RetryStanza Instance = new();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the actor for peer <paramref name="self"/>, taking backups on <paramref name="schedule"/> (null: by hand only).</summary>
    public BackupActor(string self, PgBackRest pgBackRest, string walDirectory, IActorRef mediator, BackupSchedule? schedule)
    {
        _self = self;
        _pgBackRest = pgBackRest;
        _walDirectory = walDirectory;
        _mediator = mediator;
        _schedule = schedule;
        mediator.Tell(new Subscribe(ClusterStateProtocol.Topic, Self));
        mediator.Tell(new Subscribe(BackupProtocol.Topic, Self));
        Receive<SubscribeAck>(_ => { });
        Receive<ClusterStateProtocol.StateChanged>(OnState);
        Receive<RetryStanza>(_ => EnsureStanza());
        // Only while this node is still the primary of that generation: a later one backfills for itself.
        Receive<RetryBackfill>(r => IsPrimary && _stanzaGeneration == r.Generation && _state!.Generation == r.Generation,
            r => Task.Run(() => BackfillAsync(r.Generation, historiesOnly: true)).PipeTo(Self));
        Receive<RetryBackfill>(_ => { });
        Receive<StanzaDone>(OnStanzaDone);
        Receive<Backfilled>(OnBackfilled);
        Receive<BackupProtocol.Start>(s => s.PeerId == _self, OnStart);
        Receive<BackupProtocol.GetProgress>(g => g.PeerId == _self,
            _ => Sender.Tell(_run ?? new BackupProtocol.Progress(_self, null, "idle", null, "no backup has run on this node since it started")));
        Receive<BackupProtocol.Start>(_ => { });       // for another node
        Receive<BackupProtocol.GetProgress>(_ => { });
        Receive<BackupProtocol.GetServer>(_ => { });   // the pgBackRest server's actor answers
        Receive<PrimaryServerFound>(OnPrimaryServerFound);
        Receive<Line>(OnLine);
        Receive<Finished>(OnFinished);
        ReceiveSchedule();
    }

    /// <summary>Props.</summary>
    /// <param name="self">This node's peer id.</param>
    /// <param name="pgBackRest">pgBackRest for this node's instance.</param>
    /// <param name="walDirectory">The instance's pg_wal.</param>
    /// <param name="mediator">Distributed pub-sub.</param>
    /// <param name="schedule">When to take backups unasked (<c>--backup-schedule</c>); null: only when asked.</param>
    public static Props Props(string self, PgBackRest pgBackRest, string walDirectory, IActorRef mediator, BackupSchedule? schedule = null) =>
        Akka.Actor.Props.Create(() => new BackupActor(self, pgBackRest, walDirectory, mediator, schedule));

    /// <inheritdoc />
    protected override void PostStop() => _cancel?.Cancel();

    private bool IsPrimary => _state is { } s && s.Primary.Id == _self;

    private void OnState(ClusterStateProtocol.StateChanged changed)
    {
        if (_state is { } known && changed.Version <= known.Version) return;
        _state = changed.State;
        EnsureStanza();
    }

    private void EnsureStanza()
    {
        if (!IsPrimary || _stanzaRunning || _stanzaGeneration == _state!.Generation) return;
        _stanzaRunning = true;
        var generation = _state.Generation;
        _pgBackRest.StanzaCreateAsync(CancellationToken.None).PipeTo(Self,
            success: () => new StanzaDone(generation, null),
            failure: e => new StanzaDone(generation, e.Message));
    }

    private void OnStanzaDone(StanzaDone done)
    {
        _stanzaRunning = false;
        if (done.Error is null)
        {
            _stanzaGeneration = done.Generation;
            _log.Info("Backups: stanza {0} is ready in {1} (generation {2}); this primary archives its WAL there",
                _pgBackRest.Settings.Stanza, _pgBackRest.Settings.Repository, done.Generation);
            var generation = done.Generation;
            Task.Run(() => BackfillAsync(generation)).PipeTo(Self);
            CheckSchedule();
            return;
        }
        // A primary still being started or promoted refuses for a few seconds, which is no news; a repository that is
        // not mounted, or a stanza of another database, goes on failing and is.
        if (_stanzaFailing?.Generation != done.Generation) _stanzaFailing = (done.Generation, DateTime.UtcNow);
        const string Failed = "Backups: stanza-create failed, trying again in {0} s: {1}";
        if (DateTime.UtcNow - _stanzaFailing.Value.Since < QuietStanzaFailures) _log.Info(Failed, StanzaRetry.TotalSeconds, done.Error);
        else _log.Warning(Failed, StanzaRetry.TotalSeconds, done.Error);
        Timers.StartSingleTimer(nameof(RetryStanza), RetryStanza.Instance, StanzaRetry);
    }

    /// <summary>
    /// Pushes what the archive lacks of the earlier timelines: the skipped numbers' history files, and (unless
    /// <paramref name="historiesOnly"/>, as on a retry) the segments.
    /// </summary>
    private async Task<Backfilled> BackfillAsync(long generation, bool historiesOnly = false)
    {
        int pushed = 0, held = 0, histories = 0;
        var refusals = new List<string>();
        string? Refusals() => refusals.Count > 0 ? string.Join("; ", refusals) : null;
        try
        {
            // The skipped numbers' history files first, each on its own, and only those the archive lacks: pgBackRest
            // overwrites a history file, and the archive may hold the real one of that number (a primary promoted in
            // that generation that was then lost archived it) or another promotion's placeholder, which serves as well.
            foreach (var history in EarlierTimelines.SkippedHistoryFiles(_walDirectory))
            {
                try
                {
                    if (await _pgBackRest.ArchiveHoldsAsync(Path.GetFileName(history), CancellationToken.None).ConfigureAwait(false)) continue;
                    await _pgBackRest.ArchivePushAsync(history, CancellationToken.None).ConfigureAwait(false);
                    histories++;
                }
                catch (PgBackRestException e)
                {
                    refusals.Add($"{Path.GetFileName(history)}: {e.Message}");
                }
            }
            if (historiesOnly) return new Backfilled(generation, 0, 0, null, histories, Refusals());
            foreach (var segment in EarlierTimelines.Segments(_walDirectory))
            {
                // A checkpoint may remove a segment between the listing and its push; what it removed was archived or recycled.
                if (!File.Exists(segment)) continue;
                if (await _pgBackRest.ArchivePushAsync(segment, CancellationToken.None).ConfigureAwait(false)) pushed++;
                else held++;
            }
            return new Backfilled(generation, pushed, held, null, histories, Refusals());
        }
        catch (Exception e) when (e is PgBackRestException or IOException or UnauthorizedAccessException or FormatException)
        {
            return new Backfilled(generation, pushed, held, e.Message, histories, Refusals());
        }
    }

    private void OnBackfilled(Backfilled done)
    {
        if (done.Histories > 0)
            _log.Info("Backups: archived the history files of {0} skipped timeline number(s) that the archive lacked, so that a server following the archive finds the newest timeline", done.Histories);
        if (done.HistoryRefusals is not null && done.Generation == _stanzaGeneration)
        {
            // Without them a standby cluster that follows this archive stays on an earlier timeline; try until they are in.
            _log.Warning("Backups: could not archive the history files of skipped timeline numbers, trying again in {0} s: {1}",
                BackfillRetry.TotalSeconds, done.HistoryRefusals);
            Timers.StartSingleTimer(nameof(RetryBackfill), new RetryBackfill(done.Generation), BackfillRetry);
        }
        if (done.Error is not null)
            _log.Warning("Backups: pushing the earlier timelines' WAL held here failed after {0} pushed: {1}", done.Pushed, done.Error);
        else if (done.Pushed > 0)
            _log.Warning("Backups: the archive lacked {0} segment(s) of earlier timelines (the former primary had not archived them); pushed them from here", done.Pushed);
        else if (done.Held > 0)
            _log.Info("Backups: the archive already held all {0} segment(s) of earlier timelines found here", done.Held);
    }

    private void OnStart(BackupProtocol.Start start)
    {
        if (!Enum.TryParse<BackupType>(start.Type, ignoreCase: true, out var type) || !Enum.IsDefined(type))
        {
            Sender.Tell(Refused($"unknown backup type '{start.Type}'; use full, diff or incr"));
            return;
        }
        var fromStandby = !IsPrimary;
        if (fromStandby && StandbyRefusal() is { } why)
        {
            Sender.Tell(Refused(why));
            return;
        }
        if (_run is { State: "running" } running)
        {
            Sender.Tell(Refused($"a backup is already running on {_self} ({running.Detail}); wait for it"));
            return;
        }
        Sender.Tell(Begin(type, fromStandby));
    }

    /// <summary>
    /// Starts a backup of <paramref name="type"/> (none runs here): on this primary, or <paramref name="fromStandby"/>
    /// once the primary's node says where its pgBackRest server listens; returns the first progress.
    /// </summary>
    private BackupProtocol.Progress Begin(BackupType type, bool fromStandby)
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        var kind = type.ToString().ToLowerInvariant();
        _run = new BackupProtocol.Progress(_self, run, "running", null, fromStandby
            ? $"{kind} backup starting on {_self}, from this standby; asking the primary {_state!.Primary.Id} where its pgBackRest server listens"
            : $"{kind} backup starting on {_self}");
        _runType = type;
        _log.Info("Backups: {0} backup {1} starting{2}", kind, run, fromStandby ? " from this standby" : "");
        _label = null;
        _cancel = new CancellationTokenSource();
        if (fromStandby) AskPrimaryServer(run, type);
        else RunBackup(run, type, null);
        PublishReport();
        return _run;
    }

    /// <summary>Runs pgBackRest's backup as a task piped back; with <paramref name="primary"/>, from this standby.</summary>
    private void RunBackup(string run, BackupType type, PrimaryEndpoint? primary)
    {
        var self = Self;
        _pgBackRest.BackupAsync(type, primary, line => self.Tell(new Line(run, line)), _cancel!.Token).PipeTo(self,
            success: () => new Finished(run, null),
            failure: e => new Finished(run, e.Message));
    }

    private BackupProtocol.Progress Refused(string why) => new(_self, null, "refused", null, why);

    private void OnLine(Line line)
    {
        if (_run is not { State: "running" } run || run.Run != line.Run) return;
        var text = line.Text.Trim();
        if (text.IndexOf("new backup label = ", StringComparison.Ordinal) is var at and >= 0) _label = text[(at + 19)..].Trim();
        _run = run with { Percent = BackupProgress.Percent(text) ?? run.Percent, Detail = text.Length > 300 ? text[..300] : text };
    }

    private void OnFinished(Finished finished)
    {
        if (_run is not { } run || run.Run != finished.Run) return;
        _run = finished.Error is null
            ? run with { State = "succeeded", Percent = 100, Detail = $"backup {_label} complete" }
            : run with { State = "failed", Detail = finished.Error };
        if (finished.Error is null) _log.Info("Backups: backup {0} complete", run.Run);
        else _log.Warning("Backups: backup {0} failed: {1}", run.Run, finished.Error);
        NoteOutcome(_runType, finished.Error);
    }
}
