using System.Diagnostics;
using Appliance.Nodes.State;

namespace Appliance.Actors.Instance;

/// <summary>
/// The node's <c>--on-role-change CMD</c>: run after every change of the role this node applied, never in the role's
/// way. <c>CMD</c> runs through <c>/bin/sh -c</c> with three arguments appended (new role, old role, generation) and
/// with <c>APPLIANCE_NEW_ROLE</c>, <c>APPLIANCE_OLD_ROLE</c>, <c>APPLIANCE_GENERATION</c> and <c>APPLIANCE_PEER</c> set.
/// Roles are lower case (primary, sync, async, deposed, unassigned, maintenance). A command still running after
/// <see cref="Timeout"/> is killed with its process tree.
/// </summary>
/// <param name="Command">The shell command.</param>
/// <param name="Timeout">How long it may run.</param>
public sealed record RoleChangeHook(string Command, TimeSpan Timeout)
{
    /// <summary>The default timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How a run ended.</summary>
    /// <param name="ExitCode">The exit code, or null when it timed out or could not start.</param>
    /// <param name="TimedOut">It ran past the timeout and was killed.</param>
    /// <param name="Error">Why it could not start.</param>
    public sealed record Outcome(int? ExitCode, bool TimedOut, string? Error);

    /// <summary>Runs the command once; never throws.</summary>
    public async Task<Outcome> RunAsync(string peer, PeerRole newRole, PeerRole oldRole, long generation)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        string New = Name(newRole), Old = Name(oldRole), Gen = generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var arg in new[] { "-c", Command + " \"$@\"", "appliance-on-role-change", New, Old, Gen }) start.ArgumentList.Add(arg);
        start.Environment["APPLIANCE_NEW_ROLE"] = New;
        start.Environment["APPLIANCE_OLD_ROLE"] = Old;
        start.Environment["APPLIANCE_GENERATION"] = Gen;
        start.Environment["APPLIANCE_PEER"] = peer;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("the process did not start");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return new Outcome(null, false, e.Message);
        }
        using (process)
        {
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                return new Outcome(process.ExitCode, false, null);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { }   // it ended just now
                return new Outcome(null, true, null);
            }
        }
    }

    private static string Name(PeerRole role) => role.ToString().ToLowerInvariant();
}
