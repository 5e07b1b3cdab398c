using System.Diagnostics;

namespace Appliance.Chaos;

/// <summary>Runs short system commands (ip, tc, kill) to completion and fails loudly when they fail.</summary>
public static class Shell
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; returns exit code and output.</summary>
    public static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ChaosEnvironmentException($"cannot run '{file}': {e.Message}. The chaos harness needs iproute2 (ip) and root.");
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(30_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{file} {string.Join(' ', args)}' did not finish in 30 s");
            }
            p.WaitForExit();
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Runs a command that must succeed.</summary>
    public static string Must(string file, params string[] args)
    {
        var (code, stdout, stderr) = Run(file, args);
        if (code != 0) throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' exited with {code}: {stderr.Trim()} {stdout.Trim()}");
        return stdout;
    }

    /// <summary>Runs <c>ip</c> with <paramref name="args"/>, which must succeed.</summary>
    public static string Ip(params string[] args) => Must("ip", args);
}

/// <summary>Something the harness needs is missing (a tool, root); tests fail with this rather than skip.</summary>
public sealed class ChaosEnvironmentException(string message) : Exception(message);
