// Minimal reproduction of the classic-remoting restart race (docs/BENCHMARKS.md finding 7; README.md here).
//   node --port P [--passive off]                         one cluster member on 127.0.0.1:P (exits when stdin closes)
//   loop --trials N --restart-delay MS|jitter|A-B [--passive off] [--settle S] [--logs DIR]
//                                                         three members; N times: SIGKILL node 2, restart it, measure
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;
using static Akka.Cluster.ClusterEvent;

namespace AkkaRestartRepro;

internal static class Program
{
    internal static readonly int[] Ports = [27551, 27552, 27553];

    internal static string? Arg(string[] args, string name, string? fallback = null)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static int Main(string[] args) => args.FirstOrDefault() switch
    {
        "node" => Node.Run(int.Parse(Arg(args, "--port")!), Arg(args, "--passive", "on")!),
        "loop" => Loop.Run(args),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: node --port P [--passive on|off] | loop --trials N --restart-delay MS|jitter|A-B [--passive on|off] [--settle S] [--logs DIR]");
        return 2;
    }
}

/// <summary>One member. Logs "REPRO ..." lines the loop parses; Akka's own log goes to the same stdout.</summary>
internal static class Node
{
    internal static void Log(string s) => Console.Out.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} REPRO {s}");

    internal static int Run(int port, string passive)
    {
        // Exit with the parent: the loop holds our stdin open and never writes; EOF means it is gone.
        new Thread(() => { while (Console.In.ReadLine() != null) { } Environment.Exit(0); }) { IsBackground = true }.Start();
        var seeds = string.Join(", ", Program.Ports.Select(p => $"\"akka.tcp://repro@127.0.0.1:{p}\""));
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = INFO
              log-dead-letters = on   # the probe's pings are suppressed; what remains is rare and shown in the log
              log-dead-letters-during-shutdown = off
              actor.provider = cluster
              remote {
                use-passive-connections = {{passive}}
                dot-netty.tcp { hostname = 127.0.0.1, port = {{port}} }
              }
              cluster {
                seed-nodes = [{{seeds}}]
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver { active-strategy = keep-majority, stable-after = 7s }
              }
            }
            """);
        var system = ActorSystem.Create("repro", config);
        var cluster = Cluster.Get(system);
        Log($"SELF port={port} uid={cluster.SelfUniqueAddress.Uid} passive={passive}");
        cluster.RegisterOnMemberUp(() => Log("SELF_UP"));
        cluster.RegisterOnMemberRemoved(() => Log("SELF_REMOVED"));
        system.ActorOf(Props.Create(() => new Probe()), "probe");
        system.WhenTerminated.Wait();
        Log("TERMINATED");
        return 3;
    }
}

/// <summary>The probe's 200 ms message; its dead letters (to a gated or dead address) are not logged.</summary>
public sealed class Ping : IDeadLetterSuppression
{
    public static readonly Ping Instance = new();
}

/// <summary>Tracks the membership, watches every other member's probe and pings every member every 200 ms.</summary>
internal sealed class Probe : UntypedActor, IWithTimers
{
    private sealed class Tick { internal static readonly Tick Instance = new(); }

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly Dictionary<UniqueAddress, MemberStatus> _members = new();
    private readonly HashSet<UniqueAddress> _unreachable = new();
    private readonly Dictionary<Address, IActorRef> _watched = new();
    private int _ticks;

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, InitialStateAsEvents, typeof(IMemberEvent), typeof(IReachabilityEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromMilliseconds(200));
    }

    private static string Id(UniqueAddress u) => $"{u.Address.Port}:{u.Uid}";

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tick:
                _ticks++;
                foreach (var m in _members.Keys.Where(m => !m.Equals(_cluster.SelfUniqueAddress)))
                {
                    var probe = Context.ActorSelection(new RootActorPath(m.Address) / "user" / "probe");
                    probe.Tell(Ping.Instance);
                    if (_ticks % 5 == 0 && !_watched.ContainsKey(m.Address)) probe.Tell(new Identify(m.Address));
                }
                return;
            case Ping:
                return;
            case ActorIdentity { Subject: { } subject } id when id.MessageId is Address a:
                if (_watched.TryGetValue(a, out var old) && old.Equals(subject)) return;
                _watched[a] = subject;
                Context.Watch(subject);
                Node.Log($"WATCHING {subject.Path}");
                return;
            case ActorIdentity:
                return;
            case Terminated t:
                if (_watched.TryGetValue(t.ActorRef.Path.Address, out var w) && w.Equals(t.ActorRef)) _watched.Remove(t.ActorRef.Path.Address);
                Node.Log($"WATCH_TERMINATED {t.ActorRef.Path.Address} existence={t.ExistenceConfirmed} addressTerminated={t.AddressTerminated}");
                return;
            case AllDeadLetters d:
                if (d.Message.GetType().Name.Contains("HandleListenerRegistered"))
                    Node.Log($"DEADLETTER_HLR {d.Message.GetType().Name} from {d.Sender} to {d.Recipient}");
                return;
            case IMemberEvent e:
                if (e is MemberRemoved) _members.Remove(e.Member.UniqueAddress);
                else _members[e.Member.UniqueAddress] = e.Member.Status;
                if (e is MemberRemoved) _unreachable.Remove(e.Member.UniqueAddress);
                Node.Log($"EVENT {e.GetType().Name} {Id(e.Member.UniqueAddress)}{(e is MemberRemoved r ? " previous=" + r.PreviousStatus : "")}");
                View();
                return;
            case UnreachableMember u:
                _unreachable.Add(u.Member.UniqueAddress);
                Node.Log($"EVENT Unreachable {Id(u.Member.UniqueAddress)}");
                View();
                return;
            case ReachableMember u:
                _unreachable.Remove(u.Member.UniqueAddress);
                Node.Log($"EVENT Reachable {Id(u.Member.UniqueAddress)}");
                View();
                return;
            default:
                Unhandled(message);
                return;
        }
    }

    private void View() => Node.Log(
        $"VIEW members={string.Join(",", _members.Select(kv => $"{Id(kv.Key)}:{kv.Value}"))} unreachable={string.Join(",", _unreachable.Select(Id))}");
}
