namespace Appliance.Nodes.State;

/// <summary>
/// Who raised a fence, and for what: a node holds a fence until its owner lifts it or a state newer than the one it
/// was raised for arrives, so that neither a stale coordinator nor a late message can take it down early.
/// </summary>
/// <param name="Coordinator">The incarnation of the coordinator that raised it (a new id at every coordinator start).</param>
/// <param name="StateVersion">The version of the state the coordinator was deciding on.</param>
/// <param name="ProbeId">The probe it answered; a lift must name the same one.</param>
public sealed record FenceOwner(string Coordinator, long StateVersion, long ProbeId)
{
    /// <inheritdoc />
    public override string ToString() => $"coordinator {Coordinator} probe {ProbeId} for v{StateVersion}";
}
