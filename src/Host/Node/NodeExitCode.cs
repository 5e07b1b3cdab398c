namespace Appliance.Host.Node;

/// <summary>The node process's exit codes that mean something to a service manager or the demo.</summary>
public static class NodeExitCode
{
    /// <summary>
    /// The exit code of a node that the cluster removed (downed): not an error of its own, but it must be started
    /// again to rejoin, so service managers that restart on failure do, and the demo does.
    /// </summary>
    public const int Downed = 3;
}
