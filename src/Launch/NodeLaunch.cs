using System.Diagnostics;

namespace Appliance.Launch;

/// <summary>
/// How to start one <c>appliance</c> process (a node, the demo or a CLI verb): the one place that knows how to keep the
/// pid the process's own while its output goes to a file, its session is its own, or its input is <c>/dev/null</c>.
/// </summary>
/// <param name="Executable">What runs.</param>
/// <param name="Arguments">The verb and its arguments, after <see cref="Executable.Prefix"/>.</param>
public sealed record NodeLaunch(Executable Executable, IReadOnlyList<string> Arguments)
{
    /// <summary>Variables to set in its environment, which is the launcher's otherwise; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// The file its standard output and error are appended to. Written by the process itself, not piped through the
    /// launcher, so that its last words are kept when it is killed with -9 and when the launcher is gone. Null: both
    /// are piped to the launcher, which reads them from the returned process.
    /// </summary>
    public string? LogFile { get; init; }

    /// <summary>
    /// Whether it runs in a session of its own (<c>setsid</c>, where installed), so that Ctrl-C in the launcher's terminal
    /// reaches only the launcher, which stops its children in order.
    /// </summary>
    public bool OwnSession { get; init; }

    /// <summary>What it reads as standard input.</summary>
    public LaunchInput Input { get; init; } = LaunchInput.Inherit;

    /// <summary>
    /// Starts it. A log file, a session of its own or a null input are arranged by <c>/bin/sh</c>, which then execs the
    /// program (as does <c>setsid</c>, since the shell leads no process group), so the returned process's pid is the
    /// program's own either way: the one a node reports, and the one a signal must go to.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process could not be started.</exception>
    public Process Start()
    {
        var viaShell = LogFile is not null || OwnSession || Input == LaunchInput.Null;
        var psi = new ProcessStartInfo(viaShell ? "/bin/sh" : Executable.Program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = LogFile is null,
            RedirectStandardError = LogFile is null,
            RedirectStandardInput = Input == LaunchInput.Pipe,
        };
        if (viaShell)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(Script());
            psi.ArgumentList.Add("sh");
            if (LogFile is not null) psi.ArgumentList.Add(LogFile);
            psi.ArgumentList.Add(Executable.Program);
        }
        foreach (var a in Executable.Prefix) psi.ArgumentList.Add(a);
        foreach (var a in Arguments) psi.ArgumentList.Add(a);
        foreach (var (name, value) in Environment)
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Executable.Program}");
    }

    /// <summary>The shell script that arranges the output, session and input, then execs <c>"$@"</c>.</summary>
    private string Script()
    {
        var redirect = (LogFile is null ? "" : " >>\"$log\" 2>&1") + (Input == LaunchInput.Null ? " </dev/null" : "");
        var exec = OwnSession
            ? $"if command -v setsid >/dev/null; then exec setsid \"$@\"{redirect}; else exec \"$@\"{redirect}; fi"
            : $"exec \"$@\"{redirect}";
        return (LogFile is null ? "" : "log=$1; shift; ") + exec;
    }
}
