using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Backup;

/// <summary>
/// Supervises this node's <c>pgbackrest server</c> (<see cref="PgBackRestServer"/>), through which a backup running on a
/// standby's node reaches this node's PostgreSQL while it is the primary. Every node with a backup repository and TLS
/// runs one, whatever its role, because the primary changes without notice. The clients it admits are the nodes the
/// newest cluster state names (their certificates' common names must be their names): when that set changes the server
/// is started again with the new list. A server that exits is started again after a growing delay (1 s, doubling, at
/// most <see cref="MaxBackoff"/>), logged each time. It answers <see cref="BackupProtocol.GetServer"/> for its peer.
/// The process runs as a task piped back, so the actor never blocks.
/// </summary>
public sealed class PgBackRestServerActor : ReceiveActor, IWithTimers
{
    /// <summary>The first delay before a server that exited is started again.</summary>
    public static readonly TimeSpan MinBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between restarts.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>A server that ran this long before it exited is restarted after <see cref="MinBackoff"/> again.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);

    private readonly string _self;
    private readonly PgBackRest _pgBackRest;
    private readonly PgBackRestServer _server;
    private readonly string _dataDirectory;
    private readonly int _pgPort;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _stateVersion = -1;
    private IReadOnlyList<string> _clients = [];
    private CancellationTokenSource? _running;
    /// <summary>How long a server left behind by a killed run may take to stop on SIGTERM before it is killed.</summary>
    private static readonly TimeSpan LeftoverStopTimeout = TimeSpan.FromSeconds(5);

    private Task _serving = Task.CompletedTask;
    private int _run;
    private DateTime _startedAt;
    private TimeSpan _backoff = MinBackoff;
    private string? _problem = "no cluster state received yet";
    private string? _dialName;

    private sealed record Exited(int Run, string Error);

    private sealed record Started(int Run, string? Error, string? DialName);

    private sealed record Output(int Run, string Line);

    /// <summary>Servers an earlier run of this node left behind were stopped; logged whichever run found them.</summary>
    private sealed record LeftoverStopped(IReadOnlyList<int> Pids);

    private sealed record Restart
    {
        public static readonly Restart Instance = new();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the actor for peer <paramref name="self"/>.</summary>
    public PgBackRestServerActor(string self, PgBackRest pgBackRest, PgBackRestServer server, string dataDirectory, int pgPort, IActorRef mediator)
    {
        _self = self;
        _pgBackRest = pgBackRest;
        _server = server;
        _dataDirectory = dataDirectory;
        _pgPort = pgPort;
        mediator.Tell(new Subscribe(ClusterStateProtocol.Topic, Self));
        mediator.Tell(new Subscribe(BackupProtocol.Topic, Self));
        Receive<SubscribeAck>(_ => { });
        Receive<ClusterStateProtocol.StateChanged>(OnState);
        Receive<Restart>(_ => Start());
        Receive<Started>(OnStarted);
        Receive<Exited>(OnExited);
        Receive<Output>(o => { if (o.Run == _run) _log.Info("pgbackrest server: {0}", o.Line); });
        Receive<LeftoverStopped>(l => _log.Warning("pgbackrest server: stopped the server an earlier run of this node left behind (pid {0})", string.Join(", ", l.Pids)));
        Receive<BackupProtocol.GetServer>(g => g.PeerId == _self,
            _ => Sender.Tell(new BackupProtocol.Server(_self, _problem is null ? _dialName : null, _dataDirectory, _problem is null ? _server.Port : null, _problem)));
        Receive<BackupProtocol.GetServer>(_ => { });   // for another node
        ReceiveAny(_ => { });                           // the backup topic's other messages are the backup actor's
    }

    /// <summary>Props.</summary>
    /// <param name="self">This node's peer id.</param>
    /// <param name="pgBackRest">pgBackRest for this node's instance.</param>
    /// <param name="server">Where the server listens and with which certificate (its clients are filled in from the state).</param>
    /// <param name="dataDirectory">The instance's data directory.</param>
    /// <param name="pgPort">The instance's PostgreSQL port.</param>
    /// <param name="mediator">Distributed pub-sub.</param>
    public static Props Props(string self, PgBackRest pgBackRest, PgBackRestServer server, string dataDirectory, int pgPort, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new PgBackRestServerActor(self, pgBackRest, server, dataDirectory, pgPort, mediator));

    /// <inheritdoc />
    protected override void PostStop() => _running?.Cancel();

    /// <summary>The names the server admits for <paramref name="state"/>: every node the state names, and this one.</summary>
    public static IReadOnlyList<string> Clients(ClusterState state, string self) =>
    [
        .. new[] { state.Primary }.Concat(state.Sync is { } s ? [s] : []).Concat(state.Async).Concat(state.Deposed)
            .Select(p => p.Id).Append(self).Distinct().Order(StringComparer.Ordinal),
    ];

    private static IReadOnlyList<System.Net.IPAddress> Resolve(string name)
    {
        try { return System.Net.Dns.GetHostAddresses(name); }
        catch (System.Net.Sockets.SocketException) { return []; }
    }

    private void OnState(ClusterStateProtocol.StateChanged changed)
    {
        if (changed.Version <= _stateVersion) return;
        _stateVersion = changed.Version;
        var clients = Clients(changed.State, _self);
        if (clients.SequenceEqual(_clients)) return;
        _log.Info("pgbackrest server: clients allowed in are now [{0}]; (re)starting it on {1}:{2}", string.Join(", ", clients), _server.Address, _server.Port);
        _clients = clients;
        _backoff = MinBackoff;
        Timers.Cancel(nameof(Restart));
        Start();
    }

    private void Start()
    {
        _running?.Cancel();
        var run = ++_run;
        var cancel = _running = new CancellationTokenSource();
        var self = Self;
        var server = _server with { Clients = _clients };
        var settings = _pgBackRest.Settings;
        var (dataDirectory, pgPort) = (_dataDirectory, _pgPort);
        _problem = "the server is starting";
        _startedAt = DateTime.UtcNow;
        var previous = _serving;
        _serving = Task.Run(async () =>
        {
            // The run it replaces must have let go of the port first.
            await previous.ConfigureAwait(false);
            string config;
            string? dialName;
            try
            {
                // So must a server that a killed run of this node left behind, holding the port (LeftoverPgBackRestServer:
                // only processes older than this one, so never a backup session this node's own server forked). Every
                // run looks, not only the first, which may be replaced (new clients) before its look ends. The stop is
                // not cancelled with the run: it is bounded, and half of it would leave the port held.
                if (await LeftoverPgBackRestServer.StopAsync(PgBackRestServer.ConfigFile(settings), LeftoverStopTimeout, CancellationToken.None).ConfigureAwait(false)
                        is { Count: > 0 } stopped)
                    self.Tell(new LeftoverStopped(stopped));
                config = await server.WriteAsync(settings, dataDirectory, pgPort, cancel.Token).ConfigureAwait(false);
                dialName = PgBackRestServer.DialName(server.Address, PgBackRestServer.CertificateNames(server.Tls.CertFile), Resolve);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or OperationCanceledException
                                          or System.Security.Cryptography.CryptographicException)
            {
                self.Tell(new Started(run, e.Message, null));
                return;
            }
            self.Tell(new Started(run, null, dialName));
            try { await _pgBackRest.ServeAsync(config, line => self.Tell(new Output(run, line)), cancel.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }   // stopped on purpose: a newer run or the actor's stop
            catch (Exception e) when (e is PgBackRestException or PostgresDriverException or IOException or InvalidOperationException)
            {
                self.Tell(new Exited(run, e.Message));
            }
        });
    }

    private void OnStarted(Started started)
    {
        if (started.Run != _run) return;
        if (started.Error is null)
        {
            _dialName = started.DialName;
            _problem = started.DialName is null
                ? $"the certificate of {_self} names no DNS name that resolves to its --host {_server.Address}, and pgBackRest 2.45 checks the name it dials against the certificate's DNS names and common name only; add one to the certificate (or use a DNS name as --host), or back up with --from primary"
                : null;
            if (_problem is not null) _log.Warning("pgbackrest server: {0}", _problem);
            return;
        }
        OnExited(new Exited(started.Run, "its config could not be written: " + started.Error));
    }

    private void OnExited(Exited exited)
    {
        if (exited.Run != _run) return;
        if (DateTime.UtcNow - _startedAt >= StableAfter) _backoff = MinBackoff;
        _problem = $"the pgbackrest server of {_self} is not running ({exited.Error}); it is started again in {_backoff.TotalSeconds:0} s";
        _log.Warning("pgbackrest server exited, starting it again in {0} s: {1}", _backoff.TotalSeconds, exited.Error);
        Timers.StartSingleTimer(nameof(Restart), Restart.Instance, _backoff);
        _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
    }
}
