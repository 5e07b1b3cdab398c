using System.Text.Json;
using System.Text.RegularExpressions;

namespace Appliance.Host.Tests.Unit;

/// <summary>
/// Reads what docs/grafana/appliance.json and docs/alerts.yml ask of a node: the metric names in their PromQL, and
/// the names a scrape declares. No YAML library is pinned, so <see cref="ParseYaml"/> reads the block subset the
/// rules file is written in (mappings, sequences, plain and quoted scalars, comments) and refuses anything else by line.
/// </summary>
internal static partial class MonitoringFiles
{
    private static readonly HashSet<string> PromQlWords =
    [
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
        "inf", "nan",
    ];

    /// <summary>The metric names an expression reads: identifiers outside label matchers, ranges, strings and grouping lists, not called as functions.</summary>
    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var text = Strings().Replace(expr, " ");
        text = GrafanaVariable().Replace(text, " ");
        text = Matchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return Identifier().Matches(text).Select(m => m.Value).Where(n => !PromQlWords.Contains(n.ToLowerInvariant())).ToHashSet();
    }

    /// <summary>Names a scrape declares: every sample's name and every family's (<c># TYPE</c>), a histogram's with its three series.</summary>
    public static IReadOnlySet<string> ExportedNames(string exposition)
    {
        var names = new HashSet<string>();
        foreach (var line in exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                names.Add(parts[2]);
                if (parts[3] == "histogram")
                    foreach (var suffix in new[] { "_bucket", "_sum", "_count" }) names.Add(parts[2] + suffix);
            }
            else if (!line.StartsWith('#'))
                names.Add(SampleName().Match(line).Value);
        }
        return names;
    }

    /// <summary>Every PromQL expression of a Grafana dashboard (panel targets, rows' panels, query variables).</summary>
    public static IEnumerable<(string Where, string Expr)> DashboardExpressions(JsonElement board)
    {
        foreach (var panel in Panels(board))
            if (panel.TryGetProperty("targets", out var targets))
                foreach (var t in targets.EnumerateArray())
                    yield return ($"panel {panel.GetProperty("id")} ({panel.GetProperty("title").GetString()})", t.GetProperty("expr").GetString()!);
        foreach (var v in board.GetProperty("templating").GetProperty("list").EnumerateArray())
            if (v.GetProperty("type").GetString() == "query")
                yield return ($"variable {v.GetProperty("name").GetString()}",
                    LabelValues().Match(QueryOf(v)) is { Success: true } m ? m.Groups[1].Value : QueryOf(v));
    }

    /// <summary>Every alert rule of a rules file read with <see cref="ParseYaml"/>, in every group.</summary>
    public static IEnumerable<Dictionary<string, object>> AlertRules(object rules) =>
        ((List<object>)((Dictionary<string, object>)rules)["groups"]).Cast<Dictionary<string, object>>()
        .SelectMany(g => ((List<object>)g["rules"]).Cast<Dictionary<string, object>>());

    /// <summary>Every panel, those inside collapsed rows too.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement board)
    {
        foreach (var p in board.GetProperty("panels").EnumerateArray())
        {
            yield return p;
            if (p.TryGetProperty("panels", out var inner))
                foreach (var q in inner.EnumerateArray()) yield return q;
        }
    }

    private static string QueryOf(JsonElement variable) =>
        variable.GetProperty("query") is { ValueKind: JsonValueKind.Object } q ? q.GetProperty("query").GetString()! : variable.GetProperty("query").GetString()!;

    /// <summary>Parses the block-style YAML subset into dictionaries, lists and strings.</summary>
    /// <exception cref="FormatException">A line outside the subset, with its number.</exception>
    public static object ParseYaml(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n')
            .Select((l, i) => (No: i + 1, Text: l))
            .Where(l => l.Text.Trim().Length > 0 && !l.Text.TrimStart().StartsWith('#'))
            .ToList();
        foreach (var l in lines)
            if (l.Text.Contains('\t')) throw new FormatException($"line {l.No}: a tab; indent with spaces.");
        var at = 0;
        var value = Block(lines, ref at, Indent(lines[0].Text));
        if (at != lines.Count) throw new FormatException($"line {lines[at].No}: indented less than its block but not at the top.");
        return value;
    }

    private static object Block(List<(int No, string Text)> lines, ref int at, int indent)
    {
        var first = lines[at].Text.Trim();
        if (first.StartsWith("- ", StringComparison.Ordinal) || first == "-")
        {
            var list = new List<object>();
            while (at < lines.Count && Indent(lines[at].Text) == indent && lines[at].Text.Trim().StartsWith('-'))
            {
                // "- key: value" opens a mapping whose keys sit two columns further in.
                var (no, raw) = lines[at];
                var rest = raw.Trim()[1..].TrimStart();
                if (rest.Length == 0) { at++; list.Add(Block(lines, ref at, Indent(lines[at].Text))); continue; }
                lines[at] = (no, new string(' ', indent + 2) + rest);
                list.Add(Block(lines, ref at, indent + 2));
            }
            return list;
        }
        var map = new Dictionary<string, object>();
        while (at < lines.Count && Indent(lines[at].Text) == indent && !lines[at].Text.Trim().StartsWith("- ", StringComparison.Ordinal))
        {
            var (no, raw) = lines[at];
            var m = KeyValue().Match(raw.Trim());
            if (!m.Success) throw new FormatException($"line {no}: not 'key: value' ({raw.Trim()}).");
            var key = m.Groups[1].Value;
            if (map.ContainsKey(key)) throw new FormatException($"line {no}: '{key}' twice in one mapping.");
            at++;
            if (m.Groups[2].Value.Length > 0)
                map[key] = Scalar(m.Groups[2].Value, no);
            else if (at < lines.Count && (Indent(lines[at].Text) > indent || (Indent(lines[at].Text) == indent && lines[at].Text.Trim().StartsWith("- ", StringComparison.Ordinal))))
                map[key] = Block(lines, ref at, Indent(lines[at].Text));
            else
                map[key] = "";
        }
        if (at < lines.Count && Indent(lines[at].Text) > indent) throw new FormatException($"line {lines[at].No}: indented deeper than its mapping.");
        return map;
    }

    private static string Scalar(string value, int no)
    {
        value = value.Trim();
        if (value is "|" or ">" or "|-" or ">-") throw new FormatException($"line {no}: block scalars are outside the subset; write the value on one line.");
        if (value.StartsWith('"'))
        {
            if (value.Length < 2 || !value.EndsWith('"')) throw new FormatException($"line {no}: an unclosed double-quoted string.");
            return JsonSerializer.Deserialize<string>(value)!;
        }
        if (value.StartsWith('\''))
        {
            if (value.Length < 2 || !value.EndsWith('\'')) throw new FormatException($"line {no}: an unclosed single-quoted string.");
            return value[1..^1].Replace("''", "'");
        }
        if (value.StartsWith('{') || value.StartsWith('[') || value.StartsWith('&') || value.StartsWith('*') || value.StartsWith('!'))
            throw new FormatException($"line {no}: flow collections, anchors and tags are outside the subset ({value}).");
        var comment = value.IndexOf(" #", StringComparison.Ordinal);
        return comment >= 0 ? value[..comment].TrimEnd() : value;
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    [GeneratedRegex(@"^([A-Za-z_][\w.-]*):(?:\s+(.*))?$")] private static partial Regex KeyValue();
    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'[^']*'|`[^`]*`")] private static partial Regex Strings();
    [GeneratedRegex(@"\$\{?\w+(:\w+)?\}?")] private static partial Regex GrafanaVariable();
    [GeneratedRegex(@"\{[^}]*\}")] private static partial Regex Matchers();
    [GeneratedRegex(@"\[[^\]]*\]")] private static partial Regex Ranges();
    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")] private static partial Regex Grouping();
    [GeneratedRegex(@"(?<![\w.])[A-Za-z_:][\w:]*\b(?!\s*\()")] private static partial Regex Identifier();
    [GeneratedRegex(@"^[A-Za-z_:][\w:]*")] private static partial Regex SampleName();
    [GeneratedRegex(@"^label_values\(([^,)]+)")] private static partial Regex LabelValues();
}
