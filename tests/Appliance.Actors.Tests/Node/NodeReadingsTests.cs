using Appliance.Actors.Node;
using Appliance.Nodes.Postgres;

namespace Appliance.Actors.Tests.Node;

/// <summary>What a node reports of its PostgreSQL and its role (<see cref="NodeReadings"/>).</summary>
[Trait("Category", "Unit")]
public sealed class NodeReadingsTests
{
    private static readonly InstanceStatus Answer = UnansweredStatusReadsTests.Answer;

    [Fact]
    public void The_last_answer_stands_for_unanswered_reads_of_a_running_postmaster_until_the_limit()
    {
        var readings = new NodeReadings();
        Assert.True(readings.StatusRead(Answer, postmasterRuns: true));
        Assert.Same(Answer, readings.Status);
        for (var i = 1; i < UnansweredStatusReads.Limit; i++)
        {
            Assert.False(readings.StatusRead(null, postmasterRuns: true));
            Assert.Same(Answer, readings.Status);
        }
        Assert.True(readings.StatusRead(null, postmasterRuns: true));
        Assert.Null(readings.Status);
    }

    [Fact]
    public void A_postmaster_that_exited_is_reported_down_at_once()
    {
        var readings = new NodeReadings();
        readings.StatusRead(Answer, postmasterRuns: true);
        Assert.True(readings.StatusRead(null, postmasterRuns: false));
        Assert.Null(readings.Status);
    }

    [Fact]
    public void A_settled_role_clears_its_trouble_and_clone_progress_but_not_the_status()
    {
        var readings = new NodeReadings();
        readings.StatusRead(Answer, postmasterRuns: true);
        readings.Trouble("waiting for the primary");
        Assert.Equal("waiting for the primary", readings.LastError);
        readings.TroubleOver();
        Assert.Null(readings.LastError);

        readings.Trouble("clone failed");
        readings.CloneProgressed(new BaseBackupProgress(1, 2));
        readings.RoleSettled();
        Assert.Null(readings.LastError);
        Assert.Null(readings.Clone);
        Assert.Same(Answer, readings.Status);
    }
}
