namespace Appliance.Actors.Node;

/// <summary>
/// When a primary must stop taking writes on its own, and when it may take them again. Pure: the node actor supplies
/// the times and its cluster view.
/// </summary>
/// <remarks>
/// <para>Contact with the coordinator renews the lease, but contact alone proves little after this process stood still
/// (SIGSTOP, a long GC, a starved VM): its own coordinator, if it ran here, resumed with it and goes on publishing a
/// stale state while the rest of the cluster has downed this node and made another primary. The chaos long run caught
/// exactly that: a primary's host paused for 6 s came back as primary for another 18 s (docs/CHAOS.md). So a primary
/// also fences itself when its lease checks stop for longer than the lease (this process did not run), and when its
/// cluster view does not show a majority of the database members; and after a pause it serves again only once it has
/// had time to hear from the failure detector, and sees a majority.</para>
/// <para>Safety of acknowledged writes never rests on this (the sync's fence and synchronous replication carry it);
/// this bounds how long a deposed primary can answer reads and <c>/primary</c> as if it still were one.</para>
/// </remarks>
internal static class PrimaryLease
{
    /// <summary>Why a primary must fence itself now, or null if it may go on.</summary>
    /// <param name="sinceContact">Time since it last heard from the coordinator.</param>
    /// <param name="sinceLastCheck">Time since the previous lease check ran (the checks run every quarter lease).</param>
    /// <param name="view">Its cluster view.</param>
    /// <param name="lease">The configured coordinator lease.</param>
    public static string? FenceReason(TimeSpan sinceContact, TimeSpan sinceLastCheck, MajorityView view, TimeSpan lease)
    {
        if (sinceLastCheck > lease)
            return $"this process did not run for {sinceLastCheck.TotalSeconds:0.0} s (paused or starved), so what it heard meanwhile proves nothing";
        if (sinceContact >= lease)
            return $"heard nothing from the coordinator for {sinceContact.TotalSeconds:0.0} s (lease {lease.TotalSeconds:0.0} s)";
        if (!view.HasMajority)
            return $"its cluster view shows only {view}";
        return null;
    }

    /// <summary>True if a primary that fenced itself may serve again, now that the coordinator spoke to it.</summary>
    /// <param name="sinceFenced">Time since it fenced itself.</param>
    /// <param name="afterPause">It fenced itself because this process had stood still.</param>
    /// <param name="view">Its cluster view.</param>
    /// <param name="lease">The configured coordinator lease.</param>
    public static bool MayServeAgain(TimeSpan sinceFenced, bool afterPause, MajorityView view, TimeSpan lease) =>
        view.HasMajority && (!afterPause || sinceFenced >= PauseHoldDown(lease));

    /// <summary>
    /// After a pause, how long a primary stays fenced at least: long enough for the failure detector (heartbeats every
    /// 0.5 s, 2 s acceptable pause) to mark the members it lost as unreachable, so that the majority check means something.
    /// </summary>
    public static TimeSpan PauseHoldDown(TimeSpan lease) => lease * 2;
}
