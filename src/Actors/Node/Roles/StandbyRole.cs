using Akka.Event;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>
/// Makes the instance a standby of its upstream: cloned if empty, rewound first if it was a primary, re-pointed by a
/// reload if it already streams. PostgreSQL configures a sync and an async alike; what makes a sync synchronous is
/// its primary's <c>synchronous_standby_names</c>. Once applied, the role watches that the standby streams from its
/// upstream (<see cref="StallWatchingRole"/>).
/// </summary>
internal abstract class StandbyRole(RoleContext context) : StallWatchingRole(context)
{
    private PeerId Upstream => Role.Assignment.Upstream!;

    /// <inheritdoc />
    protected override async Task<StallCheck?> ReadStallAsync(CancellationToken ct) =>
        await Role.Instance.ReadStallAsync(Upstream, ct).ConfigureAwait(false) is { } reading
            ? new StallCheck(reading, $"upstream {Upstream.Id}", Upstream)
            : null;

    /// <inheritdoc />
    protected override Task CloneAfreshAsync(PeerId from, CancellationToken ct) =>
        Role.Instance.CloneAfreshAsync(from, Role.Assignment.Downstream, CloneProgress(), ct);

    /// <inheritdoc />
    protected override Task<RejoinOutcome?> RewindForkedAsync(PeerId from, CancellationToken ct) =>
        Role.Instance.RewindForkedAsync(from, Role.Assignment.Downstream, CloneProgress(), ct);

    /// <inheritdoc />
    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var upstream = Role.Assignment.Upstream
            ?? throw new InvalidOperationException($"{Role.Assignment.Role} {Role.Instance.Peer.Id} has no upstream in state v{Role.State.Version}.");
        var instance = Role.Instance;
        // An async's upstream is a standby. One that still runs as a primary (it has not applied the state that made it
        // the sync yet) may name this peer in synchronous_standby_names from an older state, and would acknowledge
        // commits through it that the state's primary never sees (found by the rules' property model).
        if (Role.Assignment.Role == PeerRole.Async && !await instance.IsNotAPrimaryAsync(upstream, ct).ConfigureAwait(false))
            throw new InvalidOperationException(
                $"{instance.Peer.Id} is an async of {upstream.Id} in state v{Role.State.Version}, but {upstream.Id} still runs as a primary; waiting until it runs as a standby.");
        if (instance.WasPrimary)
        {
            // Rewound from the primary, not from the upstream: the primary is on the newest timeline and its pg_control
            // is current, where a standby's lags until its next restartpoint.
            var outcome = await instance.RejoinAsync(Role.State.Primary, upstream, Role.Assignment.Downstream, CloneProgress(), ct).ConfigureAwait(false);
            Log.Info("{0} was a primary and now follows {1}: {2}{3}", instance.Peer.Id, upstream.Id,
                outcome.Method switch
                {
                    RejoinMethod.Rewound => $"rewound onto {Role.State.Primary.Id}'s history",
                    RejoinMethod.AlreadyOnHistory => $"already on {Role.State.Primary.Id}'s history",
                    _ => $"cloned afresh from {Role.State.Primary.Id}",
                },
                outcome.RewindFailure is { } why ? $" (the rewind could not be used: {why})" : "");
        }
        else
        {
            if (!instance.HasData) await WaitUntilUpstreamCanBeClonedAsync(upstream, ct).ConfigureAwait(false);
            if (await instance.FollowAsync(upstream, Role.Assignment.Downstream, CloneProgress(), ct).ConfigureAwait(false) is { } rewound)
                Log.Warning("{0}; {1}{2}", rewound.Why, rewound.Method,
                    rewound.RewindFailure is { } why ? $" (the rewind could not be used: {why})" : "");
        }
        Report(new RoleProtocol.Applied(Role.Token, Role.Assignment.Role, ReadWrite: false));
    }

    /// <summary>
    /// A new cluster's sync is told its role while the primary is still running initdb, and an async while the sync is
    /// still cloning. Polled at the shortest retry interval rather than failed into the role's growing backoff, which
    /// cost a fresh cluster up to several seconds after its primary came up.
    /// </summary>
    private async Task WaitUntilUpstreamCanBeClonedAsync(PeerId upstream, CancellationToken ct)
    {
        while (await Role.Instance.WhyNotReadyToCloneAsync(upstream, ct).ConfigureAwait(false) is { } why)
        {
            ReportWaiting($"waiting to clone from upstream {upstream.Id}: {why}");
            await Task.Delay(Role.Options.MinRetryBackoff, ct).ConfigureAwait(false);
        }
    }
}
