namespace Appliance.Nodes.State;

/// <summary>How the operator configured the cluster to run.</summary>
public enum ClusterMode
{
    /// <summary>Primary, sync and asyncs: writes are acknowledged only once they are on the sync.</summary>
    Normal,

    /// <summary>One node takes writes with no replica. For development; an operator can upgrade it to normal.</summary>
    Singleton,
}
