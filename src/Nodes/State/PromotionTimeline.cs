namespace Appliance.Nodes.State;

/// <summary>
/// The timeline a promotion must start: the generation's number, so that no two promotions ever share one.
/// </summary>
/// <remarks>
/// <para>PostgreSQL names a new timeline one past the newest history file it can see. A sync that never streamed
/// from a primary promoted before it (that primary's writes were never acknowledged, so the rules may let the sync
/// take over) cannot see that primary's timeline, and picks the same number. When both promoted at the same WAL
/// position their history files are identical, yet their WAL differs: nothing can tell them apart, pg_rewind
/// finds "no rewind required", and streaming between them mixes two histories. The property tests found this
/// (ReplicationWorld's "two timelines share a number" check).</para>
/// <para>Every promotion happens in a generation of its own (only the sync of a state is promoted, by the next
/// generation), and the rules give that generation a number past the candidate's timeline
/// (<see cref="RuleContext.PromotionGeneration"/>), so the promotion starts exactly the timeline numbered as its
/// generation, which no other promotion can start. After initdb every timeline is at most the generation that started
/// it and the rules' generation is simply the next one; a cluster bootstrapped from a backup starts generation 1 on the
/// restore's timeline (past 1, and past every number the old cluster archived), and its first promotion jumps the
/// generation past that. The node makes PostgreSQL pick the number by placing history files for the numbers it must
/// skip before it promotes. The property tests check that no number is ever started twice, restored clusters included
/// (<c>ReplicationWorld</c>).</para>
/// </remarks>
public static class PromotionTimeline
{
    /// <summary>The timeline to start when promoting from <paramref name="current"/> in <paramref name="generation"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The generation does not fit a timeline id.</exception>
    public static int For(int current, long generation)
    {
        if (generation > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(generation), generation, "Generation past the largest timeline id.");
        return (int)Math.Max(current + 1L, generation);
    }
}
