namespace Appliance.Chaos;

/// <summary>The faults the harness injects. Role names are resolved from the newest state when the fault starts.</summary>
public enum Nemesis
{
    /// <summary>kill -9 of the primary's host process; its postmaster lives on, orphaned.</summary>
    KillPrimaryHost,
    /// <summary>kill -9 of the sync's host process.</summary>
    KillSyncHost,
    /// <summary>kill -9 of async[0]'s host process.</summary>
    KillAsyncHost,
    /// <summary>kill -9 of the primary's postmaster.</summary>
    KillPrimaryPostmaster,
    /// <summary>kill -9 of the sync's postmaster.</summary>
    KillSyncPostmaster,
    /// <summary>kill -9 of async[0]'s postmaster.</summary>
    KillAsyncPostmaster,
    /// <summary>kill -9 of everything on the primary's node (a machine crash), down for a while.</summary>
    CrashPrimary,
    /// <summary>Machine crash of the sync.</summary>
    CrashSync,
    /// <summary>Machine crash of async[0].</summary>
    CrashAsync,
    /// <summary>Machine crash of the primary and async[0] together.</summary>
    CrashPrimaryAndAsync,
    /// <summary>Machine crash of the sync and async[0] together.</summary>
    CrashSyncAndAsync,
    /// <summary>SIGSTOP of the primary's host for 1 s (shorter than failure detection), then SIGCONT.</summary>
    PausePrimaryHostShort,
    /// <summary>SIGSTOP of the primary's host for 6 s (longer than failure detection).</summary>
    PausePrimaryHostLong,
    /// <summary>SIGSTOP of the primary's postmaster and its children for 1 s.</summary>
    PausePrimaryPostmasterShort,
    /// <summary>SIGSTOP of the primary's postmaster and its children for 6 s.</summary>
    PausePrimaryPostmasterLong,
    /// <summary>Cut the primary's node off from every other node (the clients still reach it).</summary>
    IsolatePrimary,
    /// <summary>Cut the sync's node off.</summary>
    IsolateSync,
    /// <summary>Cut off the node that hosts the coordinator (the oldest member).</summary>
    IsolateCoordinator,
    /// <summary>The primary reaches the sync and the sync reaches everyone, but the primary and the rest cannot talk.</summary>
    AsymmetricPrimary,
    /// <summary>One way only: the primary's packets to every other node are dropped; theirs reach it.</summary>
    OneWayFromPrimary,
    /// <summary>kill -9 of every node at once, then starts in random order.</summary>
    RestartAll,
    /// <summary>Each node in random order: kill -9, start again a moment later, next.</summary>
    RollingRestart,
    /// <summary>Machine crash of the primary and the sync: the design cannot heal without them, and must say so.</summary>
    CrashPrimaryAndSync,
    /// <summary>
    /// The primary's WAL forks off its sync's on purpose: the two are cut apart until the primary has flushed WAL the
    /// sync never received (its clients' commits then wait on the sync), the primary's machine crashes with that WAL,
    /// the links come back, and it stays down until the sync has taken over (and for the hold). It must come back
    /// through pg_rewind (or a clone), never with its forked WAL.
    /// </summary>
    DivergePrimary,
}

/// <summary>One fault of a schedule, with how long it lasts.</summary>
public sealed record Fault(Nemesis Nemesis, TimeSpan Hold)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Nemesis} ({Hold.TotalSeconds:0.#} s)";
}

/// <summary>Random schedules: the same seed gives the same faults.</summary>
public static class Schedules
{
    /// <summary>The nemeses a random schedule draws from (every one).</summary>
    public static IReadOnlyList<Nemesis> All { get; } = Enum.GetValues<Nemesis>();

    /// <summary><paramref name="count"/> faults drawn from <paramref name="random"/>, holds of 2–10 s.</summary>
    public static IReadOnlyList<Fault> Random(Random random, int count, IReadOnlyList<Nemesis>? from = null)
    {
        from ??= All;
        return [.. Enumerable.Range(0, count).Select(_ => new Fault(from[random.Next(from.Count)], TimeSpan.FromSeconds(2 + random.Next(9))))];
    }
}
