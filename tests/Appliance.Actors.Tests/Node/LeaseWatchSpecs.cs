using Appliance.Actors.Node;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Actors.Tests.Node;

/// <summary>
/// The node's lease watch (<see cref="LeaseWatch"/>) driven through time by a fake clock, one lease check per quarter
/// lease as the node runs them. The rules themselves are <see cref="PrimaryLeaseSpecs"/>'; these pin what the watch
/// feeds them: the time since contact, the time since the previous check (a late check is a pause), and the time since
/// it fenced itself.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LeaseWatchSpecs
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan Tick = Lease / 4;
    private static readonly MajorityView AllReachable = new(3, 3);
    private static readonly Func<MajorityView> Majority = () => AllReachable;
    private static readonly Func<MajorityView> Minority = () => new MajorityView(1, 3);
    private static readonly Func<MajorityView> Unread = () => throw new InvalidOperationException("the view was read");

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void A_primary_that_hears_from_the_coordinator_every_tick_never_fences()
    {
        var watch = new LeaseWatch(_clock, Lease);
        for (var i = 0; i < 100; i++)
        {
            _clock.Advance(Tick);
            watch.Contact();
            Assert.Null(watch.Check(applies: true, Majority));
        }
        Assert.False(watch.SelfFenced);
    }

    [Fact]
    public void The_lease_runs_from_the_start_and_fences_a_primary_that_never_heard_from_the_coordinator()
    {
        var watch = new LeaseWatch(_clock, Lease);
        for (var i = 1; i < 4; i++)
        {
            _clock.Advance(Tick);
            Assert.Null(watch.Check(applies: true, Majority));
        }
        _clock.Advance(Tick);
        Assert.Contains("heard nothing from the coordinator for 1.5 s", watch.Check(applies: true, Majority));
        Assert.True(watch.SelfFenced);
    }

    [Fact]
    public void Silence_for_the_lease_after_the_last_contact_fences_and_a_fenced_watch_says_so_only_once()
    {
        var watch = new LeaseWatch(_clock, Lease);
        _clock.Advance(Tick);
        watch.Contact();
        _clock.Advance(Lease - Tick);
        Assert.Null(watch.Check(applies: true, Majority));   // only 1125 ms since the contact
        _clock.Advance(Tick);
        Assert.NotNull(watch.Check(applies: true, Majority));
        _clock.Advance(Tick);
        Assert.Null(watch.Check(applies: true, Unread));   // fenced already: nothing more to do, nothing read
        Assert.True(watch.SelfFenced);
    }

    [Fact]
    public void A_check_that_comes_longer_than_the_lease_after_the_previous_one_is_a_pause_even_right_after_a_contact()
    {
        var watch = new LeaseWatch(_clock, Lease);
        _clock.Advance(Tick);
        Assert.Null(watch.Check(applies: true, Majority));
        _clock.Advance(TimeSpan.FromSeconds(6));   // SIGSTOP: no tick ran, and at resume its own stale coordinator spoke first
        watch.Contact();
        Assert.Contains("did not run for 6.0 s", watch.Check(applies: true, Majority));

        // After a pause it stays fenced for the hold-down, however the coordinator and the view look.
        watch.Contact();
        Assert.False(watch.MayServeAgain(Majority));
        _clock.Advance(PrimaryLease.PauseHoldDown(Lease) - TimeSpan.FromMilliseconds(1));
        Assert.False(watch.MayServeAgain(Majority));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(watch.MayServeAgain(Minority));
        Assert.True(watch.MayServeAgain(Majority));
        Assert.True(watch.SelfFenced);   // asking decides nothing: the node leaves self-fencing
        watch.ServeAgain();
        Assert.False(watch.SelfFenced);
    }

    [Fact]
    public void A_late_check_at_exactly_the_lease_is_no_pause()
    {
        var watch = new LeaseWatch(_clock, Lease);
        _clock.Advance(Lease);
        watch.Contact();
        Assert.Null(watch.Check(applies: true, Majority));
    }

    [Fact]
    public void After_coordinator_silence_it_may_serve_again_as_soon_as_the_coordinator_speaks_with_a_majority()
    {
        var watch = new LeaseWatch(_clock, Lease);
        Assert.False(watch.MayServeAgain(Unread));   // not fenced: nothing to leave, nothing read
        for (var i = 0; i < 4; i++)
        {
            _clock.Advance(Tick);
            watch.Check(applies: true, Majority);
        }
        Assert.True(watch.SelfFenced);
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        watch.Contact();
        Assert.False(watch.MayServeAgain(Minority));
        Assert.True(watch.MayServeAgain(Majority));
    }

    [Fact]
    public void A_view_without_a_majority_fences_a_primary_in_touch_with_the_coordinator()
    {
        var watch = new LeaseWatch(_clock, Lease);
        _clock.Advance(Tick);
        watch.Contact();
        Assert.Contains("1 of 3", watch.Check(applies: true, Minority));
    }

    [Fact]
    public void Where_the_lease_does_not_apply_nothing_fences_but_every_check_still_counts_for_pause_detection()
    {
        var watch = new LeaseWatch(_clock, Lease);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(watch.Check(applies: false, Unread));   // not a primary: no fence, and the view is not read
        Assert.False(watch.SelfFenced);

        // It becomes primary and hears from the coordinator: the next check is a quarter lease after the previous one.
        _clock.Advance(Tick);
        watch.Contact();
        Assert.Null(watch.Check(applies: true, Majority));
    }
}
