using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

/// <summary>
/// <c>config set</c> / <c>config unset</c> as the pure rule decides them: one write of the settings in the same
/// generation, or a refusal that changes nothing.
/// </summary>
[Trait("Category", "Unit")]
public class SettingsChangeTests
{
    private static ScenarioCluster ThreePeers() =>
        new ScenarioCluster().Join("node1", settle: false).Join("node2", settle: false).Join("node3");

    private static OperatorCommand.Configure Set(params (string Name, string Value)[] set) =>
        new(set.ToDictionary(s => s.Name, s => s.Value), []);

    private static OperatorCommand.Configure Unset(params string[] names) => new(new Dictionary<string, string>(), names);

    private static Refusal Refused(ScenarioCluster c, OperatorCommand command, params string[] mentions)
    {
        var before = c.State;
        var refusal = Assert.IsType<Refusal>(c.Command(command));
        Assert.Equal(RefusalReason.InvalidRequest, refusal.Reason);
        Assert.Same(before, c.State);
        foreach (var m in mentions) Assert.Contains(m, refusal.Detail);
        return refusal;
    }

    [Fact]
    public void Set_writes_the_settings_in_the_same_generation()
    {
        var c = ThreePeers();
        var before = c.State!;
        var t = Assert.IsType<Transition>(c.Command(Set(("work_mem", "8MB"), ("Max_Connections", "200"))));
        Assert.Equal(TransitionReason.SettingsChanged, t.Reason);
        Assert.Equal(before.Version + 1, c.State!.Version);
        Assert.Equal(before.Generation, c.State.Generation);
        Assert.Equal(before with { Version = before.Version + 1, Settings = c.State.Settings }, c.State);
        Assert.Equal(["max_connections", "work_mem"], c.State.Settings.Keys);
        Assert.Equal("8MB", c.State.Settings["work_mem"]);
        Assert.Contains("work_mem = '8MB'", t.Detail);
        Assert.Contains("settings=2", c.State.ToShortString());
        Assert.Empty(c.State.Validate());
    }

    [Fact]
    public void Unset_removes_a_setting_and_an_unknown_one_is_refused()
    {
        var c = ThreePeers();
        c.Command(Set(("work_mem", "8MB"), ("statement_timeout", "5s")));
        Assert.IsType<Transition>(c.Command(Unset("statement_timeout")));
        Assert.Equal(["work_mem"], c.State!.Settings.Keys);
        Refused(c, Unset("statement_timeout"), "statement_timeout is not set");
    }

    [Theory]
    [InlineData("synchronous_commit")]
    [InlineData("synchronous_standby_names")]
    [InlineData("default_transaction_read_only")]
    [InlineData("primary_conninfo")]
    [InlineData("listen_addresses")]
    [InlineData("PORT")]
    [InlineData("ssl_cert_file")]
    [InlineData("recovery_target_lsn")]
    [InlineData("archive_command")]
    [InlineData("shared_preload_libraries")]
    [InlineData("fsync")]
    public void Owned_settings_are_refused_with_a_reason(string name)
    {
        var refusal = Refused(ThreePeers(), Set((name, "x")), "owned by the appliance");
        Assert.Contains(name.ToLowerInvariant(), refusal.Detail);
    }

    [Fact]
    public void A_refusal_of_one_setting_changes_none()
    {
        var c = ThreePeers();
        Refused(c, Set(("work_mem", "8MB"), ("synchronous_commit", "local")), "synchronous_commit");
        Assert.Empty(c.State!.Settings);
    }

    [Theory]
    [InlineData("my.setting", "extension setting")]
    [InlineData("work mem", "not a PostgreSQL setting name")]
    [InlineData("", "needs a name")]
    public void Malformed_names_are_refused(string name, string says) => Refused(ThreePeers(), Set((name, "1")), says);

    [Fact]
    public void A_value_with_a_line_break_is_refused() =>
        Refused(ThreePeers(), Set(("work_mem", "8MB\nfsync = off")), "line break");

    [Fact]
    public void Nothing_to_change_is_refused()
    {
        var c = ThreePeers();
        Refused(c, Set(), "Nothing to change");
        c.Command(Set(("work_mem", "8MB")));
        Refused(c, Set(("work_mem", "8MB")), "already has these settings");
        Refused(c, new OperatorCommand.Configure(new Dictionary<string, string> { ["work_mem"] = "4MB" }, ["work_mem"]), "both set and unset");
    }

    [Fact]
    public void A_command_for_another_generation_is_refused()
    {
        var c = ThreePeers();
        var refusal = Assert.IsType<Refusal>(c.Command(Set(("work_mem", "8MB")) with { ExpectedGeneration = c.State!.Generation + 1 }));
        Assert.Equal(RefusalReason.StaleGeneration, refusal.Reason);
    }

    [Fact]
    public void Validate_and_equality_see_the_settings()
    {
        var c = ThreePeers();
        var state = c.State!;
        var with = state with { Settings = ClusterState.NoSettings.Add("work_mem", "8MB") };
        Assert.NotEqual(state, with);
        Assert.Equal(with, state with { Settings = ClusterState.NoSettings.Add("work_mem", "8MB") });
        Assert.Contains((state with { Settings = ClusterState.NoSettings.Add("port", "1") }).Validate(), p => p.Contains("owned"));
        Assert.Contains((state with { Settings = ClusterState.NoSettings.Add("Work_Mem", "1") }).Validate(), p => p.Contains("lower case"));
    }
}
