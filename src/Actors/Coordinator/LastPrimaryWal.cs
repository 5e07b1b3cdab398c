using Appliance.Actors.Protocol;
using Appliance.Nodes.State;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// The newest WAL position the primary of a generation reported, kept after it stops reporting: a replica's lag is
/// measured against it while the primary is down (<c>/replica?lag=</c>), so that replicas stay in a read pool then.
/// </summary>
internal sealed class LastPrimaryWal
{
    private (long Generation, string Primary, Lsn Wal)? _known;

    /// <summary>Takes the position from <paramref name="report"/> if it comes from <paramref name="state"/>'s primary with PostgreSQL up.</summary>
    public void Observe(ClusterState? state, NodeProtocol.StatusReport report)
    {
        if (state is null || !report.Report.PostgresUp || !state.Primary.Is(report.Peer)) return;
        if (_known is { } k && k.Generation == state.Generation && k.Primary == state.Primary.Id && k.Wal >= report.Report.Wal) return;
        _known = (state.Generation, state.Primary.Id, report.Report.Wal);
    }

    /// <summary>The position known for <paramref name="state"/>'s generation and primary; null if none reported.</summary>
    public Lsn? Of(ClusterState? state) =>
        state is not null && _known is { } k && k.Generation == state.Generation && k.Primary == state.Primary.Id ? k.Wal : null;
}
