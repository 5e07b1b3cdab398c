using System.Collections.Immutable;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>A node refuses a state older than one it played, or one of another cluster; what it saw survives a restart.</summary>
[Trait("Category", "Unit")]
public sealed class StateLineageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ClusterState State(long version, string? clusterId) => new()
    {
        Version = version, Generation = 1, Primary = new PeerId("n1", "10.0.0.1", 5432), Sync = new PeerId("n2", "10.0.0.2", 5432),
        ClusterId = clusterId,
    };

    [Fact]
    public void A_node_that_has_seen_nothing_takes_any_state() => Assert.Null(StateLineage.Refusal(null, State(1, "a")));

    [Fact]
    public void An_older_state_than_the_one_played_is_refused_with_the_reason()
    {
        var why = StateLineage.Refusal(new StateLineage.Seen(9, "a"), State(2, "a"));
        Assert.Contains("the state is v2, but this node has already played v9", why);
        Assert.Contains("restore the newest store", why);
        Assert.Null(StateLineage.Refusal(new StateLineage.Seen(9, "a"), State(9, "a")));
        Assert.Null(StateLineage.Refusal(new StateLineage.Seen(9, "a"), State(10, "a")));
    }

    [Fact]
    public void Another_clusters_state_is_refused_and_a_state_without_an_id_is_not()
    {
        Assert.Contains("belongs to cluster b, but this node's data belongs to cluster a", StateLineage.Refusal(new StateLineage.Seen(1, "a"), State(5, "b")));
        Assert.Null(StateLineage.Refusal(new StateLineage.Seen(1, "a"), State(5, null)));
        Assert.Null(StateLineage.Refusal(new StateLineage.Seen(1, null), State(5, "b")));
    }

    [Fact]
    public async Task What_was_seen_survives_in_the_file_beside_the_data_directory()
    {
        var lineage = StateLineage.Beside(Path.Combine(_dir, "pgdata"));
        Assert.Equal(Path.Combine(_dir, "pgdata.appliance-lineage"), lineage.Path);
        Assert.Null(lineage.Load());
        await lineage.SaveAsync(new StateLineage.Seen(7, "a"), default);
        Assert.Equal(new StateLineage.Seen(7, "a"), StateLineage.Beside(Path.Combine(_dir, "pgdata")).Load());
    }

    [Fact]
    public void A_file_that_is_not_a_lineage_is_an_error_naming_it()
    {
        var lineage = StateLineage.Beside(Path.Combine(_dir, "pgdata"));
        File.WriteAllText(lineage.Path, "not json");
        var e = Assert.Throws<InvalidDataException>(() => lineage.Load());
        Assert.Contains(lineage.Path, e.Message);
    }

    [Fact]
    public void Initial_setup_stamps_the_cluster_id_the_coordinator_drew_and_later_states_keep_it()
    {
        var members = new[] { new PeerId("n1", "h1", 5432), new PeerId("n2", "h2", 5432), new PeerId("n3", "h3", 5432) };
        var observation = new ClusterObservation
        {
            Members = [.. members],
            Reports = members.ToDictionary(m => m.Id, _ => new PeerReport(true, Lsn.Zero, History: TimelineHistory.First))
                .ToImmutableDictionary(),
            NewClusterId = "cluster-42",
        };
        var first = Assert.IsType<Transition>(ClusterRules.Evaluate(null, observation)).Next;
        Assert.Equal("cluster-42", first.ClusterId);
        var next = Assert.IsType<Transition>(ClusterRules.Evaluate(first, observation with
        {
            Members = [.. members.Take(2)], NewClusterId = "ignored once a state exists",
        })).Next;
        Assert.Equal("cluster-42", next.ClusterId);
    }
}
