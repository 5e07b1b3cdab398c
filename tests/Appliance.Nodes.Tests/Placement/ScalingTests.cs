using System.Collections.Immutable;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Placement;

/// <summary>The operator's scale command (placement mode) and how async upkeep honours the scaled size.</summary>
[Trait("Category", "Unit")]
public class ScalingTests
{
    private static PeerId P(string id, int port) => new(id, "127.0.0.1", port);

    private static readonly PeerId Pg1 = P("pg-1.host-a", 20001);
    private static readonly PeerId Pg2 = P("pg-2.host-b", 20002);
    private static readonly PeerId Pg3 = P("pg-3.host-c", 20003);
    private static readonly PeerId Pg4 = P("pg-4.host-d", 20004);
    private static readonly PeerId Pg5 = P("pg-5.host-e", 20005);

    private static ClusterState State(PeerId primary, PeerId sync, params PeerId[] asyncs) => new()
    {
        Version = 10,
        Generation = 2,
        Primary = primary,
        Sync = sync,
        Async = [.. asyncs],
        InitWal = Lsn.Parse("0/3000060"),
    };

    private static ClusterObservation Seen(OperatorCommand? command, params PeerId[] members) => new()
    {
        Members = [.. members],
        Reports = members.ToImmutableDictionary(m => m.Id, _ => new PeerReport(true, Lsn.Parse("0/3000060"), true, false)),
        ReapReplacedIncarnations = true,
        Command = command,
    };

    [Fact]
    public void Growing_records_the_size_and_new_instances_join_the_tail()
    {
        var state = State(Pg1, Pg2, Pg3);
        var scaled = Assert.IsType<Transition>(ClusterRules.Evaluate(state, Seen(new OperatorCommand.Scale(5), Pg1, Pg2, Pg3)));
        Assert.Equal(TransitionReason.Scaled, scaled.Reason);
        Assert.Equal(5, scaled.Next.Instances);
        Assert.Equal(state.Generation, scaled.Next.Generation);

        var upkeep = Assert.IsType<Transition>(ClusterRules.Evaluate(scaled.Next, Seen(null, Pg1, Pg2, Pg3, Pg4, Pg5)));
        Assert.Equal([Pg3, Pg4, Pg5], upkeep.Next.Async.ToArray());
    }

    [Fact]
    public void Shrinking_takes_the_instances_above_the_size_out_of_the_chain_and_upkeep_never_takes_them_back()
    {
        var state = State(Pg1, Pg2, Pg3, Pg4, Pg5) with { Instances = 5 };
        var scaled = Assert.IsType<Transition>(ClusterRules.Evaluate(state, Seen(new OperatorCommand.Scale(3), Pg1, Pg2, Pg3, Pg4, Pg5)));
        Assert.Equal([Pg3], scaled.Next.Async.ToArray());
        Assert.Equal(3, scaled.Next.Instances);
        Assert.Equal(state.Primary, scaled.Next.Primary);
        Assert.Equal(state.Sync, scaled.Next.Sync);

        // Their hosts have not stopped them yet: still members, but no newcomers.
        Assert.IsNotType<Transition>(ClusterRules.Evaluate(scaled.Next, Seen(null, Pg1, Pg2, Pg3, Pg4, Pg5)));
    }

    [Fact]
    public void Shrinking_below_three_is_refused_unless_forced()
    {
        var state = State(Pg1, Pg2, Pg3);
        var refused = Assert.IsType<Refusal>(ClusterRules.Evaluate(state, Seen(new OperatorCommand.Scale(2), Pg1, Pg2, Pg3)));
        Assert.Equal(RefusalReason.BelowMinimum, refused.Reason);
        Assert.IsType<Refusal>(ClusterRules.Evaluate(state, Seen(new OperatorCommand.Scale(0, Force: true), Pg1, Pg2, Pg3)));
    }

    [Fact]
    public void Shrinking_never_removes_the_primary_or_the_sync()
    {
        var state = State(Pg4, Pg1, Pg2, Pg3) with { Instances = 4 };
        var refused = Assert.IsType<Refusal>(ClusterRules.Evaluate(state, Seen(new OperatorCommand.Scale(3), Pg1, Pg2, Pg3, Pg4)));
        Assert.Equal(RefusalReason.SwitchoverFirst, refused.Reason);
        Assert.Contains("pg-4.host-d", refused.Detail);
        var forced = Assert.IsType<Refusal>(ClusterRules.Evaluate(state, Seen(new OperatorCommand.Scale(3, Force: true), Pg1, Pg2, Pg3, Pg4)));
        Assert.Equal(RefusalReason.SwitchoverFirst, forced.Reason);
    }

    [Fact]
    public void Scaling_needs_placement_mode()
    {
        var state = State(Pg1, Pg2, Pg3);
        var refused = Assert.IsType<Refusal>(ClusterRules.Evaluate(state,
            Seen(new OperatorCommand.Scale(5), Pg1, Pg2, Pg3) with { ReapReplacedIncarnations = false }));
        Assert.Equal(RefusalReason.InvalidRequest, refused.Reason);
    }
}
