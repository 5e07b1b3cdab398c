using System.Globalization;

namespace Appliance.Nodes.Backup;

/// <summary>
/// How many backups the repository keeps (pgBackRest's <c>repo1-retention-full</c> and <c>repo1-retention-diff</c>).
/// pgBackRest expires older backups, and the WAL only they need, at the end of every backup.
/// </summary>
public static class BackupRetention
{
    /// <summary>pgBackRest's option for the number of full backups kept.</summary>
    public const string FullKey = "repo1-retention-full";

    /// <summary>pgBackRest's option for the number of differential backups kept.</summary>
    public const string DiffKey = "repo1-retention-diff";

    /// <summary>
    /// Full backups kept when the operator says nothing: two, so that the newest full backup is never the only one
    /// (a full backup found damaged still leaves the one before it, and every point in time since), as pgBackRest's
    /// own user guide configures. Without any value pgBackRest keeps everything forever and warns at every backup.
    /// </summary>
    public const int DefaultFull = 2;

    /// <summary>The largest count pgBackRest accepts.</summary>
    public const int Max = 9_999_999;

    /// <summary>Reads a retention count given for <paramref name="what"/> (the option's name, for the message).</summary>
    /// <exception cref="FormatException">Not a whole number from 1 to <see cref="Max"/>; the message says what to give.</exception>
    public static int Parse(string what, string text)
    {
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= Max) return n;
        throw new FormatException($"{what} is '{text}'; it must be a whole number of backups to keep, from 1 to {Max} (such as {DefaultFull}).");
    }
}
