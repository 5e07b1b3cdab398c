using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node.Roles;

/// <summary>What a role actor tells its node actor (<c>DatabaseNodeActor</c>). Local messages, never serialized.</summary>
internal static class RoleProtocol
{
    /// <summary>PostgreSQL now plays the role (a primary first read-only, then again once it takes writes).</summary>
    /// <param name="Token">Identifies the role actor's incarnation; the node ignores messages from replaced ones.</param>
    /// <param name="Role">The role applied.</param>
    /// <param name="ReadWrite">The primary takes writes.</param>
    public sealed record Applied(long Token, PeerRole Role, bool ReadWrite);

    /// <summary>A deposed peer has rewound onto the current timeline and can rejoin as an async.</summary>
    /// <param name="Token">The role actor's incarnation.</param>
    /// <param name="Outcome">Whether it rewound or had to clone afresh.</param>
    /// <param name="Target">The primary and generation of the state it rejoined in, and the timeline it now follows.</param>
    public sealed record ReadyToRejoin(long Token, RejoinOutcome Outcome, RejoinTarget Target);

    /// <summary>A clone in progress.</summary>
    /// <param name="Token">The role actor's incarnation.</param>
    /// <param name="Progress">Bytes done and total.</param>
    public sealed record CloneProgress(long Token, BaseBackupProgress Progress);

    /// <summary>The role waits on something outside this node (not a failure: it goes on by itself once that is there).</summary>
    /// <param name="Token">The role actor's incarnation.</param>
    /// <param name="Why">What it waits for, for the node's status.</param>
    public sealed record Waiting(long Token, string Why);

    /// <summary>The role no longer waits for what its last <see cref="Waiting"/> named.</summary>
    /// <param name="Token">The role actor's incarnation.</param>
    public sealed record Resumed(long Token);

    /// <summary>The role's work failed; the node reports it and the role actor is restarted with backoff.</summary>
    /// <param name="Token">The role actor's incarnation.</param>
    /// <param name="Error">What went wrong.</param>
    public sealed record Failed(long Token, string Error);
}
