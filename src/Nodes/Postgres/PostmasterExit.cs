namespace Appliance.Nodes.Postgres;

/// <summary>How and when a postmaster ended.</summary>
/// <param name="Pid">Its process id.</param>
/// <param name="ExitCode">Its exit code (128 + signal number style codes are the OS's).</param>
/// <param name="Requested">True if the driver stopped it; false if it died on its own (or someone else killed it).</param>
/// <param name="At">When the driver saw it end.</param>
/// <param name="LogTail">The server's last log lines.</param>
public sealed record PostmasterExit(int Pid, int ExitCode, bool Requested, DateTimeOffset At, IReadOnlyList<string> LogTail);
