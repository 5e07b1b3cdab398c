using System.Globalization;

namespace Appliance.Bench;

/// <summary>What the figures were measured on; the box is shared, so the load average goes next to every result.</summary>
internal static class Machine
{
    public static string LoadAverage()
    {
        var f = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{f[0]} {f[1]} {f[2]}";
    }

    public static async Task<Dictionary<string, string>> DescribeAsync(string pgBin)
    {
        var memKb = File.ReadAllLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return new Dictionary<string, string>
        {
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            ["nproc"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["memory_mib"] = (long.Parse(memKb, CultureInfo.InvariantCulture) / 1024).ToString(CultureInfo.InvariantCulture),
            ["kernel"] = (await Os.RunCheckedAsync("uname", ["-r"])).Trim(),
            ["postgres"] = (await Os.RunCheckedAsync(Path.Combine(pgBin, "postgres"), ["--version"])).Trim(),
            ["dotnet"] = Environment.Version.ToString(),
            ["loadavg_at_start"] = LoadAverage(),
        };
    }
}
