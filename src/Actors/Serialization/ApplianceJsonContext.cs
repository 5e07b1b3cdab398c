using System.Text.Json.Serialization;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Serialization;

/// <summary>
/// Source-generated System.Text.Json metadata for every appliance message. Names are camelCase, enums are written
/// by name, and nulls are written explicitly so that a stored body shows every field.
/// </summary>
/// <remarks>
/// Protocol records are written as they are. Domain types whose public surface is not a good wire shape go through
/// explicit DTOs (<see cref="ClusterStateJsonConverter"/>, <see cref="WalFenceJsonConverter"/>,
/// <see cref="OperatorCommandJsonConverter"/>) or a text form (<see cref="LsnJsonConverter"/>), so that a refactoring of
/// the model cannot silently change what is stored. Reading is strict: a missing constructor parameter or a null
/// where the model does not allow one fails, rather than building a half-filled state.
/// </remarks>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(LsnJsonConverter), typeof(ClusterStateJsonConverter), typeof(WalFenceJsonConverter), typeof(OperatorCommandJsonConverter), typeof(TimelineHistoryJsonConverter), typeof(StandbySourceJsonConverter)])]
[JsonSerializable(typeof(ClusterStateProtocol.StateChanged))]
[JsonSerializable(typeof(ClusterStateProtocol.GetState))]
[JsonSerializable(typeof(ClusterStateProtocol.CurrentState))]
[JsonSerializable(typeof(ClusterStateProtocol.GetHistory))]
[JsonSerializable(typeof(ClusterStateProtocol.StateRecorded))]
[JsonSerializable(typeof(ClusterStateProtocol.History))]
[JsonSerializable(typeof(NodeProtocol.StatusReport))]
[JsonSerializable(typeof(NodeProtocol.RaiseFence))]
[JsonSerializable(typeof(NodeProtocol.FenceRaised))]
[JsonSerializable(typeof(NodeProtocol.FenceFailed))]
[JsonSerializable(typeof(NodeProtocol.LiftFence))]
[JsonSerializable(typeof(OperatorProtocol.Submit))]
[JsonSerializable(typeof(OperatorProtocol.Accepted))]
[JsonSerializable(typeof(OperatorProtocol.Refused))]
[JsonSerializable(typeof(NodeDeparted))]
[JsonSerializable(typeof(CoordinatorSnapshot))]
[JsonSerializable(typeof(InstanceProtocol.StartInstance))]
[JsonSerializable(typeof(InstanceProtocol.StopInstance))]
[JsonSerializable(typeof(CredentialProtocol.GetSecretFingerprints))]
[JsonSerializable(typeof(CredentialProtocol.SecretFingerprints))]
[JsonSerializable(typeof(NodeCommandProtocol.Command))]
[JsonSerializable(typeof(NodeCommandProtocol.Outcome))]
[JsonSerializable(typeof(BackupProtocol.Start))]
[JsonSerializable(typeof(BackupProtocol.GetProgress))]
[JsonSerializable(typeof(BackupProtocol.Progress))]
[JsonSerializable(typeof(BackupProtocol.Report))]
[JsonSerializable(typeof(BackupProtocol.GetServer))]
[JsonSerializable(typeof(BackupProtocol.Server))]
[JsonSerializable(typeof(FormationProtocol.Probe))]
[JsonSerializable(typeof(FormationProtocol.Answer))]
[JsonSerializable(typeof(WriteOutageProtocol.Measured))]
[JsonSerializable(typeof(WriteOutageProtocol.GetOutages))]
[JsonSerializable(typeof(WriteOutageProtocol.Outages))]
[JsonSerializable(typeof(ClusterStateDto))]
[JsonSerializable(typeof(WalFenceDto))]
[JsonSerializable(typeof(OperatorCommandDto))]
[JsonSerializable(typeof(TimelineHistoryDto))]
internal sealed partial class ApplianceJsonContext : JsonSerializerContext;
