using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Tests.Serialization;

/// <summary>One filled-in instance of every appliance message, with every optional part set somewhere.</summary>
internal static class SampleMessages
{
    public static readonly DateTimeOffset At = new(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);

    /// <summary>A state with every field set: sync, asyncs, deposed, initWal and a freeze.</summary>
    public static readonly ClusterState FullState = new()
    {
        Version = 7,
        Generation = 3,
        Primary = new PeerId("n2", "10.0.0.2", 5432),
        Sync = new PeerId("n3", "10.0.0.3", 5433),
        Async = [new PeerId("n4", "10.0.0.4", 5432), new PeerId("n5", "db5.example", 6432)],
        Deposed = [new PeerId("n1", "10.0.0.1", 5432)],
        InitWal = Lsn.Parse("16/B374D848"),
        Freeze = new FreezeInfo("maintenance window", At),
    };

    /// <summary>A history with two earlier timelines.</summary>
    public static readonly TimelineHistory History3 =
        new(3, [new TimelineSwitch(1, Lsn.Parse("0/3000060")), new TimelineSwitch(2, Lsn.Parse("16/B374D848"))]);

    /// <summary><see cref="FullState"/> as written since states record the history initWal is on and the cluster id.</summary>
    public static readonly ClusterState FullStateWithHistory = FullState with { InitHistory = History3, ClusterId = "0b6f1c1e-5d39-4c55-9a55-3f2e1f7c9d10" };

    /// <summary>A standby cluster's state: it follows another cluster (issue 17 §5).</summary>
    public static readonly ClusterState StandbyClusterState = FullStateWithHistory with { StandbyOf = StandbySource.Parse("10.1.0.1:5432,[fd00::2]:5433") };

    /// <summary>A singleton state: no sync, no asyncs.</summary>
    public static readonly ClusterState SingletonState = new()
    {
        Version = 1,
        Generation = 1,
        Primary = new PeerId("solo", "127.0.0.1", 5432),
        Singleton = true,
        Freeze = new FreezeInfo("cluster started in singleton mode", At),
    };

    public static readonly ClusterStateProtocol.StateRecorded Recorded =
        new(FullState, TransitionReason.SyncTakeover, "primary n1 is gone: sync n2 became primary at 16/B374D848.", At);

    /// <summary><see cref="Recorded"/> as written since states record the history initWal is on.</summary>
    public static readonly ClusterStateProtocol.StateRecorded RecordedWithHistory = Recorded with { State = FullStateWithHistory };

    public static IEnumerable<object> All() =>
    [
        new ClusterStateProtocol.StateChanged(7, FullState),
        new ClusterStateProtocol.StateChanged(7, FullStateWithHistory),
        RecordedWithHistory,
        new ClusterStateProtocol.StateChanged(1, SingletonState),
        new ClusterStateProtocol.StateChanged(7, StandbyClusterState),
        ClusterStateProtocol.GetState.Instance,
        new ClusterStateProtocol.CurrentState(FullState, new Refusal(RefusalReason.NotCaughtUp, "short of initWal")),
        new ClusterStateProtocol.CurrentState(FullState, new Refusal(RefusalReason.NeedsFencedPosition, "read it",
            new PositionProbe("n3", new WalFence.NameSync("n4")))),
        new ClusterStateProtocol.CurrentState(null, null),
        new ClusterStateProtocol.CurrentState(FullState, null, CoordinatorPeers: ["node3"]),
        ClusterStateProtocol.GetHistory.Instance,
        Recorded,
        new ClusterStateProtocol.History([Recorded, Recorded with { State = SingletonState, Reason = TransitionReason.InitialSetup }]),
        new ClusterStateProtocol.History([]),
        new NodeProtocol.StatusReport(new PeerId("n4", "10.0.0.4", 5432),
            new PeerReport(true, Lsn.Parse("0/3000060"), HasExistingData: true, ReadyToRejoin: true), 6, PeerRole.Async, false),
        new NodeProtocol.RaiseFence(42, WalFence.StopReceivingWal),
        new NodeProtocol.RaiseFence(43, new WalFence.NameSync("n4")),
        new NodeProtocol.RaiseFence(45, WalFence.StopReceivingWal, new FenceOwner("3f9c2a7b1d0e", 7, 45)),
        new NodeProtocol.LiftFence(WalFence.StopReceivingWal, new FenceOwner("3f9c2a7b1d0e", 7, 45)),
        new ClusterStateProtocol.StateChanged(7, FullStateWithHistory, "3f9c2a7b1d0e"),
        new NodeProtocol.FenceRaised(42, "n3", Lsn.Parse("FFFFFFFF/FFFFFFFF")),
        new NodeProtocol.FenceRaised(44, "n3", Lsn.Parse("16/B374D848"), History3),
        new NodeProtocol.FenceRaised(45, "n3", Lsn.Parse("0/301F7D8"), History3, Lsn.Parse("0/3020000")),
        new NodeProtocol.StatusReport(new PeerId("n1", "10.0.0.1", 5432),
            new PeerReport(true, Lsn.Parse("16/B374D848"), HasExistingData: true, ReadyToRejoin: true, History: History3,
                RewoundOnto: new RejoinTarget("n2", 3, 3)), 7, PeerRole.Deposed, false),
        new NodeProtocol.StatusReport(new PeerId("n2", "10.0.0.2", 5432), new PeerReport(true, Lsn.Parse("0/3000060")), 7, PeerRole.Sync, false,
            SecretFingerprints: ["5d41402abc4b2a76b9719d911017c592", "7d793037a0760186574b0282f2f435e7"]),
        new NodeProtocol.FenceFailed(43, "n2", "PostgreSQL is not running"),
        new NodeProtocol.LiftFence(new WalFence.NameSync("n4")),
        new OperatorProtocol.Submit(new OperatorCommand.Freeze("upgrade") { ExpectedGeneration = 3 }),
        new OperatorProtocol.Submit(new OperatorCommand.Unfreeze()),
        new OperatorProtocol.Submit(new OperatorCommand.Switchover("n4")),
        new OperatorProtocol.Submit(new OperatorCommand.Switchover()),
        new OperatorProtocol.Submit(new OperatorCommand.Rebuild("n1")),
        new OperatorProtocol.Submit(new OperatorCommand.Reap("n1") { ExpectedGeneration = 2 }),
        new OperatorProtocol.Accepted(Recorded),
        new OperatorProtocol.Refused(RefusalReason.AlreadyFrozen, "already frozen"),
        new NodeDeparted("n3", "shutting down"),
        new CoordinatorSnapshot(FullState),
        new OperatorProtocol.Submit(new OperatorCommand.Scale(5)),
        new OperatorProtocol.Submit(new OperatorCommand.Scale(1, Force: true) { ExpectedGeneration = 4 }),
        new ClusterStateProtocol.StateChanged(8, FullState with { Version = 8, Instances = 5 }),
        new InstanceProtocol.StartInstance("pg-3"),
        new InstanceProtocol.StopInstance("pg-5"),
        CredentialProtocol.GetSecretFingerprints.Instance,
        new CredentialProtocol.SecretFingerprints(new Dictionary<string, IReadOnlyList<string>> { ["n1"] = ["00ff", "a1b2"], ["n2"] = [] }),
        new OperatorProtocol.Submit(new OperatorCommand.Maintenance("n4", On: true)),
        new OperatorProtocol.Submit(new OperatorCommand.Maintenance("n4", On: false) { ExpectedGeneration = 3 }),
        new OperatorProtocol.Submit(new OperatorCommand.Failover("n4", AcceptDataLoss: true)),
        new OperatorProtocol.Submit(new OperatorCommand.Failover("n5", AcceptDataLoss: false)),
        new OperatorProtocol.Submit(new OperatorCommand.ScheduleSwitchover(At.AddHours(2), "n4")),
        new OperatorProtocol.Submit(new OperatorCommand.ScheduleSwitchover(At.AddHours(2))),
        new OperatorProtocol.Submit(new OperatorCommand.CancelSwitchover()),
        new OperatorProtocol.Submit(new OperatorCommand.PromoteCluster { ExpectedGeneration = 2 }),
        new ClusterStateProtocol.StateChanged(9, FullState with
        {
            Version = 9, Async = [new PeerId("n4", "10.0.0.4", 5432)], Maintenance = ["n5"],
            ScheduledSwitchover = new ScheduledSwitchover(At.AddHours(2), "n4", At),
        }),
        new NodeProtocol.StatusReport(new PeerId("n5", "10.0.0.5", 5432),
            new PeerReport(true, Lsn.Parse("0/3000060"), Tags: PeerTags.NoFailover | PeerTags.NoLoadBalance), 9, PeerRole.Maintenance, false),
        new NodeProtocol.StatusReport(new PeerId("n6", "10.0.0.6", 5432),
            new PeerReport(true, Lsn.Parse("0/3000060"), StandbyOf: StandbySource.Parse("10.1.0.1:5432,[::1]:5433")), 9, PeerRole.Async, false),
        new ClusterStateProtocol.StateChanged(9, FullStateWithSettings),
        new OperatorProtocol.Submit(new OperatorCommand.Configure(new Dictionary<string, string> { ["work_mem"] = "8MB", ["max_connections"] = "200" },
            ["statement_timeout"]) { ExpectedGeneration = 3 }),
        new OperatorProtocol.Submit(new OperatorCommand.Configure(new Dictionary<string, string>(), ["work_mem"])),
        new NodeCommandProtocol.Command("n3", NodeCommandProtocol.Action.RestartIfPending),
        new NodeCommandProtocol.Command("n4", NodeCommandProtocol.Action.Reload),
        new NodeCommandProtocol.Outcome("n3", false, "not restarted: no restart pending"),
        new BackupProtocol.Start("n1", "full"),
        new BackupProtocol.GetProgress("n1"),
        new BackupProtocol.Progress("n1", "3f2a", "running", 42.5, "backup file base/1/1259 (8KB, 42.50%)"),
        new BackupProtocol.Progress("n2", null, "refused", null, "n2 is not the primary"),
        new BackupProtocol.Report("n1", new Appliance.Nodes.Backup.BackupStatus(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero), "full=7d,diff=1d",
            new Appliance.Nodes.Backup.BackupEntry("20261206-095026F", "full", new DateTimeOffset(2026, 12, 6, 9, 50, 26, TimeSpan.Zero),
                new DateTimeOffset(2026, 12, 6, 9, 50, 28, TimeSpan.Zero), "000000010000000000000003", "000000010000000000000003", "0/3000028", "0/3000138",
                23295754, 4565667, null, false),
            new Appliance.Nodes.Backup.BackupFailure(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero), "diff", "ERROR: [047]: unable to create path"), 42.5)),
        new BackupProtocol.Report("n2", new Appliance.Nodes.Backup.BackupStatus(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero), null, null, null, null)),
        new BackupProtocol.GetServer("n1"),
        new BackupProtocol.Server("n1", "db1.example.net", "/var/lib/appliance/n1/pgdata", 8432, null),
        new BackupProtocol.Server("n2", null, "/var/lib/appliance/n2/pgdata", null, "TLS is not configured"),
        FormationProtocol.Probe.Instance,
        new FormationProtocol.Answer("akka.tcp://appliance@10.0.0.1:4053", []),
        new FormationProtocol.Answer("akka.tcp://appliance@10.0.0.2:4053", ["akka.tcp://appliance@10.0.0.1:4053", "akka.tcp://appliance@10.0.0.2:4053"]),
        new FormationProtocol.Answer("akka.tcp://appliance@10.0.0.3:4053", [], "akka.tcp://appliance@10.0.0.2:4053"),
        new FormationProtocol.Answer("akka.tcp://appliance@10.0.0.2:4053", ["akka.tcp://appliance@10.0.0.2:4053"], null,
            ["akka.tcp://appliance@10.0.0.1:4053#-1580329587", "akka.tcp://appliance@10.0.0.2:4053#1760755272"]),
        Outage,
        new WriteOutageProtocol.Measured(9, WriteOutageKind.Switchover, At, At.AddMilliseconds(850), WriteOutageStart.FirstFence),
        new WriteOutageProtocol.GetOutages(),
        new WriteOutageProtocol.GetOutages(12),
        new WriteOutageProtocol.Outages([Outage], 1, More: true),
        new WriteOutageProtocol.Outages([], 0),
    ];

    /// <summary>A failover's outage as the outage journal stores it.</summary>
    public static readonly WriteOutageProtocol.Measured Outage =
        new(7, WriteOutageKind.Failover, At, At.AddMilliseconds(4321), WriteOutageStart.LastReport);

    /// <summary><see cref="FullState"/> with cluster-wide settings.</summary>
    public static readonly ClusterState FullStateWithSettings = FullState with
    {
        Version = 9,
        Settings = ClusterState.NoSettings.Add("work_mem", "8MB").Add("max_connections", "200"),
    };

    /// <summary>Records holding lists compare them by reference; this compares what a reader sees.</summary>
    public static void AssertSame(object expected, object actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        if (expected is ClusterStateProtocol.History h)
            Assert.Equal(h.Entries, ((ClusterStateProtocol.History)actual).Entries);
        else if (expected is WriteOutageProtocol.Outages o)
        {
            var read = (WriteOutageProtocol.Outages)actual;
            Assert.Equal(o.Entries, read.Entries);
            Assert.Equal((o.Through, o.More), (read.Through, read.More));
        }
        else if (expected is CredentialProtocol.SecretFingerprints f)
            Assert.Equal(f.ByPeer.OrderBy(p => p.Key).Select(p => (p.Key, string.Join(",", p.Value))),
                ((CredentialProtocol.SecretFingerprints)actual).ByPeer.OrderBy(p => p.Key).Select(p => (p.Key, string.Join(",", p.Value))));
        else if (expected is NodeProtocol.StatusReport { SecretFingerprints: { } fingerprints } report)
        {
            var read = (NodeProtocol.StatusReport)actual;
            Assert.Equal(fingerprints, read.SecretFingerprints);
            Assert.Equal(report with { SecretFingerprints = null }, read with { SecretFingerprints = null });
        }
        else if (expected is ClusterStateProtocol.CurrentState { CoordinatorPeers: { } coordinatorPeers } current)
        {
            var read = (ClusterStateProtocol.CurrentState)actual;
            Assert.Equal(coordinatorPeers, read.CoordinatorPeers!);
            Assert.Equal(current with { CoordinatorPeers = null }, read with { CoordinatorPeers = null });
        }
        else if (expected is FormationProtocol.Answer answer)
        {
            var read = (FormationProtocol.Answer)actual;
            Assert.Equal(answer.Address, read.Address);
            Assert.Equal(answer.Members, read.Members);
            Assert.Equal(answer.Vote, read.Vote);
            Assert.Equal(answer.Incarnations, read.Incarnations);
        }
        else
            Assert.Equal(expected, actual);
    }
}
