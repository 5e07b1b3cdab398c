using Appliance.Nodes.Backup;

namespace Appliance.Nodes.Tests.Backup;

/// <summary>Which backup pgBackRest restores for a time target: whole seconds, strictly before the target's.</summary>
[Trait("Category", "Unit")]
public sealed class BackupTimeTargetTests
{
    private static readonly DateTimeOffset Stop = new(2026, 12, 6, 21, 9, 0, TimeSpan.Zero);

    private static BackupEntry Ended(DateTimeOffset stop) =>
        new("20261206-210850F", "full", stop.AddSeconds(-10), stop, null, null, null, null, 1, 1, null, false);

    [Fact]
    public void A_target_in_the_second_the_backup_ended_does_not_use_it()
    {
        Assert.False(Ended(Stop).EndedBefore(Stop.AddMilliseconds(700)));
        Assert.False(Ended(Stop).EndedBefore(Stop));
    }

    [Fact]
    public void A_target_in_a_later_second_does()
    {
        Assert.True(Ended(Stop).EndedBefore(Stop.AddSeconds(1)));
        Assert.True(Ended(Stop).EndedBefore(Stop.AddMinutes(5)));
    }

    [Fact]
    public void A_target_before_the_backup_does_not()
    {
        Assert.False(Ended(Stop).EndedBefore(Stop.AddSeconds(-1)));
    }
}
