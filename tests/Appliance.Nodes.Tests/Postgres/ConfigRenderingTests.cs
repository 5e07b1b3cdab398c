using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

[Trait("Category", "Unit")]
[Trait("Category", "Postgres")]
public sealed class ConfigRenderingTests
{
    private static readonly ClusterCredentials Credentials = new("su", "replicator", "it's a \\ secret");

    private static DriverSettings Settings(string id = "pg-1") =>
        new(new PeerId(id, "10.0.0.1", 5432), "/data/pg", Credentials, ["10.0.0.2", "10.0.0.3"]);

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it''s'")]
    [InlineData(@"back\slash", @"'back\\slash'")]
    [InlineData("", "''")]
    public void Conf_values_are_quoted_so_the_parser_reads_them_back_verbatim(string value, string quoted) =>
        Assert.Equal(quoted, ConfValue.Quote(value));

    [Fact]
    public void Conf_values_with_line_breaks_are_refused_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => ConfValue.Quote("a\nb"));
        Assert.Contains("line break", e.Message);
    }

    [Fact]
    public void Conninfo_quotes_every_value_and_can_leave_out_the_password()
    {
        var conninfo = ConnInfo.For("h", 5433, "rep user", @"p'w\d", applicationName: "pg-2");
        Assert.Equal(@"host='h' port='5433' user='rep user' password='p\'w\\d' application_name='pg-2' connect_timeout='5' gssencmode='disable'",
            conninfo.Render());
        Assert.DoesNotContain("password", conninfo.WithoutPassword().Render());
        Assert.DoesNotContain("p\\'w", conninfo.ToString()); // logs never show it
        Assert.Contains("password='***'", conninfo.ToString());
        Assert.Equal(conninfo, ConnInfo.For("h", 5433, "rep user", @"p'w\d", applicationName: "pg-2"));
    }

    [Fact]
    public void A_standby_leader_streams_from_the_writable_host_of_its_source_under_a_name_no_peer_can_have()
    {
        var role = StandbyLeaderConfig.Role(Settings("n2"), StandbySource.Parse("10.1.0.1:5432,db-b:6543"), new PeerId("n3", "10.0.0.3", 5432));
        var conninfo = role.PrimaryConnInfo!.Render();
        Assert.StartsWith("host='10.1.0.1,db-b' port='5432,6543' user=", conninfo);
        Assert.Contains("application_name='appliance-standby:n2'", conninfo);
        Assert.EndsWith("target_session_attrs='read-write'", conninfo);
        Assert.Contains("passfile='/data/pg/", conninfo);
        Assert.DoesNotContain("password=", conninfo);
        Assert.False(PeerId.IsValidId(StandbyLeaderConfig.ApplicationName(Settings("n2"))));
        Assert.True(role.ReadOnly);
        Assert.Equal("n3", role.SyncStandbyName);
    }

    [Fact]
    public void A_standby_leader_that_follows_an_archive_replays_it_with_its_own_pgbackrest_config_and_streams_from_nothing()
    {
        var settings = Settings("n2");
        var role = StandbyLeaderConfig.Role(settings, StandbySource.FromRepository("/mnt/site-a repo", "appliance"), new PeerId("n3", "10.0.0.3", 5432));
        Assert.Null(role.PrimaryConnInfo);
        Assert.True(role.IsStandby);
        Assert.True(role.ReadOnly);
        Assert.Equal("n3", role.SyncStandbyName);
        // Beside the data directory, not inside it, and not the node's own --backup-repo config.
        var config = Path.Combine(Path.GetDirectoryName(settings.DataDirectory)!, "pgbackrest-source", "pgbackrest.conf");
        Assert.Equal($"pgbackrest --config={config} --stanza=appliance archive-get %f \"%p\"", role.RestoreCommand);
        var text = ApplianceConfigFile.Render(new ApplianceConfig(ApplianceConfig.ServerFor(settings), role));
        Assert.Contains($"restore_command = '{role.RestoreCommand!.Replace("'", "''")}'", text);
        Assert.Contains("primary_conninfo = ''", text);
        // Following an archive, PostgreSQL's 5 s between tries: 1 s would run restore_command every second.
        Assert.Contains("wal_retrieve_retry_interval = '5s'", text);

        var sourceConfig = PgBackRestConfig.Render(SourceArchive.Settings(settings,
            new SourceRepository("/mnt/site-a repo", "appliance")), settings.DataDirectory, 5432);
        Assert.Contains("repo1-path=/mnt/site-a repo", sourceConfig);
        Assert.Contains("[appliance]", sourceConfig);

        // Every other role has none, so a reload after promote-cluster drops it.
        Assert.DoesNotContain("restore_command", ApplianceConfigFile.Render(new ApplianceConfig(ApplianceConfig.ServerFor(settings),
            ApplianceConfig.Primary(new PeerId("n3", "10.0.0.3", 5432), "1GB", readWrite: true))));
        Assert.DoesNotContain("restore_command", ApplianceConfigFile.Render(new ApplianceConfig(ApplianceConfig.ServerFor(settings),
            StandbyLeaderConfig.Role(settings, StandbySource.Parse("10.1.0.1:5432"), null))));
    }

    [Fact]
    public void A_primary_names_its_sync_quoted_and_is_read_only_until_told_otherwise()
    {
        var server = ApplianceConfig.ServerFor(Settings());
        var text = ApplianceConfigFile.Render(new ApplianceConfig(server,
            ApplianceConfig.Primary(new PeerId("pg-2", "10.0.0.2", 5432), "1GB", readWrite: false)));

        Assert.Contains("synchronous_standby_names = 'FIRST 1 (\"pg-2\")'", text);
        Assert.Contains("synchronous_commit = on", text);
        Assert.Contains("default_transaction_read_only = on", text);
        Assert.Contains("primary_conninfo = ''", text);
        Assert.Contains("listen_addresses = '10.0.0.1'", text);
        Assert.Contains("port = 5432", text);
        Assert.Contains("wal_keep_size = '1GB'", text);
        Assert.Contains("wal_log_hints = on", text);
        Assert.Contains("recovery_target_timeline = 'latest'", text);
        Assert.Contains("wal_retrieve_retry_interval = '1s'", text);
        // A default, before the cluster settings' include, so that `appliance config set` can still change it.
        Assert.True(text.IndexOf("wal_retrieve_retry_interval", StringComparison.Ordinal) < text.IndexOf(ClusterSettingsFile.IncludeLine, StringComparison.Ordinal));
        Assert.Contains("shared_preload_libraries = 'appliance_guard'", text);

        var writable = ApplianceConfigFile.Render(new ApplianceConfig(server,
            ApplianceConfig.Primary(new PeerId("pg-2", "10.0.0.2", 5432), "1GB", readWrite: true)));
        Assert.Contains("default_transaction_read_only = off", writable);
    }

    [Fact]
    public void A_standby_streams_as_itself_and_names_its_downstream_or_a_name_no_peer_can_have()
    {
        var settings = Settings("pg-3");
        var upstream = new PeerId("pg-2", "10.0.0.2", 6543);
        var role = ApplianceConfig.Standby(settings, upstream, downstream: null);
        var text = ApplianceConfigFile.Render(new ApplianceConfig(ApplianceConfig.ServerFor(settings), role));

        // The password is in a private file, not in the setting: pg_monitor's members read every setting.
        Assert.Contains(
            @"primary_conninfo = 'host=''10.0.0.2'' port=''6543'' user=''replicator'' passfile=''/data/pg/appliance.pgpass'' application_name=''pg-3'' connect_timeout=''5'' gssencmode=''disable'''",
            text);
        Assert.DoesNotContain("secret", text);
        Assert.DoesNotContain("password=", text);
        Assert.False(PeerId.IsValidId(ApplianceConfig.NoSyncPlaceholder));
        Assert.Contains($"synchronous_standby_names = 'FIRST 1 (\"{ApplianceConfig.NoSyncPlaceholder}\")'", text);
        Assert.Contains("default_transaction_read_only = on", text);

        var withDownstream = ApplianceConfig.Standby(settings, upstream, new PeerId("pg-4", "10.0.0.4", 5432));
        Assert.Equal("pg-4", withDownstream.SyncStandbyName);
    }

    [Fact]
    public void The_include_line_is_appended_once_and_the_operators_lines_stay()
    {
        var once = ApplianceConfigFile.WithInclude("work_mem = '7MB'");
        Assert.StartsWith("work_mem = '7MB'\n", once);
        Assert.EndsWith(ApplianceConfigFile.IncludeLine + "\n", once);
        Assert.Equal(once, ApplianceConfigFile.WithInclude(once));
    }

    [Fact]
    public void Hba_admits_a_standby_clusters_network_to_connect_and_to_replicate()
    {
        var text = HbaFile.Render("replicator", ["10.0.0.2"], [], standbyNetworks: ["10.1.0.0/24"]);
        var lines = text.Split('\n').Where(l => l.StartsWith("host", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToArray();
        Assert.Contains("host all all 10.1.0.0/24 scram-sha-256", lines);
        Assert.Contains("host replication replicator 10.1.0.0/24 scram-sha-256", lines);
        Assert.Equal("host all replicator all reject", lines[0]);
        Assert.Throws<ArgumentException>(() => HbaFile.Render("replicator", [], [], standbyNetworks: [" "]));
    }

    [Fact]
    public void Hba_admits_loopback_and_peers_by_scram_and_replication_only_for_the_replication_role()
    {
        var text = HbaFile.Render("replicator", ["10.0.0.2", "fe80::1", "db3.example"], ["192.168.0.0/16"]);
        var lines = text.Split('\n').Where(l => l.StartsWith("host", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToArray();

        Assert.Contains("host all all 127.0.0.1/32 scram-sha-256", lines);
        Assert.Contains("host replication replicator ::1/128 scram-sha-256", lines);
        Assert.Contains("host replication replicator 10.0.0.2/32 scram-sha-256", lines);
        Assert.Contains("host all all fe80::1/128 scram-sha-256", lines);
        Assert.Contains("host replication replicator db3.example scram-sha-256", lines);
        Assert.Contains("host all all 192.168.0.0/16 scram-sha-256", lines);
        Assert.DoesNotContain(lines, l => l.Contains("192.168.0.0/16") && l.Contains("replication"));
        // The replication role gets no session in a database, from anywhere, before any line could admit it.
        Assert.Equal("host all replicator all reject", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.EndsWith("scram-sha-256", l));
        Assert.DoesNotContain(lines, l => l.StartsWith("host replication", StringComparison.Ordinal) && !l.Contains(" replicator "));
        Assert.DoesNotContain("trust", text);
    }

    [Fact]
    public void Pg_hba_admits_the_seeds_itself_and_every_peer_the_state_names_in_an_order_roles_do_not_change()
    {
        var settings = Settings("pg-1");
        Assert.Equal(["10.0.0.2", "10.0.0.3", "10.0.0.1"], HbaFile.AdmittedHosts(null, settings));

        var state = new ClusterState
        {
            Version = 7, Generation = 2,
            Primary = new PeerId("pg-9", "10.0.0.9", 5432), Sync = new PeerId("pg-2", "10.0.0.2", 5432),
            Async = [new PeerId("pg-7", "10.0.0.7", 5432)], Deposed = [new PeerId("pg-8", "db8.example", 5432)],
        };
        Assert.Equal(["10.0.0.2", "10.0.0.3", "10.0.0.1", "10.0.0.7", "10.0.0.9", "db8.example"], HbaFile.AdmittedHosts(state, settings));

        var swapped = state with { Primary = state.Sync!, Sync = state.Primary, Version = 8 };
        Assert.Equal(HbaFile.AdmittedHosts(state, settings), HbaFile.AdmittedHosts(swapped, settings));
    }

    [Fact]
    public void Hba_refuses_a_replication_user_it_could_not_write_safely()
    {
        var e = Assert.Throws<ArgumentException>(() => HbaFile.Render("rep user", [], []));
        Assert.Contains("rep user", e.Message);
    }
}
