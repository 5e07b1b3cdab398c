namespace Appliance.Nodes.Postgres;

/// <summary>The disk filled up; the partial files were removed.</summary>
internal sealed class DiskFullException(string path, string detail)
    : PostgresDriverException($"No space left on the device holding {path}. The partial copy was removed, and " +
                              $"nothing else was touched. Free space or give the instance a larger volume. ({detail})");
