using System.Collections.Immutable;
using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.TestKit.Xunit2;
using Akka.Util;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>Which node actors get the lease heartbeat: every one that reported, but none of a removed member.</summary>
[Trait("Category", "Unit")]
public sealed class PeerMembershipSpecs : TestKit
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;
    private static readonly Address HostB = new("akka.tcp", "appliance", "10.0.0.2", 4053);

    [Fact]
    public void A_removed_members_node_gets_no_heartbeat_until_a_member_is_up_at_its_address_again()
    {
        var membership = new PeerMembership(MembershipSource.ClusterMembers, TimeSpan.FromSeconds(3));
        var node = CreateTestProbe().Ref;
        var first = Member(HostB, uid: 1);
        membership.MemberChanged(first, At);
        membership.Record(Report("pb"), node, HostB, At);
        Assert.Equal([node], membership.LiveNodes);

        // Downed and removed: its process is gone, so nothing more is told to it; it stays known for publishes.
        membership.MemberChanged(first.Copy(MemberStatus.Down), At);
        Assert.Equal([node], membership.LiveNodes);
        membership.MemberChanged(first.Copy(MemberStatus.Removed), At);
        Assert.Empty(membership.LiveNodes);
        Assert.Equal([node], membership.Nodes);

        // Restarted at the same address: Up again before its first report, so the heartbeat resumes at once.
        membership.MemberChanged(Member(HostB, uid: 2), At);
        Assert.Equal([node], membership.LiveNodes);
    }

    [Fact]
    public void The_removal_of_an_older_incarnation_does_not_silence_the_new_one()
    {
        var membership = new PeerMembership(MembershipSource.ClusterMembers, TimeSpan.FromSeconds(3));
        var node = CreateTestProbe().Ref;
        var old = Member(HostB, uid: 1);
        membership.MemberChanged(Member(HostB, uid: 2), At);   // the new incarnation is Up first
        membership.Record(Report("pb"), node, HostB, At);
        membership.MemberChanged(old.Copy(MemberStatus.Removed), At);
        Assert.Equal([node], membership.LiveNodes);
    }

    /// <summary>An Up member; Akka keeps <c>Member.Create</c> internal, and a real cluster cannot give two incarnations at one address.</summary>
    private static Member Member(Address address, int uid) =>
        (Member)typeof(Member).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static,
                [typeof(UniqueAddress), typeof(int), typeof(MemberStatus), typeof(ImmutableHashSet<string>), typeof(AppVersion)])!
            .Invoke(null, [new UniqueAddress(address, uid), 1, MemberStatus.Up, ImmutableHashSet.Create("db"), AppVersion.Zero])!;

    private static NodeProtocol.StatusReport Report(string id) =>
        new(new PeerId(id, "10.0.0.2", 5432), new PeerReport(true, Lsn.Zero), 0, PeerRole.Unassigned, false);
}
