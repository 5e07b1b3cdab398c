using System.Globalization;
using Appliance.Nodes.Postgres;
using Npgsql;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>Start, stop, death, stale pid files, operator settings, ownership and fencing of a single instance.</summary>
[Trait("Category", "Postgres")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LifecycleTests
{
    [Fact]
    public async Task A_postmaster_that_dies_on_its_own_is_reported_promptly_and_a_restart_clears_its_stale_pid_file()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"));
        var instance = node.Instance!;

        System.Diagnostics.Process.GetProcessById(instance.Pid).Kill(); // SIGKILL, from outside the driver
        var exit = await instance.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(exit.Requested);
        Assert.Equal(instance.Pid, exit.Pid);
        Assert.False(node.IsRunning);
        Assert.True(File.Exists(node.DataDirectory.File("postmaster.pid")), "a killed postmaster leaves its pid file");

        // Its children notice the death and leave; then the stale pid file must not block a start.
        await Eventually.TrueAsync(() => Task.FromResult(!OtherProcessesIn(node.DataDirectory.Path)), "the orphaned backends are gone");
        await node.StartPrimaryAsync(TestCluster.Peer("s"), default);
        Assert.True(node.IsRunning);
        Assert.NotEqual(instance.Pid, node.Instance!.Pid);
    }

    [Fact]
    public async Task A_postmaster_killed_by_the_driver_leaves_no_shared_memory_segment_behind()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"));
        var pidFile = PostmasterPidFile.TryParse(File.ReadAllText(node.DataDirectory.File(PostmasterPidFile.FileName)))!;
        var id = pidFile.SharedMemoryId ?? throw new InvalidOperationException("postmaster.pid names no shared memory segment");
        Assert.Equal(pidFile.Pid, OrphanedSharedMemory.Segment(id)?.Creator);

        await node.KillAsync(default);

        // A directory deleted now would otherwise leak the segment for good (kernel.shmmni allows 4096).
        Assert.Null(OrphanedSharedMemory.Segment(id));
        Assert.False(OrphanedSharedMemory.Release(node.DataDirectory.Path), "a second release finds nothing to remove");
        await node.StartPrimaryAsync(TestCluster.Peer("s"), default);
        Assert.True(node.IsRunning);
    }

    [Fact]
    public async Task A_live_postmasters_shared_memory_is_never_released()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"));
        var id = PostmasterPidFile.TryParse(File.ReadAllText(node.DataDirectory.File(PostmasterPidFile.FileName)))!.SharedMemoryId!.Value;

        Assert.False(OrphanedSharedMemory.Release(node.DataDirectory.Path));
        Assert.NotNull(OrphanedSharedMemory.Segment(id));
        Assert.Equal(1, await Sql.ScalarAsync<int>(node, "SELECT 1"));
    }

    [Fact]
    public async Task Stop_is_a_fast_shutdown_and_data_survives_a_restart()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var primary = chain[0];
        // A client in an open transaction would hold a smart shutdown forever; a fast one rolls it back.
        await using var client = await Sql.ConnectAsync(primary);
        await using (var begin = new NpgsqlCommand("BEGIN; INSERT INTO t VALUES (99)", client)) await begin.ExecuteNonQueryAsync();

        var exit = await primary.StopAsync(default);
        Assert.NotNull(exit);
        Assert.True(exit.Requested);
        Assert.Contains(exit.LogTail, l => l.Contains("received fast shutdown request"));
        Assert.DoesNotContain(exit.LogTail, l => l.Contains("smart shutdown"));

        await primary.StartPrimaryAsync(chain.Peers[1], default);
        await primary.EnableWritesWhenSyncCaughtUpAsync(chain.Peers[1], Chain.CatchUp, default);
        Assert.Equal(1L, await Sql.CountAsync(primary, "t"));
        Assert.Equal(0L, await Sql.CountAsync(primary, "t", "id = 99"));
    }

    [Fact]
    public async Task A_pid_file_of_a_live_foreign_process_is_stale_but_one_of_a_running_server_is_respected()
    {
        await using var cluster = new TestCluster();
        var p = TestCluster.Peer("p");
        var node = await cluster.NodeAsync(p);
        await node.InitializeAsync(default);
        // A pid that is alive but is not a postmaster of this directory (this test process), as after a reboot.
        File.WriteAllText(node.DataDirectory.File("postmaster.pid"), $"{Environment.ProcessId}\n{node.DataDirectory.Path}\n");
        await node.StartPrimaryAsync(TestCluster.Peer("s"), default);
        Assert.True(node.IsRunning);

        var twin = await cluster.NodeAsync(p, node.Settings);
        var e = await Assert.ThrowsAsync<InstanceAlreadyRunningException>(() => twin.StartPrimaryAsync(TestCluster.Peer("s"), default));
        Assert.Contains(node.Instance!.Pid.ToString(CultureInfo.InvariantCulture), e.Message);
        Assert.True(await node.Probe.IsAliveAsync(TimeSpan.FromSeconds(5), default));
    }

    [Fact]
    public async Task Operator_settings_in_postgresql_conf_survive_and_the_appliance_file_is_included_once()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.NodeAsync(TestCluster.Peer("p"));
        await node.InitializeAsync(default);
        var conf = node.DataDirectory.File("postgresql.conf");
        File.AppendAllText(conf, "\nwork_mem = '7MB' # the operator's own\n");

        await node.StartPrimaryAsync(TestCluster.Peer("s"), default);
        await node.StopAsync(default);
        await node.StartPrimaryAsync(TestCluster.Peer("s"), default);

        var text = File.ReadAllText(conf);
        Assert.Contains("work_mem = '7MB' # the operator's own", text);
        Assert.Single(text.Split('\n'), l => l.Trim() == ApplianceConfigFile.IncludeLine);
        Assert.Equal("7MB", await Sql.ScalarAsync<string>(node, "SHOW work_mem"));
        var (value, source) = await node.Probe.ReadSettingAsync("synchronous_standby_names", default);
        Assert.Equal("FIRST 1 (\"s\")", value);
        Assert.EndsWith(ApplianceConfigFile.FileName, source);
        Assert.Equal("on", await Sql.ScalarAsync<string>(node, "SHOW data_checksums"));
    }

    [Fact]
    public async Task PostgreSQL_runs_as_the_postgres_user_when_the_driver_is_root_and_owns_its_data_directory()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.ReadOnlyPrimaryAsync(TestCluster.Peer("p"));

        var expectedUid = PostgresOsUser.DriverIsRoot ? await UidOfAsync("postgres") : await UidOfAsync(Environment.UserName);
        Assert.Equal(expectedUid, RealUidOf(node.Instance!.Pid));
        Assert.Equal(expectedUid, await FileOwnerAsync(node.DataDirectory.Path));
        Assert.Equal(expectedUid, await FileOwnerAsync(node.DataDirectory.File(ApplianceConfigFile.FileName)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(node.DataDirectory.Path) & (UnixFileMode)0b111_111_111);
    }

    [Fact]
    public async Task Fencing_makes_the_primary_read_only_and_cuts_off_its_clients()
    {
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var primary = chain[0];
        await using var client = await Sql.ConnectAsync(primary);

        var terminated = await primary.FenceAsync(default);

        Assert.True(terminated >= 1);
        Assert.False((await primary.Probe.ReadStatusAsync(default)).ReadWrite);
        Assert.Null(primary.SyncedDownstream);
        await using (var cmd = new NpgsqlCommand("SELECT 1", client))
            await Assert.ThrowsAnyAsync<Exception>(() => cmd.ExecuteScalarAsync());
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecAsync(primary, "INSERT INTO t VALUES (5)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
    }

    private static bool OtherProcessesIn(string dataDirectory) =>
        Directory.EnumerateDirectories("/proc").Any(d => int.TryParse(Path.GetFileName(d), out var pid) && pid != Environment.ProcessId &&
                                                         IsIn(pid, dataDirectory));

    private static bool IsIn(int pid, string dataDirectory)
    {
        try { return new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(false)?.FullName == dataDirectory; }
        catch (Exception) { return false; }
    }

    private static string RealUidOf(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

    private static Task<string> UidOfAsync(string user) => Shell.RunAsync("id", "-u", user);

    private static Task<string> FileOwnerAsync(string path) => Shell.RunAsync("stat", "-c", "%u", path);
}
