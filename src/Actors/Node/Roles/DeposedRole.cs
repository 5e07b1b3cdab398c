using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// A deposed former primary. It stops at once, since its WAL may hold writes that were never acknowledged. Under
/// <see cref="RejoinPolicy.Auto"/> it then rewinds onto the current primary's timeline (or re-clones when the rewind
/// fails), follows the primary as an unnamed standby, and tells the coordinator it is ready to rejoin the chain.
/// </summary>
internal sealed class DeposedRole(RoleContext context) : RoleActor(context)
{
    /// <summary>Props for <paramref name="context"/>.</summary>
    public static Akka.Actor.Props Props(RoleContext context) => Akka.Actor.Props.Create(() => new DeposedRole(context));

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var instance = Role.Instance;
        await instance.StopAsync(ct).ConfigureAwait(false);
        Report(new RoleProtocol.Applied(Role.Token, PeerRole.Deposed, ReadWrite: false));
        if (Role.Rejoin != RejoinPolicy.Auto) return;

        var outcome = await instance.RejoinAsync(Role.State.Primary, Role.State.Primary, null, CloneProgress(), ct).ConfigureAwait(false);
        // The coordinator takes readiness only for this primary and generation, on the timeline the primary reports, and
        // checks the history the reports show against the primary's.
        var timeline = await WaitUntilOnPrimaryTimelineAsync(ct).ConfigureAwait(false);
        Report(new RoleProtocol.ReadyToRejoin(Role.Token, outcome, new RejoinTarget(Role.State.Primary.Id, Role.State.Generation, timeline)));
    }

    /// <summary>
    /// Waits until this standby runs on the timeline of the state's primary, and that primary runs as one. A former
    /// primary that was already on the new primary's history is only made a standby: it starts on its old timeline and
    /// moves onto the new one only once its WAL receiver has fetched the history, and a primary still promoting is on
    /// the old one too. Readiness reported at that moment named a timeline the primary had left, so the coordinator never
    /// took it and the peer stayed deposed for good (found by CI: a rolling restart left n2 deposed for four minutes).
    /// The protocol model's marker already holds the primary's timeline (rdT = tl[primary]). If it does not get there
    /// within the catch-up timeout, the role fails with the reason in the node's status and rejoins again; a standby
    /// that can never follow (the primary no longer has the WAL it needs) stays deposed that way, and needs a rebuild.
    /// </summary>
    /// <returns>The timeline both are on.</returns>
    private async Task<int> WaitUntilOnPrimaryTimelineAsync(CancellationToken ct)
    {
        var instance = Role.Instance;
        var primary = Role.State.Primary;
        var clock = Role.Options.Clock;
        var started = clock.GetTimestamp();   // monotonic: a clock step must not end or extend the wait
        while (true)
        {
            var own = await instance.ReadStatusAsync(ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"{instance.Peer.Id} rejoined behind {primary.Id} but PostgreSQL does not answer.");
            var theirs = await instance.ReadStatusOfAsync(primary, ct).ConfigureAwait(false);
            if (theirs is { InRecovery: false } && own.Timeline == theirs.Timeline) return own.Timeline;
            var where = theirs is null ? "does not answer" : theirs.InRecovery ? "has not been promoted yet" : $"is on timeline {theirs.Timeline}";
            if (clock.GetElapsedTime(started) > Role.Options.CatchUpProgressTimeout)
                throw new InvalidOperationException(
                    $"{instance.Peer.Id} follows {primary.Id} but is still on timeline {own.Timeline} after " +
                    $"{Role.Options.CatchUpProgressTimeout.TotalSeconds:0} s, and {primary.Id} {where}; rejoining again.");
            ReportWaiting($"following primary {primary.Id} (which {where}) onto its timeline before reporting ready to rejoin; on timeline {own.Timeline} now");
            await Task.Delay(Role.Options.MinRetryBackoff, ct).ConfigureAwait(false);
        }
    }
}
