using System.Text.RegularExpressions;

namespace Appliance.Nodes.Backup;

/// <summary>One pgBackRest option the operator passed through (<c>--backup-option KEY=VALUE</c>).</summary>
/// <param name="Key">The option's name as pgBackRest's config file spells it, such as <c>repo1-type</c>.</param>
/// <param name="Value">Its value.</param>
public sealed record BackupOption(string Key, string Value)
{
    /// <summary>
    /// Options the appliance sets itself and an operator may not: they tie the stanza to this node's data directory,
    /// port and repository, and a second value would either be refused by pgBackRest or silently point it elsewhere.
    /// </summary>
    public static readonly IReadOnlyList<string> Owned =
        ["stanza", "config", "repo1-path", "pg1-path", "pg1-port", "pg1-user", "pg1-host", "pg1-socket-path", "lock-path"];

    private static readonly Regex KeyPattern = new("^[a-z][a-z0-9-]*$", RegexOptions.CultureInvariant);

    /// <summary>Parses <c>KEY=VALUE</c>.</summary>
    /// <exception cref="FormatException">Not KEY=VALUE, a malformed key, a line break, or an option the appliance owns; the message says which.</exception>
    public static BackupOption Parse(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0)
            throw new FormatException($"'{text}' is not KEY=VALUE (a pgBackRest option, such as repo1-retention-full=2).");
        var key = text[..eq].Trim();
        var value = text[(eq + 1)..].Trim();
        if (!KeyPattern.IsMatch(key))
            throw new FormatException($"'{key}' is not a pgBackRest option name: use lower-case letters, digits and '-', such as repo1-retention-full.");
        if (Owned.Contains(key))
            throw new FormatException($"{key} is set by the appliance itself (from --backup-repo, the data directory and the port); leave it out.");
        if (value.Length == 0 || value.IndexOfAny(['\n', '\r', '\0']) >= 0)
            throw new FormatException($"{key} needs a value on one line (KEY=VALUE).");
        // pgBackRest would only refuse a bad count at the first backup, long after the node started.
        if (key is BackupRetention.FullKey or BackupRetention.DiffKey) BackupRetention.Parse(key, value);
        return new BackupOption(key, value);
    }
}
