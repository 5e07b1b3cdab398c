using Akka.Configuration;
using Appliance.Actors.Coordinator;

namespace Appliance.Actors.Tests.Coordinator;

/// <summary>The coordinator's settings and state-store configuration as operators write them.</summary>
[Trait("Category", "Unit")]
public sealed class CoordinatorConfigurationSpecs
{
    [Fact]
    public void The_reference_configuration_gives_the_documented_timings()
    {
        var settings = CoordinatorSettings.Default;
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.EvaluationInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.ProbeTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), settings.ReportLease);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), settings.StartupGrace);
        Assert.Equal(100, settings.SnapshotEvery);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.RelieveHostAfter);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.ReplaceDownSyncAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.ForcedFailoverHoldDown);
        Assert.Equal(settings, CoordinatorSettings.FromConfig(Config.Empty));
    }

    [Fact]
    public void Moving_roles_off_the_coordinators_host_can_be_turned_off_but_not_set_to_zero()
    {
        Assert.Null(CoordinatorSettings.FromConfig(ConfigurationFactory.ParseString("appliance.coordinator.relieve-host-after = off")).RelieveHostAfter);
        var settings = CoordinatorSettings.FromConfig(ConfigurationFactory.ParseString("appliance.coordinator.relieve-host-after = 0s"));
        var e = Assert.Throws<ArgumentException>(() => settings.EnsureValid());
        Assert.Contains("RelieveHostAfter", e.Message);
    }

    [Fact]
    public void Replacing_a_sync_whose_PostgreSQL_is_down_can_be_tuned_or_turned_off_but_not_set_to_zero()
    {
        Assert.Null(CoordinatorSettings.FromConfig(ConfigurationFactory.ParseString("appliance.coordinator.replace-down-sync-after = off")).ReplaceDownSyncAfter);
        Assert.Equal(TimeSpan.FromMinutes(2),
            CoordinatorSettings.FromConfig(ConfigurationFactory.ParseString("appliance.coordinator.replace-down-sync-after = 2m")).ReplaceDownSyncAfter);
        var settings = CoordinatorSettings.FromConfig(ConfigurationFactory.ParseString("appliance.coordinator.replace-down-sync-after = 0s"));
        var e = Assert.Throws<ArgumentException>(() => settings.EnsureValid());
        Assert.Contains("ReplaceDownSyncAfter", e.Message);
    }

    [Fact]
    public void Settings_read_from_config_override_the_defaults_and_are_checked()
    {
        var settings = CoordinatorSettings.FromConfig(ConfigurationFactory.ParseString("appliance.coordinator { probe-timeout = 750ms, snapshot-every = 5 }"));
        Assert.Equal(TimeSpan.FromMilliseconds(750), settings.ProbeTimeout);
        Assert.Equal(5, settings.SnapshotEvery);
        Assert.Equal(CoordinatorSettings.Default.EvaluationInterval, settings.EvaluationInterval);
        var e = Assert.Throws<ArgumentException>(() => (settings with { ReportLease = TimeSpan.Zero }).EnsureValid());
        Assert.Contains("ReportLease", e.Message);
    }

    [Theory]
    [InlineData("sqlite:/var/lib/appliance/state.db", StateStoreKind.Sqlite, "SQLite.MS", "Data Source=/var/lib/appliance/state.db")]
    [InlineData("postgres:Host=db;Username=a;Password=p\"q\\r", StateStoreKind.Postgres, "PostgreSQL.15", "Host=db;Username=a;Password=p\"q\\r")]
    public void A_state_store_option_renders_journal_snapshots_and_query(string spec, StateStoreKind kind, string provider, string connection)
    {
        var store = StateStoreOptions.Parse(spec);
        Assert.Equal(kind, store.Kind);
        var config = store.ToConfig();
        foreach (var path in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql", "akka.persistence.query.journal.sql" })
        {
            Assert.Equal(connection, config.GetString($"{path}.connection-string"));
            Assert.Equal(provider, config.GetString($"{path}.provider-name"));
        }
        Assert.Equal("akka.persistence.journal.sql", config.GetString("akka.persistence.journal.plugin"));
        Assert.True(config.GetBoolean("akka.persistence.journal.sql.auto-initialize"));
        Assert.DoesNotContain("Password", store.ToString());
    }

    [Theory]
    [InlineData("sqlite:/var/lib/appliance/state.db")]
    [InlineData("postgres:Host=db;Username=a;Password=p")]
    public void The_read_journal_does_not_poll_the_store_while_the_cluster_is_idle(string spec)
    {
        // Akka.Persistence.Sql's default (1 s) made the coordinator's host read the state store every second for ever
        // once its history had been read; only ordering queries, which the appliance never runs, need that poll.
        var config = StateStoreOptions.Parse(spec).ToConfig();
        Assert.True(config.GetTimeSpan("akka.persistence.query.journal.sql.journal-sequence-retrieval.query-delay") >= TimeSpan.FromHours(1));
    }

    [Fact]
    public void An_unknown_state_store_form_is_refused_with_both_forms_named()
    {
        var e = Assert.Throws<FormatException>(() => StateStoreOptions.Parse("mysql:x"));
        Assert.Contains("sqlite:PATH", e.Message);
        Assert.Contains("postgres:", e.Message);
    }
}
