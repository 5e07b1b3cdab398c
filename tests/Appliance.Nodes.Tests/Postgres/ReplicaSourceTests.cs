using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>Whether a new replica is restored from the repository or copied with pg_basebackup, and why.</summary>
[Trait("Category", "Unit")]
public sealed class ReplicaSourceTests
{
    private const ulong System = 7716124380185925077;
    private const ulong Segment = 16 * 1024 * 1024;

    private static BackupEntry Backup(string label, string lsnStop, string walStop, ulong? system = System, bool error = false, string type = "full") =>
        new(label, type, DateTimeOffset.FromUnixTimeSeconds(1796550626), DateTimeOffset.FromUnixTimeSeconds(1796550628),
            walStop, walStop, lsnStop, lsnStop, 23295754, 4565667, null, error, system);

    private static BackupCatalog Catalog(params BackupEntry[] backups) =>
        new("appliance", backups.Length == 0 ? "no valid backups" : "ok", null, null, backups, null);

    // The upstream holds WAL from segment 3 on (0/3000000), on timeline 1 unless told.
    private static UpstreamWal Holds(ulong oldestSegment, TimelineHistory? history = null) => new(oldestSegment, Segment, history ?? TimelineHistory.First);

    private static CloneMethod Decide(BackupCatalog? catalog, UpstreamWal wal, string? unreadable = null, string upstreamAt = "0/F0000000") =>
        ReplicaSource.Decide(catalog, unreadable, "n1", System, wal, Lsn.Parse(upstreamAt));

    [Fact]
    public void An_upstream_short_of_the_end_of_the_backups_last_segment_gets_a_pg_basebackup_copy()
    {
        // The restore places the stop segment whole; WAL in it past where the upstream is may be a deposed primary's.
        var backup = Backup("20261206-095026F", "0/3000138", "000000010000000000000003");
        Assert.IsType<CloneMethod.FromRepository>(Decide(Catalog(backup), Holds(3), upstreamAt: "0/4000000"));
        var behind = Assert.IsType<CloneMethod.BaseBackup>(Decide(Catalog(backup), Holds(3), upstreamAt: "0/3FFFFFF"));
        Assert.Contains("upstream n1 is at 0/3FFFFFF, short of 0/4000000, where backup 20261206-095026F's last WAL segment ends", behind.Why);
    }

    [Fact]
    public void The_newest_backup_of_this_cluster_whose_wal_the_upstream_still_holds_is_restored()
    {
        var old = Backup("20261206-095026F", "0/3000138", "000000010000000000000003");
        var newer = Backup("20261206-095026F_20261206-100000I", "0/8000100", "000000010000000000000008", type: "incr");
        var method = Decide(Catalog(old, newer), Holds(5));
        var chosen = Assert.IsType<CloneMethod.FromRepository>(method);
        Assert.Equal(newer, chosen.Backup);
        Assert.Contains("backup 20261206-095026F_20261206-100000I (incr, stopped at 0/8000100", chosen.Why);
    }

    [Fact]
    public void Without_a_repository_a_backup_or_a_readable_catalog_the_replica_is_copied_with_pg_basebackup()
    {
        Assert.Equal("this node has no backup repository (--backup-repo)", Assert.IsType<CloneMethod.BaseBackup>(ReplicaSource.WithoutRepository).Why);
        Assert.Equal("the backup repository holds no backup yet (no valid backups)", Assert.IsType<CloneMethod.BaseBackup>(Decide(Catalog(), Holds(1))).Why);
        Assert.Equal("the backup repository could not be read (pgbackrest info failed (exit code 1): ERROR: [055])",
            Assert.IsType<CloneMethod.BaseBackup>(Decide(null, Holds(1), "pgbackrest info failed (exit code 1): ERROR: [055]")).Why);
    }

    [Fact]
    public void Backups_of_another_cluster_or_with_checksum_errors_are_never_restored()
    {
        var foreign = Decide(Catalog(Backup("20261206-095026F", "0/3000138", "000000010000000000000003", system: 42)), Holds(1));
        Assert.Equal("the repository's backups are of system 42, not of upstream n1's 7716124380185925077 (another cluster's stanza)",
            Assert.IsType<CloneMethod.BaseBackup>(foreign).Why);
        var damaged = Decide(Catalog(Backup("20261206-095026F", "0/3000138", "000000010000000000000003", error: true)), Holds(1));
        Assert.StartsWith("no backup in the repository is whole", Assert.IsType<CloneMethod.BaseBackup>(damaged).Why);
        // A damaged newer one is passed over for an older whole one.
        var whole = Backup("20261206-095026F", "0/3000138", "000000010000000000000003");
        var mixed = Decide(Catalog(whole, Backup("20261207-095026F", "0/9000138", "000000010000000000000009", error: true)), Holds(1));
        Assert.Equal(whole, Assert.IsType<CloneMethod.FromRepository>(mixed).Backup);
    }

    [Fact]
    public void An_upstream_that_recycled_the_wal_after_the_backup_means_pg_basebackup()
    {
        var backup = Backup("20261206-095026F", "0/3000138", "000000010000000000000003");
        Assert.IsType<CloneMethod.FromRepository>(Decide(Catalog(backup), Holds(3)));   // still holds the stop segment
        var recycled = Decide(Catalog(backup), Holds(4));
        Assert.Equal("backup 20261206-095026F stops at 0/3000138, but upstream n1 keeps WAL only from 0/4000000 on, and a standby never " +
                     "reads the archive, so the restored copy could not catch up", Assert.IsType<CloneMethod.BaseBackup>(recycled).Why);
    }

    [Fact]
    public void A_backup_on_a_timeline_the_upstream_left_inside_its_last_segment_is_not_restored()
    {
        var backup = Backup("20261206-095026F", "0/3000138", "000000010000000000000003");
        // Timeline 1 ended at 0/3800000, inside segment 3: the archived segment may hold WAL past the fork.
        var inside = Decide(Catalog(backup), Holds(1, TimelineHistory.First.PromotedAt(new Lsn(0x3800000), 2)));
        Assert.Contains("is on timeline 1, which the history", Assert.IsType<CloneMethod.BaseBackup>(inside).Why);
        Assert.Contains("leaves at 0/3800000, inside the backup's last WAL segment", inside.Why);
        // Timeline 1 ended after segment 3: its WAL is the upstream's history.
        var after = Decide(Catalog(backup), Holds(1, TimelineHistory.First.PromotedAt(new Lsn(0x5000000), 2)));
        Assert.IsType<CloneMethod.FromRepository>(after);
        // A timeline the upstream's history never had (a deposed primary's).
        var foreign = Decide(Catalog(Backup("20261206-095026F", "0/3000138", "000000020000000000000003")),
            Holds(1, TimelineHistory.First.PromotedAt(new Lsn(0x5000000), 3)));
        Assert.Contains("is on timeline 2, which is not on the history", Assert.IsType<CloneMethod.BaseBackup>(foreign).Why);
    }

    [Fact]
    public void A_restore_fetches_the_backups_own_segments_across_a_high_word()
    {
        Assert.Equal(["0000000200000000000000FE", "0000000200000000000000FF", "000000020000000100000000"],
            RepositoryClone.Segments("0000000200000000000000FE", "000000020000000100000000", Segment));
        Assert.Equal(["000000010000000000000003"], RepositoryClone.Segments("000000010000000000000003", "000000010000000000000003", Segment));
    }
}
