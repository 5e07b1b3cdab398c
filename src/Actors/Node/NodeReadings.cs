using Appliance.Nodes.Postgres;

namespace Appliance.Actors.Node;

/// <summary>
/// What a node last read of its PostgreSQL and heard from its role, for its reports to the coordinator and its
/// snapshot: the status (through <see cref="UnansweredStatusReads"/>, so that one slow answer is not reported as
/// PostgreSQL down), the last failure or wait of the role, and the progress of a clone.
/// </summary>
/// <remarks>Not thread-safe: the node actor owns it.</remarks>
internal sealed class NodeReadings
{
    private UnansweredStatusReads _unanswered;

    /// <summary>The last status reported; null if PostgreSQL did not answer (or has not yet).</summary>
    public InstanceStatus? Status { get; private set; }

    /// <summary>Why the role failed or waits, until it goes on.</summary>
    public string? LastError { get; private set; }

    /// <summary>Progress of a clone in flight.</summary>
    public BaseBackupProgress? Clone { get; private set; }

    /// <summary>Takes one status read; true if it is to be reported (it then is the <see cref="Status"/>).</summary>
    /// <param name="read">What PostgreSQL answered; null if it did not.</param>
    /// <param name="postmasterRuns">The postmaster runs (one that exited is reported down at once).</param>
    public bool StatusRead(InstanceStatus? read, bool postmasterRuns)
    {
        (_unanswered, var report) = _unanswered.After(read, postmasterRuns, Status is not null);
        if (!report) return false;
        Status = read;
        return true;
    }

    /// <summary>The role failed, or waits for something, and says why.</summary>
    public void Trouble(string why) => LastError = why;

    /// <summary>What the role failed at or waited for is over.</summary>
    public void TroubleOver() => LastError = null;

    /// <summary>A clone in flight progressed.</summary>
    public void CloneProgressed(BaseBackupProgress progress) => Clone = progress;

    /// <summary>A new role started, or the role was applied: nothing of an earlier attempt stands.</summary>
    public void RoleSettled()
    {
        LastError = null;
        Clone = null;
    }
}
