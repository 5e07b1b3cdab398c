using System.Globalization;

namespace Appliance.Nodes.Postgres;

/// <summary>The first lines of <c>postmaster.pid</c>: who claims the data directory, and its state.</summary>
/// <param name="Pid">The postmaster's process id.</param>
/// <param name="DataDirectory">The data directory it was started on.</param>
/// <param name="Status">The status line (<c>starting</c>, <c>ready</c>, <c>standby</c>, <c>stopping</c>), if written yet.</param>
internal sealed record PostmasterPidFile(int Pid, string DataDirectory, string? Status)
{
    /// <summary>The id of the postmaster's System V shared memory segment (the file's seventh line), if written yet.</summary>
    public int? SharedMemoryId { get; init; }

    /// <summary>The file's name inside the data directory.</summary>
    public const string FileName = "postmaster.pid";

    /// <summary>Parses the file; null if it is empty or torn (PostgreSQL writes it in steps).</summary>
    public static PostmasterPidFile? TryParse(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length < 2 || !int.TryParse(lines[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid))
            return null;
        // A negative pid marks a single-user backend (as pg_rewind runs for crash recovery).
        pid = Math.Abs(pid);
        if (pid == 0) return null;
        var status = lines.Length > 7 && lines[7].Trim().Length > 0 ? lines[7].Trim() : null;
        // The seventh line is "<key> <shmid>".
        var shm = lines.Length > 6 ? lines[6].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        int? shmid = shm.Length == 2 && int.TryParse(shm[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
        return new PostmasterPidFile(pid, lines[1].Trim(), status) { SharedMemoryId = shmid };
    }
}
