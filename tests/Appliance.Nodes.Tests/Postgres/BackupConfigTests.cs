using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>What a node with a backup repository writes for PostgreSQL and for pgBackRest, and how it reads pgBackRest back.</summary>
[Trait("Category", "Unit")]
public sealed class BackupConfigTests
{
    private static readonly BackupSettings Settings = new("/backups/repo", "appliance", "/data/n1/pgbackrest",
        [new BackupOption("repo1-retention-full", "2"), new BackupOption("compress-type", "zst")]);

    private static DriverSettings Node(BackupSettings? backup) =>
        new(new PeerId("n1", "127.0.0.1", 5432), "/data/n1/pgdata", ClusterCredentials.FromSecret("pw"), []) { Backup = backup };

    private static string Conf(DriverSettings settings) => ApplianceConfigFile.Render(new ApplianceConfig(ApplianceConfig.ServerFor(settings),
        ApplianceConfig.SingletonPrimary("1GB")));

    [Fact]
    public void Every_instance_with_a_repository_archives_with_mode_on_never_always()
    {
        var text = Conf(Node(Settings));
        Assert.Contains("archive_mode = on\n", text);
        Assert.Contains("archive_command = 'pgbackrest --config=/data/n1/pgbackrest/pgbackrest.conf --stanza=appliance archive-push %p'", text);
        Assert.Contains("archive_timeout = '5min'", text);
    }

    [Fact]
    public void Without_a_repository_archiving_is_off()
    {
        var text = Conf(Node(null));
        Assert.Contains("archive_mode = off\n", text);
        Assert.Contains("archive_command = ''", text);
        Assert.Contains("archive_timeout = 0", text);
    }

    [Fact]
    public void Paths_with_spaces_and_quotes_survive_the_shell_and_the_config_parser()
    {
        var odd = Settings with { Directory = "/data/it's here" };
        Assert.Equal("pgbackrest --config='/data/it'\\''s here/pgbackrest.conf' --stanza=appliance archive-push %p", odd.ArchiveCommand);
        Assert.Contains("archive_command = 'pgbackrest --config=''/data/it''\\\\''''s here/pgbackrest.conf''", Conf(Node(odd)));
    }

    [Fact]
    public void The_pgbackrest_config_names_the_repository_data_directory_port_and_passes_options_through()
    {
        var text = PgBackRestConfig.Render(Settings, "/data/n1/pgdata", 5433);
        var lines = text.Split('\n');
        Assert.Equal(["[global]", "repo1-path=/backups/repo", "lock-path=/data/n1/pgbackrest/lock", "log-path=/data/n1/pgbackrest/log"], lines[1..5]);
        Assert.Contains("[appliance]", lines);
        Assert.Contains("pg1-path=/data/n1/pgdata", lines);
        Assert.Contains("pg1-port=5433", lines);
        Assert.Contains("repo1-retention-full=2", lines);
        // An operator's value replaces the default of the same key instead of repeating the key, which pgBackRest refuses.
        Assert.Contains("compress-type=zst", lines);
        Assert.DoesNotContain("compress-type=lz4", lines);
        Assert.Contains("start-fast=y", lines);
    }

    [Fact]
    public void Info_json_gives_backups_wal_ranges_and_a_running_backups_progress()
    {
        const string json = """
            [{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000030000000000000009","min":"000000010000000000000001"}],
              "backup":[{"archive":{"start":"000000010000000000000003","stop":"000000010000000000000003"},"backrest":{"format":5,"version":"2.45"},
                "database":{"id":1,"repo-key":1},"error":false,"info":{"delta":23295754,"repository":{"delta":4565667,"size":4565667},"size":23295754},
                "label":"20261206-095026F","lsn":{"start":"0/3000028","stop":"0/3000138"},"prior":null,"reference":null,
                "timestamp":{"start":1796550626,"stop":1796550628},"type":"full"},
                {"archive":{"start":"000000030000000000000008","stop":"000000030000000000000008"},"backrest":{"format":5,"version":"2.45"},
                "database":{"id":1,"repo-key":1},"error":false,"info":{"delta":8192,"repository":{"delta":512,"size":4566179},"size":23295754},
                "label":"20261206-095026F_20261206-100000I","lsn":{"start":"0/8000028","stop":"0/8000100"},"prior":"20261206-095026F","reference":["20261206-095026F"],
                "timestamp":{"start":1796551200,"stop":1796551201},"type":"incr"}],
              "cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7716124380185925077,"version":"15"}],"name":"appliance",
              "repo":[{"cipher":"none","key":1,"status":{"code":0,"message":"ok"}}],
              "status":{"code":0,"lock":{"backup":{"held":true,"size":1000,"size-cplt":250}},"message":"ok"}}]
            """;
        var catalog = BackupCatalog.Parse(json);
        Assert.Equal("appliance", catalog.Stanza);
        Assert.Equal("ok", catalog.Status);
        Assert.Equal(("000000010000000000000001", "000000030000000000000009"), (catalog.WalMin, catalog.WalMax));
        Assert.Equal(25.0, catalog.Running);
        Assert.Equal(["full", "incr"], catalog.Backups.Select(b => b.Type));
        var incr = catalog.Backups[1];
        Assert.Equal("20261206-095026F", incr.Prior);
        Assert.Equal(("000000030000000000000008", "0/8000100", 512L), (incr.WalStart, incr.LsnStop, incr.RepositorySize));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796551200), incr.Start);
        // The database each backup is of, from the stanza's "db" list (a replica restores only its own cluster's).
        Assert.All(catalog.Backups, b => Assert.Equal(7716124380185925077UL, b.SystemId));
    }

    [Fact]
    public void A_stanza_without_backups_and_output_that_is_not_pgbackrests_are_told_apart()
    {
        var empty = BackupCatalog.Parse("""[{"archive":[],"backup":[],"cipher":"none","db":[],"name":"appliance","repo":[],"status":{"code":2,"lock":{"backup":{"held":false}},"message":"no valid backups"}}]""");
        Assert.Equal(("no valid backups", null, null, 0, null), (empty.Status, empty.WalMin, empty.WalMax, empty.Backups.Count, empty.Running));
        Assert.Throws<FormatException>(() => BackupCatalog.Parse("ERROR: [055]: unable to load info file"));
        Assert.Throws<FormatException>(() => BackupCatalog.Parse("[]"));
    }

    [Theory]
    [InlineData("2026-12-06 09:50:33.247 P01 DETAIL: backup file /tmp/d/base/5/1255 (768KB, 3.37%) checksum 8360536179843f66773723fc562442ebe12e1b00", 3.37)]
    [InlineData("P01 DETAIL: restore file /tmp/r/base/1/2608 (456KB, 100.00%) checksum 9a", 100.0)]
    [InlineData("P00   INFO: new backup label = 20261206-095026F", null)]
    public void Progress_is_read_from_pgbackrests_file_lines(string line, double? expected) =>
        Assert.Equal(expected, BackupProgress.Percent(line));

    [Fact]
    public void An_error_is_pgbackrests_own_error_lines()
    {
        Assert.Equal("ERROR: [055]: unable to load info file",
            PgBackRest.ErrorText(["P00   INFO: check command begin", "ERROR: [055]: unable to load info file", "P00   INFO: check command end: aborted"]));
        Assert.Equal("a b", PgBackRest.ErrorText(["a", "b"]));
    }

    [Fact]
    public void A_promoted_primary_pushes_only_whole_segments_of_its_own_history_before_its_timeline_began()
    {
        var wal = Directory.CreateTempSubdirectory("appliance-wal-").FullName;
        try
        {
            // Timeline 3 forked from 2 at 0/5000100, which forked from 1 at 0/3000000 (a segment boundary).
            File.WriteAllText(Path.Combine(wal, "00000003.history"), "1\t0/3000000\tno recovery target specified\n2\t0/5000100\tno recovery target specified\n");
            string[] files =
            [
                "000000010000000000000002", // whole, before timeline 1 ended: pushed
                "000000010000000000000003", // past timeline 1's end: a deposed primary's WAL, never pushed
                "000000020000000000000004", // whole, before timeline 2 ended: pushed
                "000000020000000000000005.partial", // timeline 2's unfinished last segment
                "000000030000000000000005", "000000030000000000000006", // the new timeline: its own archiver's
                "000000040000000000000001.history.backup", "archive_status",
            ];
            foreach (var f in files) File.WriteAllText(Path.Combine(wal, f), "");
            Assert.Equal(["000000010000000000000002", "000000020000000000000004"], EarlierTimelines.Segments(wal).Select(Path.GetFileName));

            File.Delete(Path.Combine(wal, "00000003.history"));
            Assert.Empty(EarlierTimelines.Segments(wal));
        }
        finally
        {
            Directory.Delete(wal, recursive: true);
        }
    }

    [Fact]
    public void The_history_files_a_promotion_placed_for_skipped_numbers_are_found_and_no_others()
    {
        var wal = Directory.CreateTempSubdirectory("appliance-skipped-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(wal, "00000002.history"), "1\t0/3000000\tno recovery target specified\n");
            File.WriteAllText(Path.Combine(wal, "00000003.history"), $"1\t0/3000000\tno recovery target specified\n2\t0/5000000\t{EarlierTimelines.SkippedMarker} so that the promotion starts timeline 5\n");
            File.WriteAllText(Path.Combine(wal, "00000004.history"), $"1\t0/3000000\tno recovery target specified\n2\t0/5000000\t{EarlierTimelines.SkippedMarker} so that the promotion starts timeline 5\n\n");
            File.WriteAllText(Path.Combine(wal, "00000005.history"), "1\t0/3000000\tno recovery target specified\n2\t0/6000000\tno recovery target specified\n");
            File.WriteAllText(Path.Combine(wal, "00000006.history.appliance-tmp"), EarlierTimelines.SkippedMarker);
            Assert.Equal(["00000003.history", "00000004.history"], EarlierTimelines.SkippedHistoryFiles(wal).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(wal, recursive: true);
        }
    }

    [Fact]
    public void A_restore_follows_the_timeline_of_the_newest_archived_segment()
    {
        Assert.Equal(3, PgBackRest.NewestTimeline(new BackupCatalog("appliance", "ok", "000000010000000000000001", "000000030000000000000009", [], null)));
        Assert.Equal(26, PgBackRest.NewestTimeline(new BackupCatalog("appliance", "ok", null, "0000001A0000000000000002", [], null)));
        Assert.Null(PgBackRest.NewestTimeline(new BackupCatalog("appliance", "ok", null, null, [], null)));
    }
}
