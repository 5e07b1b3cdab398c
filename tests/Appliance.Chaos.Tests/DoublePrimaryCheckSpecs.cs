namespace Appliance.Chaos.Tests;

/// <summary>The checker's definition of "two primaries at once", without a cluster.</summary>
[Trait("Category", "Chaos")]
public sealed class DoublePrimaryCheckSpecs
{
    private static WritableSample S(string observer, string node, double start, double end, bool writable = true) =>
        new(observer, node, TimeSpan.FromSeconds(start), TimeSpan.FromSeconds(end), writable);

    [Fact]
    public void A_node_seen_writable_strictly_between_two_consecutive_writable_samples_of_another_is_a_double_primary()
    {
        var found = Checker.DoublePrimaries([S("poller/n1", "n1", 0, 0.1), S("poller/n1", "n1", 0.3, 0.4), S("client0", "n2", 0.15, 0.25)]);
        Assert.Equal("n1", Assert.Single(found).First);
    }

    [Fact]
    public void Overlapping_samples_a_break_in_the_run_or_a_long_gap_prove_nothing()
    {
        // n2's sample overlaps n1's: n1 may have stepped down inside the overlap.
        Assert.Empty(Checker.DoublePrimaries([S("p", "n1", 0, 0.2), S("p", "n1", 0.3, 0.4), S("c", "n2", 0.15, 0.25)]));
        // n1 answered "not writable" in between: the run is broken.
        Assert.Empty(Checker.DoublePrimaries([S("p", "n1", 0, 0.1), S("p", "n1", 0.12, 0.13, false), S("p", "n1", 0.3, 0.4), S("c", "n2", 0.15, 0.25)]));
        // Samples further apart than MaxGap: a failover and a failback could lie between them.
        Assert.Empty(Checker.DoublePrimaries([S("p", "n1", 0, 0.1), S("p", "n1", 20, 20.1), S("c", "n2", 5, 5.1)]));
    }
}
