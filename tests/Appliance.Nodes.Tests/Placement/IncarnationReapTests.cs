using System.Collections.Immutable;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Placement;

/// <summary>A deposed incarnation whose instance was re-created elsewhere is reaped by the rules (sharded placement only).</summary>
[Trait("Category", "Unit")]
public class IncarnationReapTests
{
    private static PeerId P(string id, int port) => new(id, "127.0.0.1", port);

    private static readonly PeerId OldPrimary = P("pg-1.host-a", 20001);
    private static readonly PeerId Primary = P("pg-2.host-b", 20002);
    private static readonly PeerId Sync = P("pg-3.host-c", 20003);
    private static readonly PeerId NewIncarnation = P("pg-1.host-d", 20004);

    private static readonly ClusterState AfterTakeover = new()
    {
        Version = 9,
        Generation = 3,
        Primary = Primary,
        Sync = Sync,
        Async = [],
        Deposed = [OldPrimary],
        InitWal = Lsn.Parse("0/3000060"),
    };

    private static ClusterObservation Seen(bool sharded, params PeerId[] members) => new()
    {
        Members = [.. members],
        Reports = members.ToImmutableDictionary(m => m.Id, _ => new PeerReport(true, Lsn.Parse("0/3000060"), true, false)),
        ReapReplacedIncarnations = sharded,
    };

    [Fact]
    public void A_gone_deposed_incarnation_is_reaped_once_its_instance_runs_elsewhere_and_the_newcomer_joins_the_tail()
    {
        var reap = Assert.IsType<Transition>(ClusterRules.Evaluate(AfterTakeover, Seen(true, Primary, Sync, NewIncarnation)));
        Assert.Equal(TransitionReason.IncarnationReplaced, reap.Reason);
        Assert.Empty(reap.Next.Deposed);
        Assert.Equal(AfterTakeover.Generation, reap.Next.Generation);
        Assert.Contains("pg-1.host-d", reap.Detail);

        var upkeep = Assert.IsType<Transition>(ClusterRules.Evaluate(reap.Next, Seen(true, Primary, Sync, NewIncarnation)));
        Assert.Equal(TransitionReason.AsyncsUpdated, upkeep.Reason);
        Assert.Equal([NewIncarnation], upkeep.Next.Async.ToArray());
    }

    [Fact]
    public void A_deposed_incarnation_that_is_still_a_member_is_not_reaped()
    {
        var decision = ClusterRules.Evaluate(AfterTakeover, Seen(true, Primary, Sync, OldPrimary, NewIncarnation));
        var t = Assert.IsType<Transition>(decision);
        Assert.Equal(TransitionReason.AsyncsUpdated, t.Reason);
        Assert.Equal([OldPrimary], t.Next.Deposed.ToArray());
    }

    [Fact]
    public void Without_a_successor_or_without_sharded_placement_nothing_is_reaped()
    {
        Assert.IsNotType<Transition>(ClusterRules.Evaluate(AfterTakeover, Seen(true, Primary, Sync)));
        var unsharded = ClusterRules.Evaluate(AfterTakeover, Seen(false, Primary, Sync, NewIncarnation));
        var t = Assert.IsType<Transition>(unsharded);
        Assert.Equal(TransitionReason.AsyncsUpdated, t.Reason);
        Assert.Equal([OldPrimary], t.Next.Deposed.ToArray());
    }
}
