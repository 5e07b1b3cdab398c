using System.Text.Json.Serialization;

namespace Appliance.Host.Api;

/// <summary><c>GET /cluster</c>: the state, every peer probed, and the coordinator's last refusal.</summary>
/// <param name="State">The newest state the answering node holds; null before setup.</param>
/// <param name="Peers">Each named peer, in role order.</param>
/// <param name="LastRefusal">The coordinator's last refusal, if any; null also when the coordinator did not answer.</param>
/// <param name="CoordinatorReachable">The coordinator answered.</param>
/// <param name="AnsweredBy">The node that answered.</param>
/// <param name="Instances">
/// Placement mode: the number of instances the cluster is configured to run (<c>pg-1</c> … <c>pg-N</c>); null in
/// single-instance mode.
/// </param>
/// <param name="StateFromStore">
/// The state was read from the state store: the coordinator did not answer and the answering node has seen no state
/// since it started, so it is the last state written, not a live one.
/// </param>
/// <param name="StateRefused">Why the answering node refuses the coordinator's state (another cluster's, or older than
/// one it played), if it does.</param>
/// <param name="Tags">Each tagged peer's tags (<c>nofailover</c>, <c>noloadbalance</c>) as its node reported them to the
/// coordinator; absent when none is tagged or the coordinator does not answer.</param>
/// <param name="CoordinatorPeers">The peers on the host that runs the coordinator (the cluster's oldest member); absent
/// when the coordinator does not answer. <c>relieve-host-after</c> keeps the primary and sync off that host.</param>
/// <param name="Backups">The cluster's backups as the answering node last heard of them; absent without <c>--backup-repo</c>.</param>
public sealed record ClusterViewDto(StateDto? State, IReadOnlyList<PeerViewDto> Peers, RefusalDto? LastRefusal,
    bool CoordinatorReachable, string AnsweredBy, int? Instances = null, bool StateFromStore = false, string? StateRefused = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, IReadOnlyList<string>>? Tags = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? CoordinatorPeers = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BackupStateDto? Backups = null);
