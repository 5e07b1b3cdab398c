namespace Appliance.Bench;

/// <summary>Where things are and which ports the bench may use; shared by every benchmark.</summary>
/// <param name="ApplianceDll">The built host (<c>appliance.dll</c>), preferably a Release publish.</param>
/// <param name="WorkDir">Scratch root under /tmp (every parent traversable by postgres); wiped per cluster.</param>
/// <param name="BasePort">Node i uses PostgreSQL BASE+10i, HTTP +1, Akka +2; the hand-configured baseline uses BASE+100…</param>
/// <param name="PgBin">PostgreSQL 15's bin directory.</param>
/// <param name="ResultsDir">Where JSON results go.</param>
internal sealed record BenchSettings(string ApplianceDll, string WorkDir, int BasePort, string PgBin, string ResultsDir)
{
    /// <summary>The superuser password of every cluster the bench starts (appliance and baseline alike).</summary>
    public const string Password = "bench-pw";

    public static readonly IReadOnlyDictionary<string, string> PgEnv = new Dictionary<string, string> { ["PGPASSWORD"] = Password };

    /// <summary>The environment for connecting as an appliance cluster's replication role, whose password the nodes derive
    /// from <see cref="Password"/>.</summary>
    public static readonly IReadOnlyDictionary<string, string> ReplicationPgEnv = new Dictionary<string, string>
    {
        ["PGPASSWORD"] = Appliance.Nodes.Postgres.ClusterCredentials.FromSecret(Password).ReplicationPassword,
    };
}
