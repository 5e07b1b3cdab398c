using System.Diagnostics;
using Appliance.Host.Node;

namespace Appliance.Host.Demo;

/// <summary>
/// The demo as its nodes' service manager, as systemd is for a deployed node (<c>packaging/appliance.service</c>:
/// <c>Restart=on-failure</c>, <c>RestartSec=10s</c>): a node process that dies for any reason (a crash, <c>kill -9</c>,
/// an out-of-memory kill) is reported and started again after <see cref="RestartDelay"/>; one that left the cluster by
/// itself and asks to be started again (exit code 3, downed; 75, <see cref="SelfRestartWatch"/>) is started at once,
/// since it left in order. Only Ctrl-C stops the demo.
/// </summary>
/// <param name="nodes">The nodes.</param>
/// <param name="processes">Their processes, by index; a restarted node's entry is replaced.</param>
/// <param name="start">Starts a node's process.</param>
/// <param name="output">Where the reports go.</param>
/// <param name="restartDelay">How long a node that died waits before it is started again (default <see cref="RestartDelay"/>).</param>
public sealed class NodeSupervisor(IReadOnlyList<DemoNode> nodes, List<Process> processes, Func<DemoNode, Process> start, TextWriter output,
    TimeSpan? restartDelay = null)
{
    /// <summary>
    /// How long the demo waits before it starts a node that died again: systemd's <c>RestartSec=10s</c>, the delay README
    /// recommends, after which the peers have removed the dead incarnation and the new one gets in every time
    /// (a node started again at once on the same address sometimes cannot, docs/BENCHMARKS.md §1c).
    /// </summary>
    public static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(10);

    private readonly DateTime?[] _restartAt = new DateTime?[nodes.Count];
    private readonly TimeSpan _delay = restartDelay ?? RestartDelay;

    /// <summary>Reports nodes that exited since the last call and starts those whose delay has passed. Call it about once a second.</summary>
    public void Check()
    {
        for (var i = 0; i < processes.Count; i++)
        {
            var n = nodes[i];
            if (_restartAt[i] is { } at)
            {
                if (DateTime.UtcNow < at) continue;
                _restartAt[i] = null;
                processes[i] = start(n);
                output.WriteLine($"[{DateTime.Now:HH:mm:ss}] {n.Name}: started again (pid {processes[i].Id})");
                continue;
            }
            if (!processes[i].HasExited) continue;
            var (pid, code) = (processes[i].Id, processes[i].ExitCode);
            if (code is NodeExitCode.Downed or SelfRestartWatch.ExitCode)
            {
                processes[i] = start(n);
                output.WriteLine($"[{DateTime.Now:HH:mm:ss}] {n.Name} left the cluster by itself (exit code {code}: removed while unreachable, or alone in a cluster of its own); started it again (pid {processes[i].Id})");
                continue;
            }
            output.WriteLine($"[{DateTime.Now:HH:mm:ss}] {n.Name} (pid {pid}) {Describe(code)}; starting it again in {_delay.TotalSeconds:0} s, as systemd would (Restart=on-failure, RestartSec={_delay.TotalSeconds:0}s)");
            var log = Path.Combine(Path.GetDirectoryName(n.DataDir)!, $"{n.Name}.log");
            if (code is > 0 and < 128 && File.Exists(log))
                foreach (var line in File.ReadLines(log).TakeLast(5)) output.WriteLine($"    {line}");
            _restartAt[i] = DateTime.UtcNow + _delay;
        }
    }

    /// <summary>How a node process ended, for people: a signal is named (exit code 137 is SIGKILL).</summary>
    public static string Describe(int exitCode) => exitCode switch
    {
        0 => "exited (exit code 0)",
        > 128 and < 160 => $"was killed by {SignalName(exitCode - 128)} (exit code {exitCode})",
        _ => $"exited with code {exitCode}",
    };

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 6 => "SIGABRT", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM",
        _ => $"signal {signal}",
    };
}
