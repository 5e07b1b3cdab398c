using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Appliance.Nodes.State;

/// <summary>
/// A PostgreSQL write-ahead-log position (<c>pg_lsn</c>), written as two hexadecimal halves <c>X/Y</c>.
/// </summary>
/// <remarks>
/// PostgreSQL prints LSNs without zero padding (<c>0/3000060</c>) while older tools padded the low half
/// (<c>0/03000060</c>); both parse to the same value. Comparison is on the 64-bit value, never on text.
/// </remarks>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    /// <summary>The zero position, <c>0/0</c>: the initWal of a cluster that was never written to.</summary>
    public static readonly Lsn Zero = new(0);

    /// <summary>The high 32 bits (the part before the slash).</summary>
    public uint High => (uint)(Value >> 32);

    /// <summary>The low 32 bits (the part after the slash).</summary>
    public uint Low => (uint)Value;

    /// <summary>Parses <c>X/Y</c> where X and Y are 1–8 hexadecimal digits each.</summary>
    /// <exception cref="FormatException">The text is not an LSN; the message quotes it.</exception>
    public static Lsn Parse(string text) =>
        TryParse(text, out var lsn)
            ? lsn
            : throw new FormatException($"'{text}' is not a PostgreSQL LSN: expected two hexadecimal numbers of 1 to 8 digits separated by '/', such as '0/3000060'.");

    /// <summary>Parses <c>X/Y</c>; returns false for anything else, including null.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Lsn lsn)
    {
        lsn = Zero;
        if (string.IsNullOrEmpty(text)) return false;
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1 || slash > 8 || text.Length - slash - 1 > 8) return false;
        if (!TryParseHex(text.AsSpan(0, slash), out var high) || !TryParseHex(text.AsSpan(slash + 1), out var low))
            return false;
        lsn = new Lsn(((ulong)high << 32) | low);
        return true;
    }

    private static bool TryParseHex(ReadOnlySpan<char> digits, out uint value)
    {
        value = 0;
        foreach (var c in digits)
            if (!char.IsAsciiHexDigit(c)) return false; // rejects signs and spaces that NumberStyles would let through
        return uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The canonical PostgreSQL form: upper-case hex, no padding (<c>16/B374D848</c>).</summary>
    public override string ToString() => $"{High:X}/{Low:X}";

    /// <inheritdoc />
    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    /// <summary>Orders positions along the WAL.</summary>
    public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;

    /// <summary>Orders positions along the WAL.</summary>
    public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;

    /// <summary>Orders positions along the WAL.</summary>
    public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;

    /// <summary>Orders positions along the WAL.</summary>
    public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;

    /// <summary>The position <paramref name="bytes"/> further along the WAL.</summary>
    /// <exception cref="OverflowException">The result would pass the end of the WAL address space.</exception>
    public static Lsn operator +(Lsn lsn, ulong bytes) => new(checked(lsn.Value + bytes));

    /// <summary>The distance in bytes from <paramref name="b"/> to <paramref name="a"/>, zero if b is ahead.</summary>
    public static ulong operator -(Lsn a, Lsn b) => a.Value > b.Value ? a.Value - b.Value : 0;

    /// <summary>The later of two positions.</summary>
    public static Lsn Max(Lsn a, Lsn b) => a >= b ? a : b;
}
