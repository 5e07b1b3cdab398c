using System.Globalization;
using Appliance.Nodes.Backup;

namespace Appliance.Host.Node;

/// <summary>The <c>--to</c> / <c>--to-lsn</c> flags of <c>restore</c> and <c>--bootstrap-to</c> of <c>node</c>.</summary>
public static class RecoveryTargetFlags
{
    /// <summary>Where recovery stops: <paramref name="to"/> (a timestamp) or <paramref name="toLsn"/>; null when neither is given.</summary>
    /// <exception cref="FormatException">Both, a malformed timestamp or a malformed LSN.</exception>
    public static RecoveryTarget? Parse(string? to, string? toLsn)
    {
        if (to is not null && toLsn is not null) throw new FormatException("give --to or --to-lsn, not both.");
        if (to is not null)
            return DateTimeOffset.TryParse(to, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? new RecoveryTarget(t, null)
                : throw new FormatException($"--to '{to}' is not a timestamp; give ISO 8601, such as 2026-12-06T10:15:00Z (UTC unless it names an offset).");
        if (toLsn is not null)
            return Nodes.State.Lsn.TryParse(toLsn, out _)
                ? new RecoveryTarget(null, toLsn)
                : throw new FormatException($"--to-lsn '{toLsn}' is not a WAL position; give one such as 0/3000060.");
        return null;
    }
}
