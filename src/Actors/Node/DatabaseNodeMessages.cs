using Akka.Actor;
using Appliance.Actors.Instance;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node;

/// <summary>Messages a <see cref="DatabaseNodeActor"/> sends itself (timers and piped task results). Local only.</summary>
internal static class DatabaseNodeMessages
{
    public sealed record ReportTick
    {
        public static readonly ReportTick Instance = new();
    }

    public sealed record LeaseTick
    {
        public static readonly LeaseTick Instance = new();
    }

    public sealed record RestartRole
    {
        public static readonly RestartRole Instance = new();
    }

    public sealed record StatusRead(InstanceStatus? Status);

    public sealed record PeersAdmitted(long Version, bool Changed, string? Error);

    public sealed record AdmitRetry
    {
        public static readonly AdmitRetry Instance = new();
    }

    public sealed record FenceOutcome(IActorRef ReplyTo, long ProbeId, WalFence Fence, FenceReading? Position, string? Error);

    public sealed record SelfFenced(string? Error);

    /// <summary>Try again to end the self-fenced primary's writes: by fencing it, or with <paramref name="Stop"/> by stopping it.</summary>
    public sealed record SelfFenceRetry(bool Stop);

    /// <summary>The <c>--on-role-change</c> hook for a change from <paramref name="Old"/> to <paramref name="New"/> ended.</summary>
    public sealed record RoleChangeHookDone(PeerRole New, PeerRole Old, RoleChangeHook.Outcome Outcome);

    public sealed record PostmasterExited(long Token, PostmasterExit Exit);
}

/// <summary>Asks a <see cref="DatabaseNodeActor"/> for what it knows of itself; it answers <see cref="NodeSnapshot"/>.</summary>
public sealed record GetNodeSnapshot
{
    /// <summary>The one instance.</summary>
    public static readonly GetNodeSnapshot Instance = new();
}

/// <summary>What a node knows of itself, for the host's <c>/status</c> endpoint and for tests.</summary>
/// <param name="Peer">The instance.</param>
/// <param name="State">The newest cluster state it holds.</param>
/// <param name="AppliedRole">The role PostgreSQL plays now (unassigned until the first role is applied).</param>
/// <param name="AppliedVersion">The newest state version whose role has been applied.</param>
/// <param name="ReadWrite">It is a primary that takes writes.</param>
/// <param name="SelfFenced">It is a primary that lost the coordinator and fenced itself.</param>
/// <param name="Status">The last status read from PostgreSQL; null if it did not answer.</param>
/// <param name="LastError">The last failure of its role, if the role has not been applied since.</param>
/// <param name="CloneProgress">Progress of a clone in flight.</param>
/// <param name="StateRefused">Why it refuses the coordinator's newest state (another cluster's, or older than one it
/// played), if it does.</param>
public sealed record NodeSnapshot(PeerId Peer, ClusterState? State, PeerRole AppliedRole, long AppliedVersion, bool ReadWrite,
    bool SelfFenced, InstanceStatus? Status, string? LastError, BaseBackupProgress? CloneProgress, string? StateRefused = null);
