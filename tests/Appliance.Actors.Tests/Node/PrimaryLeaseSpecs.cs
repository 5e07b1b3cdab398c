using Appliance.Actors.Node;

namespace Appliance.Actors.Tests.Node;

/// <summary>
/// When a primary fences itself and when it serves again (<see cref="PrimaryLease"/>). The pause cases are the
/// regression tests of the chaos long run's finding: a primary whose host was SIGSTOPped for 6 s, and which also ran the
/// coordinator, went on answering /primary for 18 s after it resumed, renewed by its own stale coordinator.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PrimaryLeaseSpecs
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan Tick = Lease / 4;
    private static readonly MajorityView AllReachable = new(3, 3);

    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void A_primary_in_touch_with_the_coordinator_and_a_majority_keeps_serving() =>
        Assert.Null(PrimaryLease.FenceReason(Ms(500), Tick, AllReachable, Lease));

    [Fact]
    public void Coordinator_silence_for_the_lease_fences_it()
    {
        var why = PrimaryLease.FenceReason(Lease, Tick, AllReachable, Lease);
        Assert.Contains("heard nothing from the coordinator", why);
    }

    [Fact]
    public void A_process_that_stood_still_longer_than_the_lease_fences_even_if_a_message_just_renewed_the_lease()
    {
        // At resume, a state its own (stale) coordinator published a moment ago renewed the contact: it proves nothing.
        var why = PrimaryLease.FenceReason(sinceContact: Ms(10), sinceLastCheck: TimeSpan.FromSeconds(6), AllReachable, Lease);
        Assert.Contains("did not run for 6.0 s", why);
    }

    [Fact]
    public void A_view_without_a_majority_fences_it_whatever_the_coordinator_says()
    {
        var why = PrimaryLease.FenceReason(Ms(10), Tick, new MajorityView(1, 3), Lease);
        Assert.Contains("1 of 3", why);
        Assert.Null(PrimaryLease.FenceReason(Ms(10), Tick, new MajorityView(2, 3), Lease));
        Assert.NotNull(PrimaryLease.FenceReason(Ms(10), Tick, new MajorityView(1, 2), Lease));   // half is not a majority
        Assert.Null(PrimaryLease.FenceReason(Ms(10), Tick, default, Lease));   // not clustered: only the lease counts
    }

    [Fact]
    public void After_a_pause_it_serves_again_only_after_the_hold_down_and_with_a_majority()
    {
        Assert.False(PrimaryLease.MayServeAgain(Ms(100), afterPause: true, AllReachable, Lease));
        Assert.False(PrimaryLease.MayServeAgain(PrimaryLease.PauseHoldDown(Lease), afterPause: true, new MajorityView(1, 3), Lease));
        Assert.True(PrimaryLease.MayServeAgain(PrimaryLease.PauseHoldDown(Lease), afterPause: true, AllReachable, Lease));
    }

    [Fact]
    public void After_coordinator_silence_it_serves_again_as_soon_as_the_coordinator_speaks_with_a_majority_behind_it()
    {
        Assert.True(PrimaryLease.MayServeAgain(Ms(100), afterPause: false, new MajorityView(2, 3), Lease));
        Assert.False(PrimaryLease.MayServeAgain(TimeSpan.FromMinutes(1), afterPause: false, new MajorityView(1, 3), Lease));
    }
}
