using System.Diagnostics;
using System.Text;
using Appliance.Launch;
using Appliance.Nodes.Postgres;
using Appliance.Testing;

namespace Appliance.Testing.Processes;

/// <summary>The built <c>appliance</c> binary run as a child process (<c>dotnet appliance.dll …</c>), its output collected.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private AppProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "appliance.dll");

    public static AppProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        if (!File.Exists(Dll)) throw new FileNotFoundException($"The appliance binary is not built at {Dll}; build the solution first.", Dll);
        // The caller's variables, and none from the developer's shell that would point a CLI verb at another cluster.
        var environment = (env ?? new Dictionary<string, string>()).ToDictionary(e => e.Key, string? (e) => e.Value);
        environment["APPLIANCE_ENDPOINT"] = null;
        environment.TryAdd("APPLIANCE_API_TOKEN", null);
        environment.TryAdd(TestRuntime.TierZeroOnly.Key, TestRuntime.TierZeroOnly.Value);   // inherited by the demo's nodes
        return new AppProcess(new NodeLaunch(Executable.Dotnet(Dll), [.. args]) { Environment = environment, Input = LaunchInput.Pipe }.Start());
    }

    /// <summary>Runs a CLI verb to completion.</summary>
    public static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunAsync(null, args);

    /// <summary>Runs a CLI verb to completion with extra environment variables.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        await using var p = Start(args, env);
        var code = await p.WaitAsync(TimeSpan.FromSeconds(60));
        return (code, p.Stdout, p.Stderr);
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"appliance (pid {Id}) did not exit within {timeout.TotalSeconds:0} s.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit();   // drain the output
        return _process.ExitCode;
    }

    /// <summary>Waits until standard output contains <paramref name="text"/>; fails with the output if the process exits first.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        Eventually.TrueAsync(() =>
        {
            if (Stdout.Contains(text)) return Task.FromResult(true);
            if (HasExited) throw new InvalidOperationException($"appliance exited ({_process.ExitCode}) before printing '{text}'.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            return Task.FromResult(false);
        }, () => $"the output shows '{text}'; so far:\n{Stdout}\nstderr:\n{Stderr}", timeout);

    public void Signal(int signal) => _ = ProcessSignal.Send(_process.Id, signal);

    /// <summary>
    /// Whether this process ignores SIGINT, as a command started with <c>&amp;</c> from a non-interactive shell does.
    /// Children inherit the ignore, and .NET then never raises Ctrl-C in them (the runtime leaves an ignored SIGINT
    /// alone), so a test of Ctrl-C could only time out.
    /// </summary>
    public static bool IgnoresSigInt()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (ProcessSignal.Interrupt - 1))) != 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>Ids of live processes whose command line mentions <paramref name="text"/> (a scratch directory).</summary>
    public static IReadOnlyList<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text)) found.Add($"{pid}: {cmdline}");
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}

/// <summary>Runs a class's tests in the order of their names.</summary>
public sealed class ByName : Xunit.Sdk.ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : Xunit.Abstractions.ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
