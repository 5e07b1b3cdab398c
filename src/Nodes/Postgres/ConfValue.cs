using System.Text;

namespace Appliance.Nodes.Postgres;

/// <summary>Writes values in the syntax of <c>postgresql.conf</c>.</summary>
internal static class ConfValue
{
    /// <summary>
    /// A single-quoted string literal for a configuration file. Backslashes are doubled because the file parser
    /// treats them as escapes, and single quotes are doubled as the SQL convention the parser accepts.
    /// </summary>
    /// <exception cref="ArgumentException">The value holds a line break or NUL, which the file format cannot carry.</exception>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.IndexOfAny(['\n', '\r', '\0']) >= 0)
            throw new ArgumentException(
                $"A postgresql.conf value cannot contain a line break or NUL; got {Visible(value)}.", nameof(value));
        var sb = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            if (c == '\\') sb.Append("\\\\");
            else if (c == '\'') sb.Append("''");
            else sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }

    private static string Visible(string value) =>
        "'" + value.Replace("\n", "\\n").Replace("\r", "\\r").Replace("\0", "\\0") + "'";
}
