using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Nodes.Postgres;

namespace Appliance.Chaos;

/// <summary>
/// One Linux network namespace per node, each joined to a bridge in the root namespace by a veth pair, on a /24 of
/// 10.77.0.0/16 that the lab picks itself (so a long run and a CI run can share the machine). The harness talks to
/// the nodes from the root namespace through the bridge's address (.254). Links are cut with blackhole routes inside
/// the namespaces: there is no iptables here, and a blackhole route drops a node's packets to one peer only, which
/// gives one-way and asymmetric cuts as well as full isolation.
/// </summary>
/// <remarks>
/// Names carry the prefix <see cref="Prefix"/>, the harness's pid and the subnet, e.g. namespace
/// <c>apch-4242-s77-n1</c>, bridge <c>apchbr77</c>, veth <c>ap77n1</c>, so that <see cref="SweepStale"/> can remove
/// what a crashed run left behind without touching a live run.
/// </remarks>
public sealed class NetworkLab : IDisposable
{
    /// <summary>Every name the lab creates starts with this.</summary>
    public const string Prefix = "apch";

    private readonly HashSet<(int From, int To)> _cuts = [];
    private bool _disposed;

    private NetworkLab(int subnet, int nodes)
    {
        Subnet = subnet;
        Nodes = nodes;
    }

    /// <summary>The third octet: nodes are 10.77.<see cref="Subnet"/>.i.</summary>
    public int Subnet { get; }

    /// <summary>Number of node namespaces (node i is 1-based).</summary>
    public int Nodes { get; }

    /// <summary>The bridge's name in the root namespace.</summary>
    public string Bridge => $"{Prefix}br{Subnet}";

    /// <summary>The harness's own address on the bridge.</summary>
    public string HarnessAddress => $"10.77.{Subnet}.254";

    /// <summary>The lab's network in CIDR notation.</summary>
    public string Cidr => $"10.77.{Subnet}.0/24";

    /// <summary>Node <paramref name="i"/>'s address.</summary>
    public string Address(int i) => $"10.77.{Subnet}.{i}";

    /// <summary>Node <paramref name="i"/>'s namespace.</summary>
    public string Namespace(int i) => $"{Prefix}-{Environment.ProcessId}-s{Subnet}-n{i}";

    /// <summary>The links cut now, as (from, to): packets from node From to node To are dropped.</summary>
    public IReadOnlyCollection<(int From, int To)> Cuts { get { lock (_cuts) return [.. _cuts]; } }

    /// <summary>Sweeps stale labs, then builds a new one with <paramref name="nodes"/> namespaces.</summary>
    /// <exception cref="ChaosEnvironmentException">Not root, or no <c>ip</c>.</exception>
    public static NetworkLab Create(int nodes, Random random)
    {
        if (!OperatingSystem.IsLinux()) throw new ChaosEnvironmentException("the chaos harness needs Linux network namespaces");
        if (Environment.UserName != "root" && Shell.Run("id", "-u").Out.Trim() != "0")
            throw new ChaosEnvironmentException("the chaos harness needs root (ip netns, veth, bridges)");
        SweepStale();
        for (var attempt = 0; ; attempt++)
        {
            var subnet = random.Next(1, 250);
            // A veth of a lab just removed may outlive its namespace for a moment (the kernel tears it down
            // asynchronously), and a replay with the same seed draws the same subnet: skip one still in use.
            if (LinkExists($"{Prefix}br{subnet}") || Enumerable.Range(1, nodes).Any(i => LinkExists(Veth(subnet, i)))) continue;
            var (code, _, err) = Shell.Run("ip", "link", "add", $"{Prefix}br{subnet}", "type", "bridge");
            if (code != 0)
            {
                // Another run took the same subnet between our look and our add.
                if (attempt < 20 && err.Contains("exists", StringComparison.OrdinalIgnoreCase)) continue;
                throw new ChaosEnvironmentException($"cannot create a bridge: {err.Trim()}");
            }
            var lab = new NetworkLab(subnet, nodes);
            try
            {
                lab.Build();
            }
            catch
            {
                lab.Dispose();
                throw;
            }
            return lab;
        }
    }

    private void Build()
    {
        Shell.Ip("addr", "add", $"{HarnessAddress}/24", "dev", Bridge);
        Shell.Ip("link", "set", Bridge, "up");
        for (var i = 1; i <= Nodes; i++)
        {
            var ns = Namespace(i);
            var host = Veth(Subnet, i);
            Shell.Ip("netns", "add", ns);
            Shell.Ip("link", "add", host, "type", "veth", "peer", "name", $"{host}p");
            Shell.Ip("link", "set", $"{host}p", "netns", ns);
            Shell.Ip("link", "set", host, "master", Bridge);
            Shell.Ip("link", "set", host, "up");
            InNamespace(i, "link", "set", "lo", "up");
            InNamespace(i, "link", "set", $"{host}p", "name", "eth0");
            InNamespace(i, "addr", "add", $"{Address(i)}/24", "dev", "eth0");
            InNamespace(i, "link", "set", "eth0", "up");
            GiveDeadResolver(ns);
        }
    }

    /// <summary>
    /// The address named as every node's DNS server: on the bridge's subnet, held by nobody, so a query is never
    /// answered and waits out the resolver's timeout. Failover must not depend on DNS (a node once waited on reverse
    /// lookups for every peer connection and the cluster never formed), so every schedule runs this way.
    /// </summary>
    public string DeadResolver => $"10.77.{Subnet}.253";

    // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf for what it starts.
    private static string NamespaceEtc(string ns) => Path.Combine("/etc/netns", ns);

    private void GiveDeadResolver(string ns)
    {
        Directory.CreateDirectory(NamespaceEtc(ns));
        var content = $"# chaos harness: a resolver that never answers\nnameserver {DeadResolver}\noptions timeout:5 attempts:2\n";
        File.WriteAllText(Path.Combine(NamespaceEtc(ns), "resolv.conf"), content);
        var seen = Shell.Run("ip", "netns", "exec", ns, "cat", "/etc/resolv.conf");
        if (seen.Code != 0 || seen.Out != content)
            throw new ChaosEnvironmentException($"namespace {ns} does not see the harness's resolv.conf (ip netns exec: {seen.Err.Trim()})");
    }

    private void InNamespace(int i, params string[] args) => Shell.Ip(["-n", Namespace(i), .. args]);

    /// <summary>Drops every packet from node <paramref name="from"/> to node <paramref name="to"/> (one way).</summary>
    public void Cut(int from, int to)
    {
        lock (_cuts)
        {
            if (from == to || !_cuts.Add((from, to))) return;
            InNamespace(from, "route", "add", "blackhole", $"{Address(to)}/32");
        }
    }

    /// <summary>Cuts both directions between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public void CutBoth(int a, int b)
    {
        Cut(a, b);
        Cut(b, a);
    }

    /// <summary>Cuts node <paramref name="i"/> off from every other node (the harness still reaches it).</summary>
    public void Isolate(int i)
    {
        for (var j = 1; j <= Nodes; j++) if (j != i) CutBoth(i, j);
    }

    /// <summary>Restores every link.</summary>
    public void HealAll()
    {
        lock (_cuts)
        {
            foreach (var (from, to) in _cuts)
                Shell.Run("ip", "-n", Namespace(from), "route", "del", "blackhole", $"{Address(to)}/32");
            _cuts.Clear();
        }
    }

    /// <summary>
    /// Destroys every TCP socket the kernel of node <paramref name="i"/>'s namespace still holds (<c>ss -K</c>). After a
    /// kill -9 the kernel keeps the dead processes' sockets with their unsent data, and a cut link only holds that data
    /// back: restored, it delivers it. A machine that crashed sends nothing more, so a crash behind a cut drops them.
    /// </summary>
    /// <exception cref="ChaosEnvironmentException">Sockets are left: the kernel cannot destroy sockets (CONFIG_INET_DIAG_DESTROY).</exception>
    public void DropSockets(int i)
    {
        Shell.Must("ip", "netns", "exec", Namespace(i), "ss", "-K", "-a", "-t");
        // TIME-WAIT sockets hold no data (and ss cannot destroy them).
        var left = string.Join("\n", Shell.Must("ip", "netns", "exec", Namespace(i), "ss", "-H", "-a", "-t", "-n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("TIME-WAIT", StringComparison.Ordinal)));
        if (left.Length > 0)
            throw new ChaosEnvironmentException($"'ss -K' left TCP sockets in {Namespace(i)} (the kernel needs CONFIG_INET_DIAG_DESTROY):\n{left}");
    }

    /// <summary>Pids of every process inside node <paramref name="i"/>'s namespace.</summary>
    public IReadOnlyList<int> Pids(int i) => ParsePids(Shell.Run("ip", "netns", "pids", Namespace(i)).Out);

    /// <summary>Kills every process of every namespace (SIGKILL), deletes the namespaces and the bridge.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (var i = 1; i <= Nodes; i++)
        {
            // Deleting the pair from this side is synchronous; left to the namespace's removal it lingers a moment.
            Shell.Run("ip", "link", "del", Veth(Subnet, i));
            RemoveNamespace(Namespace(i));
        }
        Shell.Run("ip", "link", "del", Bridge);
    }

    private static void RemoveNamespace(string ns)
    {
        foreach (var pid in ParsePids(Shell.Run("ip", "netns", "pids", ns).Out)) ProcessSignal.Send(pid, ProcessSignal.Kill);
        Shell.Run("ip", "netns", "del", ns);
        if (Directory.Exists(NamespaceEtc(ns))) Directory.Delete(NamespaceEtc(ns), recursive: true);
    }

    private static IReadOnlyList<int> ParsePids(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)];

    // The host side of node i's veth pair: short, since interface names have at most 15 characters.
    private static string Veth(int subnet, int i) => $"ap{subnet}n{i}";

    private static bool LinkExists(string name) => Shell.Run("ip", "link", "show", name).Code == 0;

    /// <summary>
    /// Removes namespaces whose harness process is gone (killing what still runs in them) and bridges no live
    /// namespace uses: the leftovers of a crashed or killed earlier run.
    /// </summary>
    public static void SweepStale()
    {
        var (code, list, err) = Shell.Run("ip", "netns", "list");
        if (code != 0) throw new ChaosEnvironmentException($"'ip netns list' failed: {err.Trim()}");
        var live = new HashSet<int>();
        foreach (Match m in Regex.Matches(list, $@"^({Prefix}-(\d+)-s(\d+)-n\d+)", RegexOptions.Multiline))
        {
            var pid = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (Directory.Exists($"/proc/{pid}")) live.Add(int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
            else RemoveNamespace(m.Groups[1].Value);
        }
        var links = Shell.Run("ip", "-o", "link", "show", "type", "bridge").Out;
        foreach (Match m in Regex.Matches(links, $@"^\d+: ({Prefix}br(\d+))[:@]", RegexOptions.Multiline))
            if (!live.Contains(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
                Shell.Run("ip", "link", "del", m.Groups[1].Value);
    }
}
