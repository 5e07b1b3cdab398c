namespace Appliance.Nodes.Postgres;

/// <summary>The outcome of a PostgreSQL tool that ran to completion.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Output">Its standard output and error, interleaved by arrival.</param>
internal sealed record CommandResult(int ExitCode, IReadOnlyList<string> Output);
