using System.Diagnostics;
using Xunit.Abstractions;

namespace Appliance.Host.Tests.Processes;

/// <summary>
/// Three seeds of which the first is dead at a cold start (the power-loss case of issue 16, where Akka's seed process
/// never formed because only the first seed may form a cluster): n2 and n3 must form the cluster and take writes on
/// their own, and n1, started later, must join it rather than form a cluster of its own.
/// </summary>
public sealed class ColdStartWithoutFirstSeedFixture : NodeClusterFixture
{
    /// <summary>How long n2 and n3 took from their start to the first committed write.</summary>
    public TimeSpan ToFirstWrite { get; private set; }

    public override async Task InitializeAsync()
    {
        PrepareNodes();
        var clock = Stopwatch.StartNew();
        foreach (var n in Nodes.Skip(1)) n.Process = StartNode(n);
        await Wait.UntilAsync(async () =>
        {
            if (await PrimaryAsync() is not { } primary) return false;
            try { await WriteAsync(primary); return true; }
            catch (Npgsql.NpgsqlException) { return false; }
        }, () => "n2 and n3 form a cluster without n1 and commit a write" + Logs(), TimeSpan.FromSeconds(120));
        ToFirstWrite = clock.Elapsed;
    }
}

[Trait("Category", "Cluster")]
public sealed class FormationTests(ColdStartWithoutFirstSeedFixture cluster, ITestOutputHelper output) : IClassFixture<ColdStartWithoutFirstSeedFixture>
{
    [Fact]
    public async Task Two_of_three_seeds_form_the_cluster_and_the_first_seed_joins_it_later()
    {
        Assert.Null(cluster.Nodes[0].Process);
        var view = await cluster.ClusterAsync(cluster.Nodes[1]);
        Assert.Equal(["n2", "n3"], new[] { view.State!.Primary!.Id, view.State.Sync!.Id }.Order());
        output.WriteLine($"n2 and n3: {cluster.ToFirstWrite.TotalSeconds:0.0} s from start to the first committed write");
        // Exactly one of them formed it (the lower address); the other joined.
        Assert.Single(cluster.Nodes.Skip(1), n => n.Process!.Stdout.Contains("Forming a new cluster"));

        var n1 = cluster.Nodes[0];
        n1.Process = cluster.StartNode(n1);
        await Wait.UntilAsync(async () => (await cluster.ClusterAsync(cluster.Nodes[1])).State!.Async.Any(a => a.Id == "n1"),
            () => "n1 joins the running cluster as an async" + cluster.Logs(), TimeSpan.FromSeconds(90));
        await cluster.WaitHealthyAsync();
        // It joined (through a probe's answer or Akka's join-only seed process, whichever came first), never formed.
        Assert.DoesNotContain("Forming a new cluster", n1.Process.Stdout);
        Assert.DoesNotContain("JOINING itself", n1.Process.Stdout);
        Assert.False(n1.Process.HasExited);
    }
}
