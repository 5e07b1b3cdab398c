using Appliance.Actors.Instance;
using Appliance.Host.Api;
using Appliance.Host.Cli;
using Appliance.Host.Node;
using Appliance.Nodes.State;

namespace Appliance.Host.Tests.Unit;

/// <summary>The host side of issue 15 parts 3–5: the hook runner, tags, the <c>--at</c> time and <c>noloadbalance</c>.</summary>
[Trait("Category", "Unit")]
public sealed class OperationsUnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-ops-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_role_change_hook_gets_new_role_old_role_and_generation_as_arguments_and_environment()
    {
        var log = Path.Combine(_dir, "hook.log");
        var hook = new RoleChangeHook($"echo \"$APPLIANCE_PEER $APPLIANCE_NEW_ROLE $APPLIANCE_OLD_ROLE $APPLIANCE_GENERATION\" > {log}; echo", TimeSpan.FromSeconds(30));
        var outcome = await hook.RunAsync("n2", PeerRole.Primary, PeerRole.Sync, 7);
        Assert.Equal(new RoleChangeHook.Outcome(0, false, null), outcome);
        Assert.Equal("n2 primary sync 7", File.ReadAllText(log).Trim());

        var args = Path.Combine(_dir, "args.log");
        var script = Path.Combine(_dir, "hook.sh");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$1 $2 $3\" > {args}\nexit 3\n");
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var exit = await new RoleChangeHook(script, TimeSpan.FromSeconds(30)).RunAsync("n1", PeerRole.Deposed, PeerRole.Primary, 4);
        Assert.Equal(3, exit.ExitCode);
        Assert.Equal("deposed primary 4", File.ReadAllText(args).Trim());
    }

    [Fact]
    public async Task A_hook_that_runs_past_its_timeout_is_killed_and_reported_as_timed_out()
    {
        var started = DateTime.UtcNow;
        var outcome = await new RoleChangeHook("sleep 30; true", TimeSpan.FromMilliseconds(300)).RunAsync("n1", PeerRole.Async, PeerRole.Unassigned, 1);
        Assert.True(outcome.TimedOut);
        Assert.Null(outcome.ExitCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the hook was not killed at its timeout");
    }

    [Fact]
    public void Tags_and_the_hook_come_from_the_node_options_and_reach_the_node_actor()
    {
        var values = new Dictionary<string, string>
        {
            ["name"] = "n1", ["akka-port"] = "4053", ["pg-port"] = "5432", ["data-dir"] = "/tmp/x",
            ["seed-nodes"] = "127.0.0.1:4053", ["state-store"] = "sqlite:/tmp/x/state.db", ["pg-password"] = "pw",
            ["tag"] = "nofailover,noloadbalance", ["on-role-change"] = "/usr/local/bin/notify", ["on-role-change-timeout"] = "5",
        };
        var o = NodeOptionsLoader.Build([values], null, _ => "generated");
        Assert.Equal(PeerTags.NoFailover | PeerTags.NoLoadBalance, o.Tags);
        var node = NodeExtras.Apply(DatabaseNodeSettings.Default, o);
        Assert.Equal(o.Tags, node.Tags);
        Assert.Equal(new RoleChangeHook("/usr/local/bin/notify", TimeSpan.FromSeconds(5)), node.OnRoleChange);

        values["tag"] = "nofailure";
        var e = Assert.Throws<NodeConfigurationException>(() => NodeOptionsLoader.Build([values], null, _ => "generated"));
        Assert.Contains("nofailure", e.Message);
    }

    [Fact]
    public void A_noloadbalance_replica_fails_the_replica_check_but_not_the_others()
    {
        var status = new StatusDto("n1", "127.0.0.1", 5432, "async", "async", 3, 3, 1, true, false, false, true, 1, "0/3000000", "0/3000000", null, 0, null, null, 100, 101,
            Tags: ["noloadbalance"]);
        Assert.False(RoleChecks.Passes("replica", status));
        Assert.True(RoleChecks.Passes("async", status));
        Assert.True(RoleChecks.Passes("replica", status with { Tags = ["nofailover"] }));
    }

    [Fact]
    public void Switchover_at_takes_ISO_8601_or_a_relative_time()
    {
        var now = new DateTimeOffset(2026, 12, 5, 1, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddMinutes(30), OperationVerbs.ParseTime("+30m", now));
        Assert.Equal(now.AddHours(2), OperationVerbs.ParseTime("+2h", now));
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero), OperationVerbs.ParseTime("2026-12-05T03:00:00", now));
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 2, 0, 0, TimeSpan.Zero), OperationVerbs.ParseTime("2026-12-05T03:00:00+01:00", now));
        Assert.Throws<CliException>(() => OperationVerbs.ParseTime("soon", now));
        Assert.Throws<CliException>(() => OperationVerbs.ParseTime("+5x", now));
    }
}
