namespace Appliance.Nodes.Postgres;

/// <summary>A PostgreSQL tool exited with an error.</summary>
internal sealed class PostgresCommandFailedException(string tool, int exitCode, IReadOnlyList<string> output)
    : PostgresDriverException($"{tool} failed with exit code {exitCode}:\n{string.Join('\n', output.TakeLast(20))}")
{
    /// <summary>The tool's output lines.</summary>
    public IReadOnlyList<string> Output { get; } = output;
}
