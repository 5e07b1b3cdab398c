using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

[Trait("Category", "Unit")]
[Trait("Category", "Postgres")]
public sealed class ToolOutputParsingTests
{
    private const string ControlDataOutput = """
        pg_control version number:            1300
        Catalog version number:               202209061
        Database system identifier:           7712359679089601772
        Database cluster state:               shut down in recovery
        pg_control last modified:             Thu Nov 26 06:14:28 2026
        Latest checkpoint location:           0/1741868
        Latest checkpoint's TimeLineID:       3
        Latest checkpoint's PrevTimeLineID:   2
        """;

    [Fact]
    public void Control_data_yields_identity_state_and_timeline()
    {
        var control = ControlData.Parse(ControlDataOutput);
        Assert.Equal(7712359679089601772UL, control.SystemIdentifier);
        Assert.Equal("shut down in recovery", control.ClusterState);
        Assert.Equal(3, control.CheckpointTimeline);
        Assert.True(control.ShutDownCleanly);
        Assert.False((control with { ClusterState = "in production" }).ShutDownCleanly);
    }

    [Fact]
    public void Control_data_without_an_identifier_is_refused_by_name()
    {
        var e = Assert.Throws<FormatException>(() => ControlData.Parse("pg_control version number: 1300\n"));
        Assert.Contains("Database system identifier", e.Message);
    }

    [Theory]
    [InlineData("    20/39235 kB (0%), 0/1 tablespace", 20 * 1024L, 39235 * 1024L)]
    [InlineData("39245/39245 kB (100%), 1/1 tablespace", 39245 * 1024L, 39245 * 1024L)]
    [InlineData("1024/2048 kB (50%), 1/2 tablespaces (/data/base/1/1234          )", 1024 * 1024L, 2048 * 1024L)]
    public void Base_backup_progress_lines_give_bytes_done_and_total(string line, long done, long total)
    {
        var progress = BaseBackupProgress.TryParse(line);
        Assert.NotNull(progress);
        Assert.Equal((done, total), (progress.BytesDone, progress.BytesTotal));
        Assert.InRange(progress.Fraction, 0, 1);
    }

    [Theory]
    [InlineData("pg_basebackup: initiating base backup, waiting for checkpoint to complete")]
    [InlineData("")]
    [InlineData("12/ kB")]
    public void Other_base_backup_lines_are_not_progress(string line) => Assert.Null(BaseBackupProgress.TryParse(line));

    [Fact]
    public void Pid_file_gives_pid_directory_and_status()
    {
        var file = PostmasterPidFile.TryParse("9503\n/tmp/pgt/d\n1795674424\n54999\n\n127.0.0.1\n 11657308     32774\nready   \n");
        Assert.Equal(new PostmasterPidFile(9503, "/tmp/pgt/d", "ready") { SharedMemoryId = 32774 }, file);
        Assert.Equal(77, PostmasterPidFile.TryParse("-77\n/d\n")!.Pid); // a single-user backend writes its pid negated
        Assert.Null(PostmasterPidFile.TryParse("95"));
        Assert.Null(PostmasterPidFile.TryParse("x\n/d\n"));
        Assert.Null(PostmasterPidFile.TryParse("9503\n/d\n")!.Status);
        Assert.Null(PostmasterPidFile.TryParse("9503\n/d\n")!.SharedMemoryId);
    }

    [Theory]
    [InlineData("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 15)]
    [InlineData("postgres (PostgreSQL) 16beta2", 16)]
    [InlineData("postgres (PostgreSQL) 9.6.24", 9)]
    public void Server_version_output_gives_the_major_version(string output, int major) =>
        Assert.Equal(major, PostgresBinaries.ParseMajorVersion(output));

    [Fact]
    public void Unrecognised_version_output_gives_none() => Assert.Null(PostgresBinaries.ParseMajorVersion("bash: postgres: not found"));

    [Fact]
    public void Log_tail_keeps_only_the_newest_lines()
    {
        var tail = new LogTail(capacity: 3);
        foreach (var i in Enumerable.Range(1, 5)) tail.Add($"line {i}");
        Assert.Equal(["line 3", "line 4", "line 5"], tail.Last(10));
        Assert.True(tail.Contains("line 4"));
        Assert.False(tail.Contains("line 1"));
    }
}
