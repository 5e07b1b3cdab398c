namespace Appliance.Nodes.Postgres;

/// <summary>How a deposed instance was brought back onto its new upstream's history.</summary>
public enum RejoinMethod
{
    /// <summary><c>pg_rewind</c> replaced the divergent tail with the upstream's blocks.</summary>
    Rewound,

    /// <summary><c>pg_rewind</c> failed, so the instance was cloned afresh.</summary>
    Cloned,

    /// <summary>
    /// Nothing to rewind: all of its WAL is on the upstream's history (it was rewound before and restarted, or its
    /// successor had replayed all it wrote). It was only made a standby.
    /// </summary>
    AlreadyOnHistory,
}
