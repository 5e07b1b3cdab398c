using System.Globalization;
using System.Text;

namespace Appliance.Host.Node;

/// <summary>
/// PostgreSQL's own log lines, which the node reads from the postmaster's stderr (and keeps the last of in memory,
/// <c>LogTail</c>, for its error messages), appended to <c>postgresql.log</c> beside the data directory and rotated by
/// size: when the next line would take the file past <see cref="MaxBytes"/>, <c>postgresql.log</c> becomes
/// <c>postgresql.log.1</c>, <c>.1</c> becomes <c>.2</c> and so on, the oldest beyond <see cref="Keep"/> is deleted, and a new
/// file starts. The node rotates rather than PostgreSQL's <c>logging_collector</c>, because the node must keep reading
/// the server's output itself (start-up failures, the tail in its errors); <c>tail -F postgresql.log</c> follows the
/// rotation.
/// </summary>
public sealed class RotatingLog : IDisposable
{
    /// <summary>The variable with the size at which the file is rotated (bytes, or with kB, MB, GB).</summary>
    public const string MaxSizeVariable = "APPLIANCE_PG_LOG_MAX_SIZE";

    /// <summary>The variable with how many rotated files are kept.</summary>
    public const string KeepVariable = "APPLIANCE_PG_LOG_KEEP";

    /// <summary>The size at which the file is rotated when <see cref="MaxSizeVariable"/> is not set.</summary>
    public const long DefaultMaxBytes = 64L << 20;

    /// <summary>How many rotated files are kept when <see cref="KeepVariable"/> is not set.</summary>
    public const int DefaultKeep = 4;

    private readonly Lock _gate = new();
    private StreamWriter? _writer;
    private long _size;
    private bool _closed;

    /// <summary>Opens (appends to) <paramref name="path"/>.</summary>
    public RotatingLog(string path, long maxBytes, int keep)
    {
        if (maxBytes < 1) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The size limit must be positive.");
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "At least one rotated file is kept.");
        Path = path;
        MaxBytes = maxBytes;
        Keep = keep;
        Open();
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>The size past which it is rotated.</summary>
    public long MaxBytes { get; }

    /// <summary>How many rotated files are kept (<c>.1</c> newest).</summary>
    public int Keep { get; }

    /// <summary>PostgreSQL's log of a node: <c>DIR/postgresql.log</c>, with the limits from the environment.</summary>
    /// <exception cref="NodeConfigurationException">A variable holds no usable value.</exception>
    public static RotatingLog ForPostgres(string dir, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string? Get(string name) => environment is null ? Environment.GetEnvironmentVariable(name) : environment.GetValueOrDefault(name);
        var max = DefaultMaxBytes;
        if (Get(MaxSizeVariable) is { Length: > 0 } size)
            max = ByteSize.TryParse(size, out var parsed) && parsed is > 0 and <= long.MaxValue
                ? (long)parsed
                : throw new NodeConfigurationException($"{MaxSizeVariable}={size} is not a size: give bytes or a number with kB, MB or GB, such as 64MB.");
        var keep = DefaultKeep;
        if (Get(KeepVariable) is { Length: > 0 } k && (!int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out keep) || keep < 1))
            throw new NodeConfigurationException($"{KeepVariable}={k} is not a number of files: give 1 or more.");
        return new RotatingLog(System.IO.Path.Combine(dir, "postgresql.log"), max, keep);
    }

    /// <summary>Appends a line, rotating first if it would not fit.</summary>
    public void Write(string line)
    {
        var bytes = Encoding.UTF8.GetByteCount(line) + 1;
        lock (_gate)
        {
            if (_closed) return;
            if (_size > 0 && _size + bytes > MaxBytes) Rotate();
            _writer!.WriteLine(line);
            _size += bytes;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _writer?.Dispose();
        }
    }

    private void Open()
    {
        var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _size = stream.Length;
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    private void Rotate()
    {
        _writer!.Dispose();
        File.Delete($"{Path}.{Keep}");
        for (var i = Keep - 1; i >= 1; i--)
            if (File.Exists($"{Path}.{i}")) File.Move($"{Path}.{i}", $"{Path}.{i + 1}", overwrite: true);
        File.Move(Path, $"{Path}.1", overwrite: true);
        Open();
    }
}
