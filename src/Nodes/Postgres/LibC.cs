using System.Runtime.InteropServices;

namespace Appliance.Nodes.Postgres;

/// <summary>The few C library calls .NET has no API for: user ids, ownership, signals other than SIGKILL, removing a shared memory segment, and flushing a directory.</summary>
internal static class LibC
{
    internal const int SIGHUP = 1;
    internal const int SIGINT = 2;
    internal const int SIGQUIT = 3;
    internal const int SIGKILL = 9;
    internal const int SIGTERM = 15;
    internal const int IPC_RMID = 0;
    internal const int O_RDONLY = 0;
    internal const int O_CLOEXEC = 0x80000;   // 02000000 on x86-64 and arm64 alike

    [DllImport("libc", SetLastError = true)]
    internal static extern uint geteuid();

    // CA2101 does not see the explicit UTF-8 marshalling (LPUTF8Str) of the string arguments.
#pragma warning disable CA2101
    [DllImport("libc", SetLastError = true)]
    internal static extern IntPtr getpwnam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", SetLastError = true)]
    internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    internal static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
#pragma warning restore CA2101

    [DllImport("libc", SetLastError = true)]
    internal static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    internal static extern int shmctl(int shmid, int cmd, IntPtr buf);

    [DllImport("libc", SetLastError = true)]
    internal static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    internal static extern int close(int fd);
}
