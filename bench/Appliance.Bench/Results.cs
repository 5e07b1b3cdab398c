using System.Text.Json;

namespace Appliance.Bench;

/// <summary>Writes one JSON file per benchmark (every raw number) and echoes a summary line to the console.</summary>
internal sealed class Results(string dir)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Dir { get; } = Directory.CreateDirectory(dir).FullName;

    public async Task WriteAsync(string name, object value)
    {
        var path = Path.Combine(Dir, name + ".json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(value, Json));
        Log.Line($"wrote {path}");
    }

    public async Task AppendSummaryAsync(string text)
    {
        await File.AppendAllTextAsync(Path.Combine(Dir, "summary.txt"), text + "\n");
        Log.Line(text);
    }
}

/// <summary>Timestamped progress on the console.</summary>
internal static class Log
{
    public static void Line(string text) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");
}
