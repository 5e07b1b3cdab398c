namespace Appliance.Nodes.Tests;

/// <summary>
/// Tests that keep cores busy for seconds at a time: the property runs (CsCheck). They run
/// alone, after this assembly's other tests (xunit runs a collection that disables parallelization last), and the
/// property runs leave a core free, because the PostgreSQL tests beside them, here and in the assembly that CI runs
/// alongside, open connections with a 3 s timeout: a CI run on 2 cores lost two of them to a TLS handshake that
/// timed out while a property run had both cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CpuHeavyCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "CPU-heavy";

    /// <summary>Threads a property run may use: all cores but one, and at least one.</summary>
    public static int Threads => Math.Max(1, Environment.ProcessorCount - 1);
}
