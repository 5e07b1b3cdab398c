using System.Runtime.Serialization;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Serialization;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;
using Appliance.Actors.Serialization;
using Appliance.Nodes.State;
using CsCheck;
using Xunit.Abstractions;

namespace Appliance.Actors.Tests.Serialization;

/// <summary>The appliance serializer: bindings, manifests, round trips, strict reading, and the stored format.</summary>
[Trait("Category", "Unit")]
public sealed partial class ApplianceSerializerSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public ApplianceSerializerSpecs(ITestOutputHelper output) : base(ApplianceSerialization.Config, "serializer-spec", output)
    {
        _output = output;
    }

    private SerializerWithStringManifest Serializer => (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(IApplianceMessage));

    public static IEnumerable<object[]> Samples() => SampleMessages.All().Select(m => new[] { m.GetType().Name, m });

    [Fact]
    public void Every_appliance_message_is_bound_to_the_appliance_serializer()
    {
        foreach (var type in MessageTypes())
            Assert.IsType<ApplianceSerializer>(Sys.Serialization.FindSerializerForType(type));
        Assert.Equal(4242, Serializer.Identifier);
    }

    [Fact]
    public void Every_appliance_message_type_has_one_stable_versioned_manifest_and_a_sample()
    {
        Assert.Equal(MessageTypes().OrderBy(t => t.FullName), ApplianceManifests.All.Select(m => m.Type).OrderBy(t => t.FullName));
        Assert.Equal(ApplianceManifests.All.Count, ApplianceManifests.All.Select(m => m.Manifest).Distinct().Count());
        Assert.All(ApplianceManifests.All, m => Assert.Matches(ManifestPattern(), m.Manifest));
        Assert.Equal(MessageTypes().OrderBy(t => t.FullName), SampleMessages.All().Select(m => m.GetType()).Distinct().OrderBy(t => t.FullName));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_survives_a_round_trip(string name, object message)
    {
        var manifest = Serializer.Manifest(message);
        var bytes = Serializer.ToBinary(message);
        _output.WriteLine($"{name} as {manifest}: {Encoding.UTF8.GetString(bytes)}");
        SampleMessages.AssertSame(message, Serializer.FromBinary(bytes, manifest));
    }

    [Fact]
    public void Generated_states_survive_a_round_trip_in_every_message_that_carries_one()
    {
        StateGen.Sample(state =>
        {
            object[] carriers =
            [
                new ClusterStateProtocol.StateChanged(state.Version, state),
                new ClusterStateProtocol.StateRecorded(state, TransitionReason.AsyncsUpdated, "generated", SampleMessages.At),
                new CoordinatorSnapshot(state),
            ];
            foreach (var message in carriers)
                Assert.Equal(message, Serializer.FromBinary(Serializer.ToBinary(message), Serializer.Manifest(message)));
        }, iter: 500);
    }

    [Fact]
    public void The_persisted_event_keeps_its_stored_form()
    {
        AssertGolden("state-recorded.v1", SampleMessages.Recorded);
    }

    [Fact]
    public void The_persisted_event_with_its_initWal_history_keeps_its_stored_form()
    {
        AssertGolden("state-recorded.v1", SampleMessages.RecordedWithHistory, "state-recorded.v1.with-history");
    }

    [Fact]
    public void A_standby_clusters_state_keeps_its_stored_form_with_its_source()
    {
        AssertGolden("state-recorded.v1", SampleMessages.Recorded with
        {
            State = SampleMessages.StandbyClusterState, Reason = TransitionReason.InitialSetup,
            Detail = "Standby cluster set up, following 10.1.0.1:5432,[fd00::2]:5433: standby leader n2, sync n3, asyncs n4,n5.",
        },
            "state-recorded.v1.standby-cluster");
    }

    [Fact]
    public void A_state_stored_before_standby_clusters_reads_as_a_normal_cluster()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Serialization", "Golden", "state-recorded.v1.with-history.json");
        Assert.DoesNotContain("standbyOf", File.ReadAllText(path));
        var stored = (ClusterStateProtocol.StateRecorded)Serializer.FromBinary(File.ReadAllBytes(path), "state-recorded.v1");
        Assert.Null(stored.State.StandbyOf);
        Assert.False(stored.State.IsStandbyCluster);
    }

    [Fact]
    public void A_state_stored_before_histories_were_recorded_reads_with_none()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Serialization", "Golden", "state-recorded.v1.json");
        var stored = (ClusterStateProtocol.StateRecorded)Serializer.FromBinary(File.ReadAllBytes(path), "state-recorded.v1");
        Assert.Null(stored.State.InitHistory);
        Assert.Equal(SampleMessages.FullState, stored.State);
    }

    [Fact]
    public void A_formation_answer_from_a_node_that_does_not_vote_reads_as_naming_no_one()
    {
        // Nodes of the version before votes send the answer without one; they must count as naming no one.
        const string json = """{"address":"akka.tcp://appliance@10.0.0.1:4053","members":[]}""";
        var answer = (FormationProtocol.Answer)Serializer.FromBinary(Encoding.UTF8.GetBytes(json), "formation-answer.v1");
        Assert.Null(answer.Vote);
        Assert.Empty(answer.Members);
        Assert.Null(answer.Incarnations);   // nor says which incarnations its cluster holds: a restarted node joins it at once
    }

    [Fact]
    public void An_out_of_order_history_is_a_serialization_error()
    {
        const string json = """{"probeId":1,"peerId":"n1","position":"0/0","history":{"timeline":2,"past":[{"timeline":3,"switchPoint":"0/10"}]}}""";
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary(Encoding.UTF8.GetBytes(json), "fence-raised.v1"));
        Assert.Contains("out of order", e.ToString());
    }

    [Fact]
    public void The_persisted_snapshot_keeps_its_stored_form()
    {
        AssertGolden("coordinator-snapshot.v1", new CoordinatorSnapshot(SampleMessages.FullState));
    }

    [Fact]
    public void The_persisted_write_outage_keeps_its_stored_form()
    {
        AssertGolden("write-outage-measured.v1", SampleMessages.Outage);
    }

    [Fact]
    public void Settings_are_written_only_when_set_and_read_back_by_name()
    {
        var json = Encoding.UTF8.GetString(Serializer.ToBinary(new CoordinatorSnapshot(SampleMessages.FullStateWithSettings)));
        Assert.Contains("\"settings\":{\"max_connections\":\"200\",\"work_mem\":\"8MB\"}", json);
        var read = (CoordinatorSnapshot)Serializer.FromBinary(Encoding.UTF8.GetBytes(json), "coordinator-snapshot.v1");
        Assert.Equal(SampleMessages.FullStateWithSettings, read.State);
        Assert.Equal("8MB", read.State.Settings["work_mem"]);
        Assert.DoesNotContain("settings", Encoding.UTF8.GetString(Serializer.ToBinary(new CoordinatorSnapshot(SampleMessages.FullState))));
        var command = Encoding.UTF8.GetString(Serializer.ToBinary(new OperatorProtocol.Submit(
            new OperatorCommand.Configure(new Dictionary<string, string> { ["work_mem"] = "8MB" }, ["x"]))));
        Assert.Contains("\"kind\":\"configure\"", command);
        Assert.Contains("\"set\":{\"work_mem\":\"8MB\"}", command);
        Assert.Contains("\"unset\":[\"x\"]", command);
    }

    [Fact]
    public void An_unknown_manifest_is_a_serialization_error_that_names_it()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary("{}"u8.ToArray(), "state-recorded.v99"));
        Assert.Contains("state-recorded.v99", e.Message);
    }

    [Theory]
    [InlineData("fence-raised.v1", """{"probeId":1,"peerId":"n1","position":"not an lsn"}""")]
    [InlineData("raise-fence.v1", """{"probeId":1,"fence":{"kind":"hold-everything","peerId":null}}""")]
    [InlineData("raise-fence.v1", """{"probeId":1,"fence":{"kind":"name-sync","peerId":null}}""")]
    [InlineData("submit.v1", """{"command":{"kind":"freeze"}}""")]
    [InlineData("state-changed.v1", """{"version":1}""")]
    [InlineData("status-report.v1", """{"peer":{"id":"","host":"h","port":5432},"report":{"postgresUp":true,"wal":"0/0"},"appliedVersion":0,"role":"Async","readWrite":false}""")]
    [InlineData("status-report.v1", """{"peer":{"id":"n1","host":"h","port":70000},"report":{"postgresUp":true,"wal":"0/0"},"appliedVersion":0,"role":"Async","readWrite":false}""")]
    [InlineData("fence-failed.v1", """{"probeId":1,"peerId":"n1","reason":null}""")]
    [InlineData("lift-fence.v1", "not json")]
    [InlineData("write-outage-measured.v1", """{"version":7,"kind":"Outage","startedAt":"2026-11-26T06:00:00+00:00","endedAt":"2026-11-26T06:00:04.321+00:00","from":"LastReport"}""")]
    [InlineData("write-outage-measured.v1", """{"version":7,"kind":"Failover","startedAt":"2026-11-26T06:00:00+00:00","from":"LastReport"}""")]
    public void A_body_that_does_not_fit_its_manifest_is_a_serialization_error(string manifest, string json)
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary(Encoding.UTF8.GetBytes(json), manifest));
        _output.WriteLine(e.Message);
        Assert.Contains(manifest, e.Message);
    }

    [Fact]
    public void Enums_and_positions_are_written_by_name_and_in_PostgreSQL_form()
    {
        var json = Encoding.UTF8.GetString(Serializer.ToBinary(new NodeProtocol.FenceRaised(1, "n1", Lsn.Parse("16/B374D848"))));
        Assert.Contains("\"position\":\"16/B374D848\"", json);
        json = Encoding.UTF8.GetString(Serializer.ToBinary(new OperatorProtocol.Refused(RefusalReason.NotCaughtUp, "x")));
        Assert.Contains("\"reason\":\"NotCaughtUp\"", json);
    }

    private void AssertGolden(string manifest, object message, string? file = null)
    {
        Assert.Equal(manifest, Serializer.Manifest(message));
        var path = Path.Combine(AppContext.BaseDirectory, "Serialization", "Golden", (file ?? manifest) + ".json");
        var actual = Encoding.UTF8.GetString(Serializer.ToBinary(message));
        Assert.True(File.Exists(path), $"No golden file {path}. Its content would be:\n{actual}");
        var golden = File.ReadAllText(path).Trim();
        // Reading the stored form must give the message back: that is what recovery depends on.
        SampleMessages.AssertSame(message, Serializer.FromBinary(Encoding.UTF8.GetBytes(golden), manifest));
        // Writing must give the stored form: a change here means new data differs from old data. Add a new manifest
        // version (and keep reading this one) instead of changing this file.
        Assert.Equal(golden, actual);
    }

    private static IEnumerable<Type> MessageTypes() =>
        typeof(IApplianceMessage).Assembly.GetTypes().Where(t => typeof(IApplianceMessage).IsAssignableFrom(t) && !t.IsInterface && !t.IsAbstract);

    [GeneratedRegex(@"^[a-z]+(-[a-z]+)*\.v[1-9][0-9]*$")]
    private static partial Regex ManifestPattern();

    /// <summary>Structurally varied states (not necessarily valid: the serializer must not care).</summary>
    private static readonly Gen<ClusterState> StateGen =
        from ids in Gen.Int[0, 9].Array[2, 7].Select(a => a.Distinct().Select(i => $"p{i}").ToArray()).Where(a => a.Length >= 2)
        from ports in Gen.Int[1, 65535].Array[ids.Length]
        from hasSync in Gen.Bool
        from asyncCount in Gen.Int[0, ids.Length - 2]
        from version in Gen.Long[1, long.MaxValue]
        from generation in Gen.Long[1, long.MaxValue]
        from wal in Gen.ULong
        from freeze in Gen.String.Null()
        from since in Gen.Long[0, DateTimeOffset.MaxValue.UtcTicks / 2]
        from singleton in Gen.Bool
        select Build(ids, ports, hasSync, asyncCount, version, generation, wal, freeze, since, singleton);

    private static ClusterState Build(string[] ids, int[] ports, bool hasSync, int asyncCount, long version, long generation,
        ulong wal, string? freeze, long since, bool singleton)
    {
        var peers = ids.Select((id, i) => new PeerId(id, $"host-{i}.example", ports[i])).ToArray();
        return new ClusterState
        {
            Version = version,
            Generation = generation,
            Primary = peers[0],
            Sync = hasSync ? peers[1] : null,
            Async = [.. peers.Skip(2).Take(asyncCount)],
            Deposed = [.. peers.Skip(2 + asyncCount)],
            InitWal = new Lsn(wal),
            Freeze = freeze is null ? null : new FreezeInfo(freeze, new DateTimeOffset(since, TimeSpan.Zero)),
            Singleton = singleton,
        };
    }
}
