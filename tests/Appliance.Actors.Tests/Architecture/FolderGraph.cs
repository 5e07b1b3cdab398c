using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.Actors.Tests.Architecture;

/// <summary>
/// Which namespaces of <c>src/</c> (one per folder) use which, read from the sources as the compiler would bind
/// them, closely enough to catch a cycle: using directives; names qualified with a namespace, fully or relative to
/// the file's own (<c>Tls.TlsFiles</c> inside <c>Appliance.Host.Node</c>); and, by simple name, the types of an
/// enclosing namespace, which a file sees without any using. Comments are left out, except doc-comment crefs, which
/// the compiler resolves too; string literals stay in, for type names in HOCON bind at run time.
/// </summary>
internal sealed partial class FolderGraph
{
    private readonly Dictionary<string, HashSet<string>> _types;
    private readonly Dictionary<(string From, string To), SortedSet<string>> _edges = [];

    private FolderGraph(Dictionary<string, HashSet<string>> types) => _types = types;

    /// <summary>Every namespace declared under <c>src/</c>.</summary>
    public IReadOnlyCollection<string> Namespaces => _types.Keys;

    /// <summary>Every dependency between two namespaces, with where it shows (<c>path: name</c>).</summary>
    public IReadOnlyDictionary<(string From, string To), SortedSet<string>> Edges => _edges;

    /// <summary>Reads every <c>.cs</c> file under <paramref name="root"/>/src (build output left out).</summary>
    public static FolderGraph Read(string root) =>
        Of(Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Select(path => (Path: Path.GetRelativePath(root, path).Replace('\\', '/'), File: path))
            .Where(f => !f.Path.Contains("/obj/", StringComparison.Ordinal) && !f.Path.Contains("/bin/", StringComparison.Ordinal))
            .Select(f => (f.Path, File.ReadAllText(f.File))));

    /// <summary>
    /// The graph of <paramref name="sources"/>, each a path (as <see cref="Edges"/> names it) and its text. A folder's
    /// types are the ones its files declare at namespace level: a nested type (<c>RoleChangeHook.Outcome</c>) is a
    /// member, reached only through the type around it, so a property or nested type of the same name elsewhere
    /// (<c>NodeCommandProtocol.Outcome</c>) uses no folder.
    /// </summary>
    public static FolderGraph Of(IEnumerable<(string Path, string Source)> sources)
    {
        var files = new List<(string Path, string Namespace, string Code)>();
        foreach (var (path, source) in sources)
        {
            var code = Code(source);
            // Top-level statements (Program.cs) are in the global namespace, which no folder can use.
            if (NamespacePattern().Match(code) is { Success: true } ns) files.Add((path, ns.Groups[1].Value, code));
        }

        var types = new Dictionary<string, HashSet<string>>();
        foreach (var (_, ns, code) in files)
        {
            if (!types.TryGetValue(ns, out var declared)) types[ns] = declared = [];
            declared.UnionWith(TopLevelTypes(code));
        }

        var graph = new FolderGraph(types);
        foreach (var (path, ns, code) in files)
        {
            foreach (Match m in UsingPattern().Matches(code))
                if (graph.Owner(m.Groups[1].Value) is { } used) graph.Add(ns, used, path, m.Groups[1].Value);
            foreach (Match m in QualifiedPattern().Matches(code))
                if (graph.Resolve(m.Groups[1].Value, ns) is { } used) graph.Add(ns, used, path, m.Groups[1].Value);
            var simpleNames = SimpleNamePattern().Matches(code).Select(m => m.Groups[1].Value).ToHashSet();
            foreach (var enclosing in Ancestors(ns).Skip(1).Where(types.ContainsKey))
                foreach (var type in types[enclosing].Where(t => simpleNames.Contains(t) && !types[ns].Contains(t)))
                    graph.Add(ns, enclosing, path, type);
        }
        return graph;
    }

    /// <summary>A cycle among the edges, as the namespaces along it (the first repeated at the end); null if there is none.</summary>
    public IReadOnlyList<string>? FindCycle()
    {
        var next = _edges.Keys.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        var done = new HashSet<string>();
        var path = new List<string>();
        IReadOnlyList<string>? Visit(string ns)
        {
            if (path.IndexOf(ns) is var at and >= 0) return [.. path.Skip(at), ns];
            if (!done.Add(ns)) return null;
            path.Add(ns);
            foreach (var used in next.GetValueOrDefault(ns) ?? [])
                if (Visit(used) is { } cycle) return cycle;
            path.RemoveAt(path.Count - 1);
            return null;
        }
        return _types.Keys.Order(StringComparer.Ordinal).Select(Visit).FirstOrDefault(c => c is not null);
    }

    /// <summary>The cycle, one edge a line with where each shows.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var text = new StringBuilder(string.Join(" -> ", cycle)).AppendLine();
        for (var i = 0; i + 1 < cycle.Count; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {cycle[i]} -> {cycle[i + 1]}:");
            foreach (var where in _edges[(cycle[i], cycle[i + 1])]) text.AppendLine(CultureInfo.InvariantCulture, $"    {where}");
        }
        return text.ToString();
    }

    private void Add(string from, string to, string path, string name)
    {
        if (from == to) return;
        if (!_edges.TryGetValue((from, to), out var where)) _edges[(from, to)] = where = new SortedSet<string>(StringComparer.Ordinal);
        where.Add($"{path}: {name}");
    }

    /// <summary>The longest declared namespace that <paramref name="name"/> starts with.</summary>
    private string? Owner(string name) => Ancestors(name).FirstOrDefault(_types.ContainsKey);

    /// <summary>
    /// The namespace of the type a qualified <paramref name="name"/> names inside namespace <paramref name="ns"/>:
    /// looked up relative to <paramref name="ns"/>, then to each enclosing namespace, then as written.
    /// </summary>
    private string? Resolve(string name, string ns)
    {
        var segments = name.Split('.');
        foreach (var scope in Ancestors(ns).Append(""))
            for (var i = segments.Length - 1; i >= 1; i--)
            {
                var candidate = scope.Length == 0 ? string.Join('.', segments[..i]) : $"{scope}.{string.Join('.', segments[..i])}";
                if (_types.TryGetValue(candidate, out var declared) && declared.Contains(segments[i])) return candidate;
            }
        return null;
    }

    /// <summary><paramref name="ns"/> and every namespace enclosing it, innermost first.</summary>
    private static IEnumerable<string> Ancestors(string ns)
    {
        for (var name = ns; name.Length > 0; name = name.LastIndexOf('.') is var dot and > 0 ? name[..dot] : "")
            yield return name;
    }

    /// <summary>The source without comments, but with the crefs of doc comments.</summary>
    private static string Code(string source)
    {
        var code = new StringBuilder();
        foreach (var line in source.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("///", StringComparison.Ordinal))
                foreach (Match m in CrefPattern().Matches(trimmed)) code.Append(m.Groups[1].Value).Append(' ');
            else if (!trimmed.StartsWith("//", StringComparison.Ordinal))
                code.Append(line);
            code.Append('\n');
        }
        return code.ToString();
    }

    /// <summary>
    /// The types <paramref name="code"/> declares at namespace level: outside every brace but a namespace block's
    /// (none in a file-scoped namespace). Braces and keywords inside literals and comments do not count.
    /// </summary>
    private static IEnumerable<string> TopLevelTypes(string code)
    {
        var skeleton = Skeleton(code);
        var namespaceBraces = NamespaceBlockPattern().Matches(skeleton).Select(m => m.Index + m.Length - 1).ToHashSet();
        var declarations = TypePattern().Matches(skeleton).ToDictionary(m => m.Index, m => m.Groups[1].Value);
        var enclosing = new Stack<bool>();   // for each open brace: is it a namespace block's?
        for (var i = 0; i < skeleton.Length; i++)
        {
            if (skeleton[i] == '{') enclosing.Push(namespaceBraces.Contains(i));
            else if (skeleton[i] == '}' && enclosing.Count > 0) enclosing.Pop();
            else if (declarations.TryGetValue(i, out var type) && enclosing.All(isNamespace => isNamespace)) yield return type;
        }
    }

    /// <summary>
    /// <paramref name="code"/> with the text of its literals and comments blanked (same length), so that only code's
    /// braces and keywords are left; the code in an interpolated string's holes stays.
    /// </summary>
    private static string Skeleton(string code)
    {
        var text = code.ToCharArray();
        char At(int k) => k < code.Length ? code[k] : '\0';
        void Blank(int from, int to)
        {
            for (var k = from; k < Math.Min(to, text.Length); k++)
                if (text[k] != '\n') text[k] = ' ';
        }

        // Code from i; in an interpolation hole, up to and past the brace that closes it.
        int CodeFrom(int i, bool hole)
        {
            for (var depth = 0; i < code.Length;)
            {
                if (code[i] == '/' && At(i + 1) is '/' or '*')
                {
                    var end = At(i + 1) == '/' ? code.IndexOf('\n', i) : code.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    end = end < 0 ? code.Length : At(i + 1) == '/' ? end : end + 2;
                    Blank(i, end);
                    i = end;
                }
                else if (code[i] == '\'') i = CharLiteral(i);
                else if (code[i] is '"' or '$' or '@') i = StringLiteral(i);
                else if (code[i] == '{') { depth++; i++; }
                else if (code[i] == '}' && hole && depth == 0) return i + 1;
                else if (code[i] == '}') { depth--; i++; }
                else i++;
            }
            return i;
        }

        int CharLiteral(int i)
        {
            var end = At(i + 1) == '\\' ? code.IndexOf('\'', i + 3) : i + 2;
            if (end < 0 || At(end) != '\'') return i + 1;
            Blank(i, end + 1);
            return end + 1;
        }

        // "…", @"…", $"…", $@"…" and raw """…""" (with any $); i past the literal, or past i if none starts there.
        int StringLiteral(int i)
        {
            var k = i;
            var (interpolated, verbatim) = (false, false);
            for (; At(k) is '$' or '@'; k++) (interpolated, verbatim) = (interpolated || At(k) == '$', verbatim || At(k) == '@');
            if (At(k) != '"') return i + 1;
            var quotes = 0;
            while (At(k + quotes) == '"') quotes++;
            if (quotes >= 3 && !verbatim)
            {
                var close = code.IndexOf(new string('"', quotes), k + quotes, StringComparison.Ordinal);
                var end = close < 0 ? code.Length : close + quotes;
                Blank(i, end);
                return end;
            }
            Blank(i, k + 1);
            for (var j = k + 1; j < code.Length;)
            {
                var c = code[j];
                if (c == '"' && verbatim && At(j + 1) == '"') { Blank(j, j + 2); j += 2; }
                else if (c == '"') { Blank(j, j + 1); return j + 1; }
                else if (c == '\\' && !verbatim) { Blank(j, j + 2); j += 2; }
                else if (c == '{' && interpolated && At(j + 1) == '{') { Blank(j, j + 2); j += 2; }
                else if (c == '{' && interpolated) j = CodeFrom(j + 1, hole: true);
                else { Blank(j, j + 1); j++; }
            }
            return code.Length;
        }

        CodeFrom(0, hole: false);
        return new string(text);
    }

    [GeneratedRegex(@"^\s*namespace\s+(Appliance(?:\.\w+)*)", RegexOptions.Multiline)]
    private static partial Regex NamespacePattern();

    [GeneratedRegex(@"\bnamespace\s+[\w.]+\s*\{")]
    private static partial Regex NamespaceBlockPattern();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+([A-Z]\w*)")]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?:global::)?(Appliance(?:\.\w+)+)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingPattern();

    [GeneratedRegex(@"(?<![\w.])(?:global::)?([A-Z]\w*(?:\.[A-Z]\w*)+)")]
    private static partial Regex QualifiedPattern();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)")]
    private static partial Regex SimpleNamePattern();

    [GeneratedRegex(@"cref=""([^""]+)""")]
    private static partial Regex CrefPattern();
}
