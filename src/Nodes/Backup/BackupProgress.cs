using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Nodes.Backup;

/// <summary>Reads how far a backup is from pgBackRest's detail lines (<c>backup file … (8KB, 45.23%) checksum …</c>).</summary>
public static partial class BackupProgress
{
    /// <summary>The percentage a line reports, or null if it reports none.</summary>
    public static double? Percent(string line)
    {
        var m = PercentPattern().Match(line);
        return m.Success && double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    [GeneratedRegex(@"(?:backup|restore) file .*\(.*?([0-9]+(?:\.[0-9]+)?)%\)")]
    private static partial Regex PercentPattern();
}
