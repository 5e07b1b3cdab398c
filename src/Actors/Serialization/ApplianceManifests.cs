using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Serialization;

/// <summary>
/// The manifest of every message type, as stored in the journal and sent over the wire.
/// </summary>
/// <remarks>
/// A manifest names a message and the version of its JSON shape (<c>name.vN</c>). Rules: never reuse or rename a
/// manifest; a compatible change (a new optional property) keeps it; an incompatible change adds <c>name.v(N+1)</c>
/// for writing and keeps a reader for every older version that may be stored (journal, snapshots) or in flight
/// (rolling upgrade). The manifest is independent of CLR names, so types can be renamed or moved freely.
/// </remarks>
internal static class ApplianceManifests
{
    /// <summary>Every manifest and the type it is read as, in protocol order.</summary>
    public static IReadOnlyList<(string Manifest, Type Type)> All { get; } =
    [
        ("state-changed.v1", typeof(ClusterStateProtocol.StateChanged)),
        ("get-state.v1", typeof(ClusterStateProtocol.GetState)),
        ("current-state.v1", typeof(ClusterStateProtocol.CurrentState)),
        ("get-history.v1", typeof(ClusterStateProtocol.GetHistory)),
        ("state-recorded.v1", typeof(ClusterStateProtocol.StateRecorded)),
        ("history.v1", typeof(ClusterStateProtocol.History)),
        ("status-report.v1", typeof(NodeProtocol.StatusReport)),
        ("raise-fence.v1", typeof(NodeProtocol.RaiseFence)),
        ("fence-raised.v1", typeof(NodeProtocol.FenceRaised)),
        ("fence-failed.v1", typeof(NodeProtocol.FenceFailed)),
        ("lift-fence.v1", typeof(NodeProtocol.LiftFence)),
        ("submit.v1", typeof(OperatorProtocol.Submit)),
        ("accepted.v1", typeof(OperatorProtocol.Accepted)),
        ("refused.v1", typeof(OperatorProtocol.Refused)),
        ("node-departed.v1", typeof(NodeDeparted)),
        ("coordinator-snapshot.v1", typeof(CoordinatorSnapshot)),
        ("start-instance.v1", typeof(InstanceProtocol.StartInstance)),
        ("stop-instance.v1", typeof(InstanceProtocol.StopInstance)),
        ("get-secret-fingerprints.v1", typeof(CredentialProtocol.GetSecretFingerprints)),
        ("secret-fingerprints.v1", typeof(CredentialProtocol.SecretFingerprints)),
        ("node-command.v1", typeof(NodeCommandProtocol.Command)),
        ("node-command-outcome.v1", typeof(NodeCommandProtocol.Outcome)),
        ("backup-start.v1", typeof(BackupProtocol.Start)),
        ("backup-get-progress.v1", typeof(BackupProtocol.GetProgress)),
        ("backup-progress.v1", typeof(BackupProtocol.Progress)),
        ("backup-report.v1", typeof(BackupProtocol.Report)),
        ("backup-get-server.v1", typeof(BackupProtocol.GetServer)),
        ("backup-server.v1", typeof(BackupProtocol.Server)),
        ("formation-probe.v1", typeof(FormationProtocol.Probe)),
        ("formation-answer.v1", typeof(FormationProtocol.Answer)),
        ("write-outage-measured.v1", typeof(WriteOutageProtocol.Measured)),
        ("get-write-outages.v1", typeof(WriteOutageProtocol.GetOutages)),
        ("write-outages.v1", typeof(WriteOutageProtocol.Outages)),
    ];

    private static readonly FrozenDictionary<string, Type> TypeByManifest = All.ToFrozenDictionary(m => m.Manifest, m => m.Type);
    private static readonly FrozenDictionary<Type, string> ManifestByType = All.ToFrozenDictionary(m => m.Type, m => m.Manifest);

    /// <summary>The manifest written for <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">The type has no manifest.</exception>
    public static string ManifestOf(Type type) =>
        ManifestByType.TryGetValue(type, out var manifest)
            ? manifest
            : throw new ArgumentException(
                $"{type} has no appliance manifest. Every IApplianceMessage needs an entry in {nameof(ApplianceManifests)}.{nameof(All)}.", nameof(type));

    /// <summary>The type a stored or received <paramref name="manifest"/> is read as.</summary>
    public static bool TryGetType(string manifest, [NotNullWhen(true)] out Type? type) => TypeByManifest.TryGetValue(manifest, out type);
}
