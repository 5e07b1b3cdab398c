using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Host.Node;

/// <summary>
/// Sizes as Patroni's REST API takes them (the role checks' <c>?lag=</c>) and as the node's environment gives them
/// (<see cref="RotatingLog.MaxSizeVariable"/>): one notation for operators, whichever they set.
/// </summary>
public static partial class ByteSize
{
    /// <summary>
    /// Parses bytes, or a number with a unit <c>B</c>, <c>kB</c>, <c>MB</c>, <c>GB</c> or <c>TB</c> (powers of 1024).
    /// </summary>
    public static bool TryParse(string? text, out ulong bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = SizePattern().Match(text.Trim());
        if (!m.Success || !ulong.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        var shift = m.Groups[2].Value.ToLowerInvariant() switch
        {
            "" or "b" => 0,
            "kb" or "k" => 10,
            "mb" or "m" => 20,
            "gb" or "g" => 30,
            "tb" or "t" => 40,
            _ => -1,
        };
        if (shift < 0 || n > ulong.MaxValue >> shift) return false;
        bytes = n << shift;
        return true;
    }

    [GeneratedRegex(@"^(\d+)\s*([a-zA-Z]*)$")]
    private static partial Regex SizePattern();
}
