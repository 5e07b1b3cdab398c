using System.Diagnostics;

namespace Appliance.Bench;

/// <summary>/proc and child commands (signals are <see cref="Appliance.Nodes.Postgres.ProcessSignal"/>'s): the bench plays the operating system's part in a host crash.</summary>
internal static class Os
{
    /// <summary>Resident set size in KiB (VmRSS) and its peak (VmHWM).</summary>
    public static (long RssKb, long HwmKb) Memory(int pid)
    {
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadAllLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:")) rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            if (line.StartsWith("VmHWM:")) hwm = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        return (rss, hwm);
    }

    /// <summary>User plus system CPU time of a process, in clock ticks (100 per second on Linux).</summary>
    public static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[11]) + long.Parse(f[12]);   // utime, stime (fields 14 and 15 of stat)
    }

    /// <summary>Runs a command to completion and returns its exit code and combined output.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(10));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>Like <see cref="RunAsync"/>, but a non-zero exit is an error.</summary>
    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var list = args.ToList();
        var (code, output) = await RunAsync(file, list, env, timeout);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', list)} exited {code}:\n{output}");
        return output;
    }

    /// <summary>Runs a command as the postgres OS user (PostgreSQL refuses to run as root).</summary>
    public static Task<string> RunAsPostgresAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null,
        TimeSpan? timeout = null) =>
        RunCheckedAsync("runuser", new[] { "-u", "postgres", "--", "env" }
            .Concat((env ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}"))
            .Concat([file]).Concat(args), null, timeout);

    /// <summary>Total size of the files under <paramref name="dir"/>, in bytes.</summary>
    public static long DirectoryBytes(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
