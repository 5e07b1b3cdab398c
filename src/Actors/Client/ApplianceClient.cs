using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;
using Npgsql;

namespace Appliance.Actors.Client;

/// <summary>
/// What an application uses to talk to an appliance cluster. Its actor system joins the cluster as a member with the
/// <see cref="ClientRole"/> role (it runs no database and never hosts the coordinator). The client follows the cluster
/// state and keeps two <see cref="NpgsqlDataSource"/>s current: <see cref="Primary"/> always points at the primary and
/// switches when the state names a new one; <see cref="Replicas"/> spreads eventually consistent reads over the sync
/// and the asyncs.
/// </summary>
/// <remarks>
/// A write in flight when the primary fails gets an error, as with any failover: the application retries it on
/// <see cref="Primary"/>, which by then points at the new primary (or will, once the state says so). Writes made
/// through <see cref="WriteAsync{T}"/> also fail, with <see cref="CommitNotConfirmedException"/>, when PostgreSQL kept
/// a commit locally after its wait for the sync was cancelled; a connection opened any other way must be watched with
/// <see cref="SyncCommitWatch"/> for the same guarantee. Old data sources
/// are disposed a little later, so connections already handed out finish their work.
/// </remarks>
public sealed class ApplianceClient : IAsyncDisposable
{
    /// <summary>The cluster role of application members.</summary>
    public const string ClientRole = ClusterTopology.ClientRole;

    /// <summary>The role of database nodes, where the coordinator singleton runs.</summary>
    public const string DatabaseRole = ClusterTopology.DatabaseRole;

    /// <summary>The coordinator singleton's name (its manager runs at <c>/user/coordinator</c>).</summary>
    public const string CoordinatorName = ClusterTopology.CoordinatorName;

    private readonly Func<PeerId, NpgsqlDataSource> _primaryFactory;
    private readonly Func<IReadOnlyList<PeerId>, NpgsqlDataSource?> _replicaFactory;
    private readonly IActorRef _subscriber;
    private readonly object _gate = new();
    private readonly List<(Func<ClusterState, bool> Accept, TaskCompletionSource<ClusterState> Done)> _conditions = [];
    private NpgsqlDataSource? _primary;
    private NpgsqlDataSource? _replicas;

    private ApplianceClient(ActorSystem system, string connectionTemplate, string? caFile)
    {
        var template = new NpgsqlConnectionStringBuilder(connectionTemplate);
        if (caFile is not null) PeerConnectionDefaults.VerifyAgainst(template, caFile);
        _primaryFactory = primary => Build(template, [primary]);
        _replicaFactory = replicas => replicas.Count == 0 ? null : Build(template, replicas, loadBalance: true);
        var coordinator = system.ActorOf(ClusterSingletonProxy.Props(ClusterTopology.CoordinatorManagerPath,
            ClusterSingletonProxySettings.Create(system).WithRole(DatabaseRole).WithSingletonName(CoordinatorName)),
            $"appliance-coordinator-proxy-{Guid.NewGuid():N}");
        _subscriber = system.ActorOf(ClusterStateSubscriber.Props(coordinator, DistributedPubSub.Get(system).Mediator, OnState));
    }

    /// <summary>
    /// Starts following the cluster that <paramref name="system"/> (a member with the <see cref="ClientRole"/> role)
    /// belongs to.
    /// </summary>
    /// <param name="system">The application's actor system, clustered with the appliance nodes.</param>
    /// <param name="connectionTemplate">
    /// Everything of the connection string but the host and port (user, password, database, timeouts), such as
    /// <c>Username=postgres;Password=…;Database=postgres</c>.
    /// </param>
    /// <param name="caFile">
    /// The cluster's CA (PEM, the nodes' <c>--tls-ca</c>): connections then require TLS and a server certificate it
    /// signed (<c>SslMode=VerifyCA</c>). Null leaves TLS to the template.
    /// </param>
    public static ApplianceClient Start(ActorSystem system, string connectionTemplate, string? caFile = null) =>
        new(system, connectionTemplate, caFile);

    /// <summary>The newest cluster state seen, or null before the first.</summary>
    public ClusterState? State { get; private set; }

    /// <summary>Raised with every newer cluster state (on an actor thread: do not block in it).</summary>
    public event Action<ClusterState>? StateChanged;

    /// <summary>A data source for the current primary; null until the first state arrives.</summary>
    public NpgsqlDataSource? Primary { get { lock (_gate) return _primary; } }

    /// <summary>A data source balancing reads over the sync and asyncs; null while there are none.</summary>
    public NpgsqlDataSource? Replicas { get { lock (_gate) return _replicas; } }

    /// <summary>Waits until a state satisfies <paramref name="accept"/> and returns it.</summary>
    public Task<ClusterState> WaitForStateAsync(Func<ClusterState, bool> accept, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<ClusterState>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (State is { } now && accept(now)) return Task.FromResult(now);
            _conditions.Add((accept, done));
        }
        ct.Register(() => done.TrySetCanceled(ct));
        return done.Task;
    }

    /// <summary>Opens a connection to the current primary.</summary>
    /// <exception cref="InvalidOperationException">No cluster state has arrived yet.</exception>
    public ValueTask<NpgsqlConnection> OpenPrimaryConnectionAsync(CancellationToken ct = default) =>
        (Primary ?? throw new InvalidOperationException("No cluster state yet: the client has not heard from the coordinator."))
            .OpenConnectionAsync(ct);

    /// <summary>
    /// Runs <paramref name="work"/> on a new connection to the current primary and returns its result, but throws
    /// <see cref="CommitNotConfirmedException"/> if a commit in it was kept on the primary alone because its wait for
    /// the sync was cancelled (see <see cref="SyncCommitWatch"/>). Writes that must survive a failover go through here.
    /// </summary>
    /// <exception cref="CommitNotConfirmedException">A commit in the work was not confirmed by the sync.</exception>
    /// <exception cref="InvalidOperationException">No cluster state has arrived yet.</exception>
    // RS0026 (two overloads with an optional parameter): the application API already has this shape, and the generic
    // and non-generic work types never make a call ambiguous.
#pragma warning disable RS0026
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct = default)
    {
        await using var connection = await OpenPrimaryConnectionAsync(ct);
        return await SyncCommitWatch.RunAsync(connection, c => work(c, ct));
    }

    /// <inheritdoc cref="WriteAsync{T}"/>
    public Task WriteAsync(Func<NpgsqlConnection, CancellationToken, Task> work, CancellationToken ct = default) =>
        WriteAsync<bool>(async (c, token) => { await work(c, token); return true; }, ct);
#pragma warning restore RS0026

    private void OnState(ClusterState state)
    {
        List<TaskCompletionSource<ClusterState>> satisfied = [];
        NpgsqlDataSource? retiredPrimary = null, retiredReplicas = null;
        lock (_gate)
        {
            var previous = State;
            State = state;
            if (previous is null || !previous.Primary.Equals(state.Primary))
            {
                retiredPrimary = _primary;
                _primary = _primaryFactory(state.Primary);
            }
            var replicas = new[] { state.Sync }.Concat(state.Async).OfType<PeerId>().ToList();
            var previousReplicas = previous is null ? [] : new[] { previous.Sync }.Concat(previous.Async).OfType<PeerId>().ToList();
            if (previous is null || !replicas.SequenceEqual(previousReplicas))
            {
                retiredReplicas = _replicas;
                _replicas = _replicaFactory(replicas);
            }
            foreach (var condition in _conditions.Where(c => c.Accept(state)).ToList())
            {
                _conditions.Remove(condition);
                satisfied.Add(condition.Done);
            }
        }
        foreach (var done in satisfied) done.TrySetResult(state);
        Retire(retiredPrimary);
        Retire(retiredReplicas);
        StateChanged?.Invoke(state);
    }

    private static void Retire(NpgsqlDataSource? source)
    {
        if (source is null) return;
        // Connections already handed out keep working for a while; new ones come from the replacement.
        _ = Task.Delay(TimeSpan.FromSeconds(30)).ContinueWith(_ => source.DisposeAsync().AsTask(), TaskScheduler.Default);
    }

    private static NpgsqlDataSource Build(NpgsqlConnectionStringBuilder template, IReadOnlyList<PeerId> peers, bool loadBalance = false)
    {
        var builder = new NpgsqlConnectionStringBuilder(template.ConnectionString)
        {
            Host = string.Join(",", peers.Select(p => p.Host)),
            Port = peers[0].Port,
        };
        if (peers.Select(p => p.Port).Distinct().Count() > 1)
            builder.Host = string.Join(",", peers.Select(p => $"{p.Host}:{p.Port}"));
        if (loadBalance) builder.LoadBalanceHosts = true;
        // Finding the new primary must not wait on a name service (PeerConnectionDefaults); an application that
        // really uses Kerberos says so with GssEncryptionMode=Require in its template.
        if (builder.GssEncryptionMode == GssEncryptionMode.Prefer) PeerConnectionDefaults.Apply(builder);
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _subscriber.Tell(PoisonPill.Instance);
        NpgsqlDataSource? primary, replicas;
        lock (_gate) (primary, replicas) = (_primary, _replicas);
        if (primary is not null) await primary.DisposeAsync();
        if (replicas is not null) await replicas.DisposeAsync();
    }
}
