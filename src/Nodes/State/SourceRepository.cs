namespace Appliance.Nodes.State;

/// <summary>The pgBackRest archive a standby cluster follows (<c>--standby-from-repo</c>).</summary>
/// <param name="Path">The repository's directory (repo1-path), a POSIX path.</param>
/// <param name="Stanza">The source cluster's stanza in it: the source's cluster name.</param>
public sealed record SourceRepository(string Path, string Stanza)
{
    /// <summary>A stanza name pgBackRest accepts.</summary>
    public static bool IsValidStanza(string stanza) =>
        stanza.Length > 0 && char.IsAsciiLetterOrDigit(stanza[0]) && stanza.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <inheritdoc />
    public override string ToString() => $"{Stanza}@{Path}";
}
