using Akka.Actor;
using Akka.Hosting;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Instance;
using Appliance.Actors.Node;
using Appliance.Actors.Placement;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Host.Node;

/// <summary>Asks of the node actor and the coordinator, with timeouts, for the HTTP API and shutdown.</summary>
/// <remarks>
/// In single-instance mode this node runs exactly one instance. In placement mode it runs whichever instances the
/// shard region placed here (<see cref="LocalInstances"/>): none, one, or several when co-location is allowed; the
/// node's own endpoints (<c>/status</c>, the role checks) speak for the first of them.
/// </remarks>
public sealed class ClusterAccess(ActorRegistry registry, NodeOptions options, IServiceProvider services)
{
    private readonly Lazy<PersistedStateReader> _journal = new(() => new PersistedStateReader((ActorSystem)services.GetService(typeof(ActorSystem))!));

    /// <summary>How long a read of this node's actor may take.</summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long an operator command may take (it may probe a fence and write the journal).</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The node's options.</summary>
    public NodeOptions Options { get; } = options;

    /// <summary>The cluster credentials, for probing peers over SQL (as the monitoring role).</summary>
    public ClusterCredentials Credentials { get; } = ApplianceNodeHosting.Credentials(options);

    /// <summary>The instances this node runs now (single-instance mode: always its one instance).</summary>
    public async Task<IReadOnlyList<LocalInstance>> LocalAsync(CancellationToken ct)
    {
        if (services.GetService(typeof(LocalInstances)) is LocalInstances local) return local.All;
        var node = await registry.GetAsync<DatabaseNodeKey>(ct).ConfigureAwait(false);
        return [new LocalInstance(Options.Name, node, (IDatabaseInstance)services.GetService(typeof(IDatabaseInstance))!)];
    }

    /// <summary>In single-instance mode, the instance this node runs (known without asking any actor); otherwise null.</summary>
    public IDatabaseInstance? SingleInstance => services.GetService(typeof(IDatabaseInstance)) as IDatabaseInstance;

    /// <summary>What this node knows of itself (in placement mode: of the first instance placed here).</summary>
    public async Task<NodeSnapshot> SnapshotAsync(CancellationToken ct)
    {
        var node = (await LocalAsync(ct).ConfigureAwait(false)).FirstOrDefault()?.Node
                   ?? throw new ClusterUnavailableException(
                       $"Host {Options.Name} holds no database instance now: every instance is placed on another host (placement mode). Ask another node, or see 'appliance status'.");
        try { return await node.Ask<NodeSnapshot>(GetNodeSnapshot.Instance, NodeTimeout, ct).ConfigureAwait(false); }
        catch (AskTimeoutException)
        {
            throw new ClusterUnavailableException($"This node's actor did not answer within {NodeTimeout.TotalSeconds:0} s; the process may be overloaded or shutting down. Try again, or check its log.");
        }
    }

    /// <summary>The coordinator's current state and last refusal; null if it does not answer within <paramref name="timeout"/>.</summary>
    public async Task<ClusterStateProtocol.CurrentState?> CoordinatorStateAsync(TimeSpan timeout, CancellationToken ct)
    {
        var coordinator = await registry.GetAsync<CoordinatorKey>(ct).ConfigureAwait(false);
        try { return await coordinator.Ask<ClusterStateProtocol.CurrentState>(ClusterStateProtocol.GetState.Instance, timeout, ct).ConfigureAwait(false); }
        catch (AskTimeoutException) { return null; }
    }

    /// <summary>
    /// The newest state in the state store, read without the coordinator (<see cref="PersistedStateReader"/>); null if
    /// none was ever written, or if the store could not be read within <paramref name="timeout"/> (logged).
    /// </summary>
    public async Task<ClusterState?> PersistedStateAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { return (await _journal.Value.NewestAsync(ct).WaitAsync(timeout, ct).ConfigureAwait(false))?.State; }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            (services.GetService(typeof(ILoggerFactory)) as ILoggerFactory)?.CreateLogger<ClusterAccess>()
                .LogWarning(e, "Could not read the newest state from the state store");
            return null;
        }
    }

    /// <summary>
    /// The newest report of the cluster's backups this node holds (its backup actor keeps what the node taking the
    /// backups publishes); null without <c>--backup-repo</c>, before any report, or if the actor does not answer at once.
    /// </summary>
    public async Task<BackupProtocol.Report?> BackupReportAsync(CancellationToken ct)
    {
        if (Options.Backup is null || !registry.TryGet<BackupActorKey>(out var backups)) return null;
        try { return (await backups.Ask<BackupProtocol.Reported>(BackupProtocol.GetReport.Instance, TimeSpan.FromSeconds(1), ct).ConfigureAwait(false)).Latest; }
        catch (AskTimeoutException) { return null; }
    }

    /// <summary>
    /// Every state the coordinator ever wrote: this node's copy (<see cref="ClusterEvents.Book"/>), first brought up to
    /// date with the entries it lacks.
    /// </summary>
    public async Task<IReadOnlyList<ClusterStateProtocol.StateRecorded>> HistoryAsync(TimeSpan timeout, CancellationToken ct)
    {
        var coordinator = await registry.GetAsync<CoordinatorKey>(ct).ConfigureAwait(false);
        var book = ((ClusterEvents)services.GetService(typeof(ClusterEvents))!).Book;
        try { return await book.CatchUpAsync(coordinator, timeout, ct).ConfigureAwait(false); }
        catch (AskTimeoutException)
        {
            throw new ClusterUnavailableException(CoordinatorSilent(timeout));
        }
    }

    /// <summary>Which passwords every node holds, as the coordinator last heard (fingerprints only).</summary>
    public async Task<CredentialProtocol.SecretFingerprints> SecretFingerprintsAsync(TimeSpan timeout, CancellationToken ct)
    {
        var coordinator = await registry.GetAsync<CoordinatorKey>(ct).ConfigureAwait(false);
        try { return await coordinator.Ask<CredentialProtocol.SecretFingerprints>(CredentialProtocol.GetSecretFingerprints.Instance, timeout, ct).ConfigureAwait(false); }
        catch (AskTimeoutException)
        {
            throw new ClusterUnavailableException(CoordinatorSilent(timeout));
        }
    }

    /// <summary>Submits an operator command; the answer is <see cref="OperatorProtocol.Accepted"/> or <see cref="OperatorProtocol.Refused"/>.</summary>
    public async Task<IApplianceMessage> SubmitAsync(OperatorCommand command, CancellationToken ct)
    {
        var coordinator = await registry.GetAsync<CoordinatorKey>(ct).ConfigureAwait(false);
        try { return await coordinator.Ask<IApplianceMessage>(new OperatorProtocol.Submit(command), CommandTimeout, ct).ConfigureAwait(false); }
        catch (AskTimeoutException)
        {
            throw new ClusterUnavailableException(CoordinatorSilent(CommandTimeout) + " The command may still be applied; look at the state before you repeat it.");
        }
    }

    /// <summary>Tells the coordinator that peer <paramref name="peerId"/> of this node leaves on purpose.</summary>
    public async Task DepartAsync(string peerId, string reason, CancellationToken ct)
    {
        var coordinator = await registry.GetAsync<CoordinatorKey>(ct).ConfigureAwait(false);
        coordinator.Tell(new NodeDeparted(peerId, reason));
    }

    /// <summary>PostgreSQL's postmaster of the instance <see cref="SnapshotAsync"/> speaks for, when running.</summary>
    public async Task<int?> PostmasterPidAsync(CancellationToken ct) => (await LocalAsync(ct).ConfigureAwait(false)).FirstOrDefault()?.Instance.PostmasterPid;

    private static string CoordinatorSilent(TimeSpan timeout) =>
        $"The coordinator did not answer within {timeout.TotalSeconds:0} s: the cluster may have too few members (it needs 2), or be electing a new coordinator. Check 'appliance status' and try again.";
}
