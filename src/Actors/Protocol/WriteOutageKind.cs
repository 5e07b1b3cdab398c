namespace Appliance.Actors.Protocol;

/// <summary>Why writes stopped: the primary was lost, or the primary was moved on purpose.</summary>
public enum WriteOutageKind
{
    /// <summary>The sync took over from a lost primary.</summary>
    Failover,

    /// <summary>A planned switchover (an operator's, or a move off the coordinator's host).</summary>
    Switchover,
}
