using System.Globalization;

namespace Appliance.Launch;

/// <summary>
/// The command line of one <c>appliance node</c>: the flags every launcher gives a node (the demo, the bench, the chaos
/// harness and the process tests' cluster fixture), then the flags only some do, in <see cref="Extra"/>, as the
/// <c>node</c> verb of <c>CommandLine</c> names them. Tests of the command line itself (bad flags, missing ones) spell
/// theirs by hand.
/// </summary>
/// <param name="Name">The instance id (<c>--name</c>), such as <c>n1</c>.</param>
/// <param name="AkkaPort">Akka remoting port (<c>--akka-port</c>).</param>
/// <param name="HttpPort">HTTP API port (<c>--http-port</c>).</param>
/// <param name="PgPort">PostgreSQL port (<c>--pg-port</c>).</param>
/// <param name="DataDir">The node's directory (<c>--data-dir</c>).</param>
/// <param name="SeedNodes">Every database node's Akka remoting as <c>host:port</c> (<c>--seed-nodes</c>), the same on every node.</param>
/// <param name="StateStore">Where the coordinator keeps the cluster state (<c>--state-store</c>), such as <c>sqlite:PATH</c>.</param>
public sealed record NodeFlags(string Name, int AkkaPort, int HttpPort, int PgPort, string DataDir, IReadOnlyList<string> SeedNodes, string StateStore)
{
    /// <summary>The address the node binds and advertises (<c>--host</c>); null: the node's default, loopback.</summary>
    public string? Host { get; init; }

    /// <summary>The process whose exit stops the node (<c>--exit-with-parent</c>), usually the launcher's own; null: none.</summary>
    public int? ExitWithParent { get; init; }

    /// <summary>Further flags and their values, given after the others as they are, such as <c>--rejoin manual</c>.</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];

    /// <summary>The arguments that start the node: the verb <c>node</c>, its flags, then <see cref="Extra"/>.</summary>
    public IReadOnlyList<string> Arguments()
    {
        List<string> args = ["node", "--name", Name];
        if (Host is not null) args.AddRange(["--host", Host]);
        args.AddRange(
        [
            "--akka-port", Invariant(AkkaPort), "--http-port", Invariant(HttpPort), "--pg-port", Invariant(PgPort),
            "--data-dir", DataDir, "--seed-nodes", string.Join(",", SeedNodes), "--state-store", StateStore,
        ]);
        if (ExitWithParent is { } parent) args.AddRange(["--exit-with-parent", Invariant(parent)]);
        args.AddRange(Extra);
        return args;
    }

    private static string Invariant(int n) => n.ToString(CultureInfo.InvariantCulture);
}
