namespace Appliance.Actors.Tests.Support;

/// <summary>
/// A fresh directory under /tmp/appliance-tests that every user can traverse (PostgreSQL runs as its own user there),
/// removed on dispose.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        var root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "appliance-tests");
        Directory.CreateDirectory(root);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);   // 0755 whatever the umask
        Path = Directory.CreateDirectory(System.IO.Path.Combine(root, Guid.NewGuid().ToString("N")[..12])).FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* a server that outlived its stop still writes; the OS cleans /tmp */ }
        catch (UnauthorizedAccessException) { }
    }
}
