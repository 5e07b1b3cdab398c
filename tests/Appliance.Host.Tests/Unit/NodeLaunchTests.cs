using Appliance.Launch;

namespace Appliance.Host.Tests.Unit;

/// <summary>
/// The launcher keeps the pid the program's own whatever the shell arranges (callers signal it and compare it with
/// /status), and the output, session, input and environment are the ones asked for. A tiny <c>sh</c> program stands in
/// for a node: it prints its own pid, session and what it could read.
/// </summary>
[Trait("Category", "Unit")]
public sealed class NodeLaunchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("node-launch-").FullName;

    /// <summary><c>sh -c SCRIPT</c>: the shell the launcher execs, so <c>$$</c> is the launched process's pid.</summary>
    private static Executable Shell(string script) => new("/bin/sh", ["-c", script]);

    /// <summary>Prints "pid SESSION" (fields 1 and 6 of /proc/$$/stat), a line on standard error, and what reading standard input gave.</summary>
    private const string Report = "read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; echo \"$pid $sid\"; echo on-stderr >&2; " +
                                  "if read -r line; then echo \"input $line\"; else echo 'input none'; fi";

    private static async Task<int> ExitedAsync(System.Diagnostics.Process p)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return p.ExitCode;
    }

    [Fact]
    public async Task Output_is_appended_to_the_log_file_by_the_program_whose_pid_is_the_returned_one()
    {
        var log = Path.Combine(_dir, "n1.log");
        File.WriteAllText(log, "earlier run\n");
        using var p = new NodeLaunch(Shell(Report), []) { LogFile = log, Input = LaunchInput.Null }.Start();

        Assert.Equal(0, await ExitedAsync(p));
        var lines = File.ReadAllLines(log);
        Assert.Equal("earlier run", lines[0]);
        Assert.Equal($"{p.Id}", lines[1].Split(' ')[0]);
        Assert.Contains("on-stderr", lines);
        Assert.Contains("input none", lines);
    }

    [Fact]
    public async Task A_node_in_a_session_of_its_own_leads_it_with_the_returned_pid()
    {
        var log = Path.Combine(_dir, "n1.log");
        using var p = new NodeLaunch(Shell(Report), []) { LogFile = log, OwnSession = true, Input = LaunchInput.Null }.Start();

        Assert.Equal(0, await ExitedAsync(p));
        Assert.Equal($"{p.Id} {p.Id}", File.ReadLines(log).First());
    }

    [Fact]
    public async Task Without_a_log_file_output_is_piped_to_the_launcher_and_a_piped_input_is_the_launchers_to_write()
    {
        using var p = new NodeLaunch(Shell(Report), []) { Input = LaunchInput.Pipe }.Start();
        await p.StandardInput.WriteLineAsync("hello");
        p.StandardInput.Close();
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();

        Assert.Equal(0, await ExitedAsync(p));
        Assert.StartsWith($"{p.Id} ", stdout);
        Assert.Contains("input hello", stdout);
        Assert.Equal("on-stderr", stderr.Trim());
    }

    [Fact]
    public async Task Variables_are_set_or_removed_and_the_arguments_follow_the_prefix()
    {
        var inherited = $"APPLIANCE_LAUNCH_TEST_{Environment.ProcessId}";
        Environment.SetEnvironmentVariable(inherited, "from the launcher");
        try
        {
            using var p = new NodeLaunch(Shell($"echo \"$0 $1 ${{SET_HERE}} ${{{inherited}-removed}}\""), ["first", "second"])
            {
                Environment = new Dictionary<string, string?> { ["SET_HERE"] = "set", [inherited] = null },
            }.Start();
            var stdout = await p.StandardOutput.ReadToEndAsync();

            Assert.Equal(0, await ExitedAsync(p));
            Assert.Equal("first second set removed", stdout.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable(inherited, null);
        }
    }

    [Fact]
    public void A_wrapper_that_execs_comes_first_and_the_program_with_its_prefix_after_it()
    {
        var e = Executable.Dotnet("/opt/appliance/appliance.dll").Through("ip", "netns", "exec", "lab-n1");

        Assert.Equal("ip", e.Program);
        Assert.Equal(["ip", "netns", "exec", "lab-n1", "dotnet", "/opt/appliance/appliance.dll"], e.Words);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
