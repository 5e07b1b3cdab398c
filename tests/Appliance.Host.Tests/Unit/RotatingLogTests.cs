using System.Globalization;
using Appliance.Host.Node;

namespace Appliance.Host.Tests.Unit;

/// <summary>PostgreSQL's log beside the data directory is rotated by size and keeps a bounded number of files.</summary>
[Trait("Category", "Unit")]
public sealed class RotatingLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rotating-log-").FullName;

    [Fact]
    public void The_log_rotates_at_its_size_limit_keeps_the_newest_files_and_goes_on_writing()
    {
        using (var log = new RotatingLog(Path.Combine(_dir, "postgresql.log"), 100, keep: 2))
            for (var i = 0; i < 40; i++) log.Write($"line {i:D2} " + new string('x', 20));   // 29 bytes a line: 3 a file

        var current = File.ReadAllLines(Path.Combine(_dir, "postgresql.log"));
        Assert.Equal("line 39", current[^1][..7]);
        Assert.True(new FileInfo(Path.Combine(_dir, "postgresql.log")).Length <= 100);
        Assert.Equal("line 38", File.ReadAllLines(Path.Combine(_dir, "postgresql.log.1"))[^1][..7]);
        Assert.True(File.Exists(Path.Combine(_dir, "postgresql.log.2")));
        Assert.False(File.Exists(Path.Combine(_dir, "postgresql.log.3")));
        // Every line is in exactly one file, none lost at a rotation: the three files hold the last lines in order.
        var kept = File.ReadAllLines(Path.Combine(_dir, "postgresql.log.2")).Concat(File.ReadAllLines(Path.Combine(_dir, "postgresql.log.1"))).Concat(current)
            .Select(l => int.Parse(l[5..7], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(40 - kept.Count, kept.Count), kept);
    }

    [Fact]
    public void A_restarted_node_appends_and_counts_what_the_file_already_holds()
    {
        var path = Path.Combine(_dir, "postgresql.log");
        File.WriteAllText(path, new string('y', 90) + "\n");
        using (var log = new RotatingLog(path, 100, keep: 1))
            log.Write("after restart");
        Assert.Equal(["after restart"], File.ReadAllLines(path));
        Assert.StartsWith("yyy", File.ReadAllText(path + ".1"));
    }

    [Fact]
    public void The_limits_come_from_the_environment_and_bad_values_are_refused()
    {
        using (var log = RotatingLog.ForPostgres(_dir, new Dictionary<string, string?> { [RotatingLog.MaxSizeVariable] = "4kB", [RotatingLog.KeepVariable] = "3" }))
        {
            Assert.Equal(4096, log.MaxBytes);
            Assert.Equal(3, log.Keep);
        }
        using (var defaults = RotatingLog.ForPostgres(_dir, new Dictionary<string, string?>()))
            Assert.Equal(RotatingLog.DefaultMaxBytes, defaults.MaxBytes);
        Assert.Contains(RotatingLog.MaxSizeVariable, Assert.Throws<NodeConfigurationException>(() =>
            RotatingLog.ForPostgres(_dir, new Dictionary<string, string?> { [RotatingLog.MaxSizeVariable] = "lots" })).Message);
        Assert.Contains(RotatingLog.KeepVariable, Assert.Throws<NodeConfigurationException>(() =>
            RotatingLog.ForPostgres(_dir, new Dictionary<string, string?> { [RotatingLog.KeepVariable] = "0" })).Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
