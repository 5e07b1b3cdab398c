using Akka.Actor;
using Akka.Event;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// A role actor reconciles PostgreSQL with one role, once, as a task piped back to itself. On failure it reports the
/// error and stops, so that the <see cref="Akka.Pattern.BackoffSupervisor"/> around it starts it again (and so
/// retries the work) after a growing delay: the role is never dropped. Stopping the actor cancels the work in flight.
/// </summary>
internal abstract class RoleActor : ReceiveActor
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Creates the actor for <paramref name="context"/>.</summary>
    protected RoleActor(RoleContext context)
    {
        Role = context;
        Receive<Reconciled>(_ =>
        {
            Log.Debug("{0} applied for state v{1}", GetType().Name, Role.State.Version);
            OnReconciled();
        });
        Receive<ReconcileFailed>(failed =>
        {
            Role.Node.Tell(new RoleProtocol.Failed(Role.Token, failed.Error.Message));
            Context.Stop(Self);
        });
    }

    /// <summary>The role's context.</summary>
    protected RoleContext Role { get; }

    /// <summary>The actor's log.</summary>
    protected ILoggingAdapter Log { get; } = Context.GetLogger();

    /// <summary>The work that makes PostgreSQL play the role; it reports progress to <see cref="RoleContext.Node"/>.</summary>
    protected abstract Task ReconcileAsync(CancellationToken ct);

    /// <summary>Called once the role is applied; a role that goes on watching PostgreSQL starts here.</summary>
    protected virtual void OnReconciled() { }

    /// <summary>Cancelled when the actor stops, which cancels the work in flight.</summary>
    protected CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Pipes later work of the role back as <see cref="ReconcileFailed"/> on failure, so that it fails as the first
    /// reconcile does: reported, and the role started again with backoff.
    /// </summary>
    protected void PipeWork(Task work, Func<object> success) =>
        work.PipeTo(Self, success: success, failure: e => new ReconcileFailed(e));

    /// <summary>As <see cref="PipeWork(Task, Func{object})"/>, for work whose result the success message carries.</summary>
    protected void PipeWork<T>(Task<T> work, Func<T, object> success) =>
        work.PipeTo(Self, success: success, failure: e => new ReconcileFailed(e));

    /// <inheritdoc />
    protected override void PreStart() =>
        ReconcileAsync(_stopping.Token).PipeTo(Self, success: () => Reconciled.Instance, failure: e => new ReconcileFailed(e));

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>Tells the node, with this incarnation's token.</summary>
    protected void Report(object message) => Role.Node.Tell(message);

    private string? _lastWait;   // touched by the reconcile task, then by the actor: one step after another

    /// <summary>Tells the node what the role waits for (its status shows it), when that differs from the last time.</summary>
    protected void ReportWaiting(string why)
    {
        if (why == _lastWait) return;
        _lastWait = why;
        Report(new RoleProtocol.Waiting(Role.Token, why));
    }

    /// <summary>Tells the node that the role no longer waits, when it last said it did: its status drops the reason.</summary>
    protected void ReportResumed()
    {
        if (_lastWait is null) return;
        _lastWait = null;
        Report(new RoleProtocol.Resumed(Role.Token));
    }

    /// <summary>Reports clone progress to the node at most every percent.</summary>
    protected IProgress<Nodes.Postgres.BaseBackupProgress> CloneProgress()
    {
        var lastPercent = -1;
        var node = Role.Node;
        var token = Role.Token;
        return new Progress<Nodes.Postgres.BaseBackupProgress>(p =>
        {
            var percent = (int)(p.Fraction * 100);
            if (percent == lastPercent) return;
            lastPercent = percent;
            node.Tell(new RoleProtocol.CloneProgress(token, p));
        });
    }

    private sealed record Reconciled
    {
        public static readonly Reconciled Instance = new();
    }

    private sealed record ReconcileFailed(Exception Error);
}
