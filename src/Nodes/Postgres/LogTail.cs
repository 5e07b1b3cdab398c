namespace Appliance.Nodes.Postgres;

/// <summary>The last lines a process wrote, kept for error messages; safe to use from several threads.</summary>
public sealed class LogTail(int capacity = 200)
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _lock = new();

    /// <summary>Adds a line, dropping the oldest beyond the capacity.</summary>
    public void Add(string line)
    {
        lock (_lock)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    /// <summary>The last <paramref name="count"/> lines, oldest first.</summary>
    public IReadOnlyList<string> Last(int count = 30)
    {
        lock (_lock) return _lines.TakeLast(count).ToArray();
    }

    /// <summary>True if any kept line contains <paramref name="text"/>.</summary>
    public bool Contains(string text)
    {
        lock (_lock) return _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
    }
}
