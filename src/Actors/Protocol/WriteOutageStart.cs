namespace Appliance.Actors.Protocol;

/// <summary>Where the coordinator took an outage's start from.</summary>
public enum WriteOutageStart
{
    /// <summary>The lost primary's last report to the coordinator.</summary>
    LastReport,

    /// <summary>When the lost primary's node first reported its PostgreSQL down.</summary>
    PostgresDown,

    /// <summary>The coordinator's own start: it moved with the lost primary, so the outage began earlier (a lower bound).</summary>
    CoordinatorStart,

    /// <summary>The switchover's first fence, which stops the sync receiving and so every commit.</summary>
    FirstFence,

    /// <summary>The write of the state itself (nothing earlier was known).</summary>
    StateWritten,
}
