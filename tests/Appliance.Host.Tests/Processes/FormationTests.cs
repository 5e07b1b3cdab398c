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

    /// <summary>
    /// Starts a node of this cluster. The split-brain resolver waits 20 s of stable unreachability instead of 2 s, so
    /// that a crashed node's old incarnation stays a member well past its restart whatever the machine's load, and a
    /// restarted node's wait for its removal (60 s at most here) is sure to be seen.
    /// </summary>
    public AppProcess Start(TestNode n)
    {
        var config = Path.Combine(Dir, "slow-downing.conf");
        if (!File.Exists(config))
            File.WriteAllText(config, """
                akka.cluster.split-brain-resolver.stable-after = 20s
                appliance.formation.previous-incarnation-patience = 60s
                """);
        return StartNode(n, null, ["--config", config]);
    }

    public override async Task InitializeAsync()
    {
        PrepareNodes();
        var clock = Stopwatch.StartNew();
        foreach (var n in Nodes.Skip(1)) n.Process = Start(n);
        await Eventually.TrueAsync(async () =>
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
    public async Task Two_of_three_seeds_form_the_cluster_the_first_seed_joins_it_later_and_after_a_crash_again()
    {
        Assert.Null(cluster.Nodes[0].Process);
        var view = await cluster.ClusterAsync(cluster.Nodes[1]);
        Assert.Equal(["n2", "n3"], new[] { view.State!.Primary!.Id, view.State.Sync!.Id }.Order());
        output.WriteLine($"n2 and n3: {cluster.ToFirstWrite.TotalSeconds:0.0} s from start to the first committed write");
        // Exactly one of them formed it (the lower address); the other joined.
        Assert.Single(cluster.Nodes.Skip(1), n => n.Process!.Stdout.Contains("Forming a new cluster"));

        var n1 = cluster.Nodes[0];
        n1.Process = cluster.Start(n1);
        await Eventually.TrueAsync(async () => (await cluster.ClusterAsync(cluster.Nodes[1])).State!.Async.Any(a => a.Id == "n1"),
            () => "n1 joins the running cluster as an async" + cluster.Logs(), TimeSpan.FromSeconds(90));
        await cluster.WaitHealthyAsync();
        // It joined through a probe's answer (Akka's join-only seed process starts only when no seed answers), never formed.
        Assert.DoesNotContain("Forming a new cluster", n1.Process.Stdout);
        Assert.DoesNotContain("JOINING itself", n1.Process.Stdout);
        Assert.False(n1.Process.HasExited);

        // n1 crashes and its service manager starts it again at once, on the same address, while n2 and n3 still hold
        // the dead incarnation (BENCHMARKS finding 7): it waits until they have removed it, then joins, and no one else
        // is downed on its account.
        // Its PostgreSQL, left running, holds the old process's output pipe open, so the old process is disposed last:
        // waiting for it would wait for that server, which the new process stops.
        await using var crashed = n1.Process;
        crashed.Signal(9);
        n1.Process = cluster.Start(n1);
        try { await n1.Process.WaitForOutputAsync("previous incarnation", TimeSpan.FromSeconds(60)); }
        catch (TimeoutException)
        {
            // What the members made of n1's incarnations.
            foreach (var n in cluster.Nodes.Skip(1))
                foreach (var line in n.Process!.Stdout.Split('\n').Where(l => l.Contains($":{n1.AkkaPort}")))
                    output.WriteLine($"{n.Name}: {line}");
            throw;
        }
        await Eventually.TrueAsync(async () => (await cluster.ClusterAsync(cluster.Nodes[1])).State!.Async.Any(a => a.Id == "n1") &&
                                          (await cluster.StatusAsync(n1)).Role == "async",
            () => "n1 is back as an async" + cluster.Logs(), TimeSpan.FromSeconds(90));
        await cluster.WaitHealthyAsync();
        Assert.All(cluster.Nodes, n => Assert.False(n.Process!.HasExited, $"{n.Name} exited"));
        Assert.All(cluster.Nodes, n => Assert.DoesNotContain("DownIndirectlyConnected", n.Process!.Stdout));
        Assert.DoesNotContain("New incarnation of existing member", cluster.Nodes[1].Process!.Stdout + cluster.Nodes[2].Process!.Stdout);
    }
}
