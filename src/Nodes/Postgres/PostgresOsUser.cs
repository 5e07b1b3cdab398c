using System.Runtime.InteropServices;

namespace Appliance.Nodes.Postgres;

/// <summary>
/// PostgreSQL refuses to run as root. When the driver is root, every PostgreSQL binary runs as the <c>postgres</c>
/// OS user and the files the driver writes for it are handed to that user; otherwise everything runs as the
/// driver's own user.
/// </summary>
public static class PostgresOsUser
{
    /// <summary>The OS user PostgreSQL runs as when the driver is root.</summary>
    public const string Name = "postgres";

    private const string SetPriv = "/usr/bin/setpriv";

    /// <summary>True if this process is root (effective uid 0).</summary>
    public static bool DriverIsRoot => LibC.geteuid() == 0;

    /// <summary>A start description for <paramref name="binary"/> with a clean environment, as postgres when root.</summary>
    /// <remarks>
    /// <c>setpriv</c> changes user and then execs in place, so the process id is the PostgreSQL process's own
    /// and signals reach it directly (<c>runuser</c> or <c>su</c> would stay behind as its parent).
    /// </remarks>
    internal static System.Diagnostics.ProcessStartInfo StartInfo(string binary, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new System.Diagnostics.ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The driver's working directory may be under a home that postgres cannot enter.
            WorkingDirectory = "/",
        };
        if (DriverIsRoot)
        {
            if (!File.Exists(SetPriv))
                throw new PostgresBinariesNotFoundException(
                    $"{SetPriv} is missing; as root the driver needs it to run PostgreSQL as the '{Name}' user. Install the Debian package util-linux.");
            EnsureUserExists();
            psi.FileName = SetPriv;
            foreach (var a in new[] { $"--reuid={Name}", $"--regid={Name}", "--init-groups", "--", binary })
                psi.ArgumentList.Add(a);
        }
        else
        {
            psi.FileName = binary;
        }
        foreach (var a in arguments) psi.ArgumentList.Add(a);

        // A clean, predictable environment: English messages (the driver reads some of them), no stray PG* variables.
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["LC_ALL"] = "C";
        psi.Environment["LANG"] = "C";
        psi.Environment["HOME"] = DriverIsRoot ? "/tmp" : Environment.GetEnvironmentVariable("HOME") ?? "/tmp";
        psi.Environment["PGPASSFILE"] = "/dev/null";
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Gives <paramref name="path"/> (not following links) to the postgres user; a no-op unless root.</summary>
    internal static void GiveToPostgres(string path)
    {
        if (!DriverIsRoot) return;
        var (uid, gid) = Ids();
        if (LibC.lchown(path, uid, gid) != 0)
            throw new IOException($"Could not give {path} to the '{Name}' user (errno {Marshal.GetLastPInvokeError()}).");
    }

    /// <summary>Gives a whole tree to the postgres user if it is not already theirs; a no-op unless root.</summary>
    internal static void GiveTreeToPostgres(string root)
    {
        if (!DriverIsRoot) return;
        GiveToPostgres(root);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions
                 { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
            GiveToPostgres(entry);
    }

    private static void EnsureUserExists() => Ids();

    private static readonly object IdsGate = new();
    private static (uint Uid, uint Gid)? _ids;

    /// <remarks>
    /// getpwnam returns a pointer into one static buffer that every call rewrites, so two threads reading it at
    /// once can see a half-filled record (uid 0). Parallel work once handed PostgreSQL files to root that way, and
    /// the server could no longer read them. The lookup therefore runs once, under a lock, and is cached.
    /// </remarks>
    private static (uint Uid, uint Gid) Ids()
    {
        lock (IdsGate)
        {
            if (_ids is { } known) return known;
            var pw = LibC.getpwnam(Name);
            if (pw == IntPtr.Zero)
                throw new PostgresBinariesNotFoundException(
                    $"The driver runs as root but there is no '{Name}' OS user to run PostgreSQL as. Install the Debian package postgresql-common (it creates the user) or run the driver as an unprivileged user.");
            // struct passwd on 64-bit Linux: char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
            var uid = (uint)Marshal.ReadInt32(pw, 2 * IntPtr.Size);
            var gid = (uint)Marshal.ReadInt32(pw, 2 * IntPtr.Size + 4);
            if (uid == 0)
                throw new InvalidOperationException($"The '{Name}' OS user has uid 0; PostgreSQL cannot run as root.");
            _ids = (uid, gid);
            return (uid, gid);
        }
    }
}
