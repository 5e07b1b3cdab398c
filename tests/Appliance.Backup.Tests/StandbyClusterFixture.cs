namespace Appliance.Backup.Tests;

/// <summary>Three nodes started with <paramref name="sourceArgs"/> (<c>--standby-of …</c> or <c>--standby-from-repo …</c>); ready once one is the standby leader.</summary>
internal sealed class StandbyClusterFixture(IReadOnlyList<string> sourceArgs) : NodeClusterFixture
{
    public override async Task InitializeAsync()
    {
        StartNodes();
        await Eventually.TrueAsync(async () => (await PassingAsync("/standby-leader")).Count == 1,
            () => "a node of the standby cluster leads it" + Logs(lines: 200), TimeSpan.FromSeconds(180));
        await WaitHealthyAsync();
    }

    /// <summary>Starts the three nodes with the source's flags, without waiting for anything.</summary>
    public void StartNodes()
    {
        PrepareNodes();
        foreach (var n in Nodes) n.Process = StartNode(n, null, sourceArgs);
    }

    /// <summary>Waits until every live node holds <paramref name="rows"/> rows in <paramref name="table"/>, streamed from the source.</summary>
    public async Task WaitRowsEverywhereAsync(string table, long rows)
    {
        var counts = "";
        await Eventually.TrueAsync(async () =>
        {
            var seen = new List<long>();
            foreach (var n in Live()) seen.Add((long)(await BackupClusterFixture.ScalarAsync(n.PgPort, $"SELECT count(*) FROM {table}"))!);
            counts = string.Join(",", seen);
            return seen.All(c => c == rows);
        }, () => $"every node of the standby cluster holds the source's {rows} rows of {table} (counts {counts})" + Logs(), TimeSpan.FromSeconds(60));
    }

    /// <summary>The live nodes whose <paramref name="check"/> answers 200.</summary>
    public async Task<List<TestNode>> PassingAsync(string check)
    {
        var passing = new List<TestNode>();
        foreach (var n in Live())
        {
            try
            {
                using var r = await Http.GetAsync(n.Url + check);
                if ((int)r.StatusCode == 200) passing.Add(n);
            }
            catch (HttpRequestException) { }
        }
        return passing;
    }
}
