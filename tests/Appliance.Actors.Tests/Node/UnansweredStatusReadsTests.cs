using Appliance.Actors.Node;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Tests.Node;

/// <summary>A running postmaster that misses an answer is not reported down at once; one that exited is.</summary>
[Trait("Category", "Unit")]
public sealed class UnansweredStatusReadsTests
{
    internal static readonly InstanceStatus Answer = new(InRecovery: true, ReadWrite: false, Timeline: 1, CurrentLsn: null,
        ReceivedLsn: new Lsn(0x3000000), ReplayedLsn: new Lsn(0x3000000), SynchronousStandbyNames: "");

    [Fact]
    public void A_running_postmaster_is_reported_down_only_at_the_limit_of_unanswered_reads_in_a_row()
    {
        var reads = new UnansweredStatusReads();
        for (var i = 1; i < UnansweredStatusReads.Limit; i++)
        {
            (reads, var report) = reads.After(null, postmasterRuns: true, answeredBefore: true);
            Assert.False(report, $"unanswered read {i} is reported");
        }
        (reads, var atLimit) = reads.After(null, postmasterRuns: true, answeredBefore: true);
        Assert.True(atLimit);
        // Reported down, it stays reported down on every read until PostgreSQL answers.
        (reads, var again) = reads.After(null, postmasterRuns: true, answeredBefore: false);
        Assert.True(again);
    }

    [Fact]
    public void An_answer_resets_the_count_and_is_always_reported()
    {
        var reads = new UnansweredStatusReads();
        (reads, _) = reads.After(null, postmasterRuns: true, answeredBefore: true);
        (reads, var answered) = reads.After(Answer, postmasterRuns: true, answeredBefore: true);
        Assert.True(answered);
        Assert.Equal(0, reads.Unanswered);
        for (var i = 1; i < UnansweredStatusReads.Limit; i++)
        {
            (reads, var report) = reads.After(null, postmasterRuns: true, answeredBefore: true);
            Assert.False(report);
        }
    }

    [Fact]
    public void A_postmaster_that_exited_or_never_answered_is_reported_down_at_once()
    {
        Assert.True(new UnansweredStatusReads().After(null, postmasterRuns: false, answeredBefore: true).Report);
        Assert.True(new UnansweredStatusReads(UnansweredStatusReads.Limit - 2).After(null, postmasterRuns: false, answeredBefore: true).Report);
        Assert.True(new UnansweredStatusReads().After(null, postmasterRuns: true, answeredBefore: false).Report);
    }
}
