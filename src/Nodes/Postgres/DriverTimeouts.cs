namespace Appliance.Nodes.Postgres;

/// <summary>Deadlines for the driver's operations.</summary>
/// <param name="Start">From spawning the postmaster until it accepts connections.</param>
/// <param name="FastStop">How long a fast shutdown (SIGINT) may take before an immediate one (SIGQUIT).</param>
/// <param name="ImmediateStop">How long an immediate shutdown may take before SIGKILL.</param>
/// <param name="Reload">How long a SIGHUP may take to show on a new connection.</param>
/// <param name="Promote">How long <c>pg_promote</c> may take.</param>
/// <param name="Connect">Connect timeout for the driver's own connections.</param>
public sealed record DriverTimeouts(TimeSpan Start, TimeSpan FastStop, TimeSpan ImmediateStop, TimeSpan Reload,
    TimeSpan Promote, TimeSpan Connect)
{
    /// <summary>
    /// How long the status reports' kept monitoring session serves before a fresh login (<see cref="StatusSession"/>):
    /// a refused login is how a node learns that the superuser password was rotated, so this bounds how late it learns.
    /// </summary>
    public TimeSpan StatusSession { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Production defaults.</summary>
    public static readonly DriverTimeouts Default = new(
        Start: TimeSpan.FromSeconds(120), FastStop: TimeSpan.FromSeconds(30), ImmediateStop: TimeSpan.FromSeconds(10),
        Reload: TimeSpan.FromSeconds(10), Promote: TimeSpan.FromSeconds(60), Connect: TimeSpan.FromSeconds(5));
}
