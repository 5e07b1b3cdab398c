using System.Globalization;

namespace Appliance.Bench;

/// <summary>Median, p95 (nearest rank) and max of a sample, for the tables in docs/BENCHMARKS.md.</summary>
internal sealed record Stats(int N, double Min, double Median, double P95, double Max)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var s = values.OrderBy(v => v).ToArray();
        var median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        var p95 = s[Math.Max(0, (int)Math.Ceiling(0.95 * s.Length) - 1)];
        return new Stats(s.Length, s[0], median, p95, s[^1]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"n={N} min {Min:0.00} / median {Median:0.00} / p95 {P95:0.00} / max {Max:0.00} s");
}
