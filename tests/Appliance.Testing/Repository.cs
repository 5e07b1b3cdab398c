namespace Appliance.Testing;

/// <summary>The repository the tests were built from.</summary>
public static class Repository
{
    /// <summary>The repository's root (where Appliance.sln is), above the test binaries.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"Appliance.sln not found above {AppContext.BaseDirectory}.");
    }
}
