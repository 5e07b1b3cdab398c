namespace Appliance.Nodes.State;

/// <summary>Parsing and printing of <see cref="PeerTags"/> as the command line and the API spell them.</summary>
public static class PeerTagNames
{
    /// <summary>Parses <c>nofailover,noloadbalance</c> (any case, commas or spaces); throws on an unknown tag.</summary>
    public static PeerTags Parse(string? text)
    {
        var tags = PeerTags.None;
        foreach (var part in (text ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            tags |= part.ToLowerInvariant() switch
            {
                "nofailover" => PeerTags.NoFailover,
                "noloadbalance" => PeerTags.NoLoadBalance,
                _ => throw new FormatException($"Unknown tag '{part}'; the tags are nofailover and noloadbalance."),
            };
        return tags;
    }

    /// <summary>The tags as lower-case names, e.g. <c>["nofailover"]</c>.</summary>
    public static IReadOnlyList<string> Names(PeerTags tags)
    {
        var names = new List<string>();
        if (tags.HasFlag(PeerTags.NoFailover)) names.Add("nofailover");
        if (tags.HasFlag(PeerTags.NoLoadBalance)) names.Add("noloadbalance");
        return names;
    }
}
