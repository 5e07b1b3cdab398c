using System.Diagnostics;

namespace Appliance.Nodes.Postgres;

/// <summary>Runs a PostgreSQL tool (initdb, pg_basebackup, pg_rewind, …) to completion, as postgres when root.</summary>
internal static class PostgresCommand
{
    /// <summary>Runs the tool; cancelling kills it (and its children) and then throws.</summary>
    internal static async Task<CommandResult> RunAsync(string binary, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment, Action<string>? onLine, CancellationToken ct)
    {
        var psi = PostgresOsUser.StartInfo(binary, arguments, environment);
        using var process = new Process { StartInfo = psi };
        var output = new List<string>();
        void Collect(string line)
        {
            lock (output) output.Add(line);
            onLine?.Invoke(line);
        }

        if (!process.Start()) throw new PostgresDriverException($"Could not start {binary}.");
        process.StandardInput.Close();
        var pumps = Task.WhenAll(
            OutputLines.PumpAsync(process.StandardOutput, Collect),
            OutputLines.PumpAsync(process.StandardError, Collect));
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        await pumps.ConfigureAwait(false);
        lock (output) return new CommandResult(process.ExitCode, output.ToArray());
    }

    /// <summary>Runs the tool and throws <see cref="PostgresCommandFailedException"/> unless it exits with 0.</summary>
    internal static async Task<CommandResult> RunCheckedAsync(string binary, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment, CancellationToken ct)
    {
        var result = await RunAsync(binary, arguments, environment, null, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new PostgresCommandFailedException(Path.GetFileName(binary), result.ExitCode, result.Output);
        return result;
    }
}
