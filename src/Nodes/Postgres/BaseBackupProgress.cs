using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Nodes.Postgres;

/// <summary>How far a clone has come. The total is pg_basebackup's estimate and may grow while it copies.</summary>
/// <param name="BytesDone">Bytes copied so far.</param>
/// <param name="BytesTotal">Bytes expected in all.</param>
public sealed record BaseBackupProgress(long BytesDone, long BytesTotal)
{
    private static readonly Regex Line = new(
        @"^\s*(?<done>\d+)/(?<total>\d+) kB \(\d+%\), \d+/\d+ tablespaces?",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>The fraction done, 0 to 1.</summary>
    public double Fraction => BytesTotal <= 0 ? 0 : Math.Min(1.0, (double)BytesDone / BytesTotal);

    /// <summary>Parses one <c>pg_basebackup --progress</c> line such as <c>20/39235 kB (0%), 0/1 tablespace</c>; null for any other line.</summary>
    public static BaseBackupProgress? TryParse(string line)
    {
        var m = Line.Match(line);
        if (!m.Success) return null;
        if (!long.TryParse(m.Groups["done"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var done) ||
            !long.TryParse(m.Groups["total"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var total))
            return null;
        return new BaseBackupProgress(done * 1024, total * 1024);
    }
}
