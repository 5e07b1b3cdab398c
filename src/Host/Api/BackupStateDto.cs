using Appliance.Actors.Protocol;
using Appliance.Nodes.Backup;

namespace Appliance.Host.Api;

/// <summary>
/// The cluster's backups in <c>/status</c> and <c>/cluster</c>, as the node taking them last reported, with the ages
/// and the problems (<see cref="BackupHealth"/>) worked out on the answering node's clock.
/// </summary>
/// <param name="ReportedBy">The peer whose node takes the backups and reported.</param>
/// <param name="ReportedAt">When it reported.</param>
/// <param name="Schedule">Its schedule (<c>full=7d,diff=1d</c>), or null for backups by hand only.</param>
/// <param name="LastLabel">The newest backup in the repository.</param>
/// <param name="LastType">Its type.</param>
/// <param name="LastStart">When it started.</param>
/// <param name="LastStop">When it ended.</param>
/// <param name="LastAgeSeconds">How long ago it ended.</param>
/// <param name="FailedAt">When the last failed backup ended, if none succeeded since.</param>
/// <param name="FailedType">Its type.</param>
/// <param name="Failure">pgBackRest's error.</param>
/// <param name="RunningPercent">A running backup's progress.</param>
/// <param name="Problems">What <c>verify</c> reports; empty when healthy.</param>
public sealed record BackupStateDto(string ReportedBy, DateTimeOffset ReportedAt, string? Schedule, string? LastLabel, string? LastType,
    DateTimeOffset? LastStart, DateTimeOffset? LastStop, double? LastAgeSeconds, DateTimeOffset? FailedAt, string? FailedType, string? Failure,
    double? RunningPercent, IReadOnlyList<string> Problems)
{
    /// <summary>The DTO of <paramref name="report"/> at <paramref name="now"/>; null for none.</summary>
    public static BackupStateDto? From(BackupProtocol.Report? report, DateTimeOffset now)
    {
        if (report is null) return null;
        var s = report.Status;
        var failure = s.CurrentFailure;
        return new BackupStateDto(report.PeerId, s.At, s.Schedule, s.Last?.Label, s.Last?.Type, s.Last?.Start, s.Last?.Stop,
            s.Last is { } last ? Math.Round(Math.Max(0, (now - last.Stop).TotalSeconds), 1) : null,
            failure?.At, failure?.Type, failure?.Message, s.RunningPercent, BackupHealth.Problems(s, now));
    }
}
