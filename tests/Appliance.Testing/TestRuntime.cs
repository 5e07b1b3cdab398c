namespace Appliance.Testing;

/// <summary>How the tests run the node processes they start.</summary>
public static class TestRuntime
{
    /// <summary>
    /// The environment variable and value that keep a test's node at tier-0 code, never re-compiled at tier 1. A test's
    /// node lives for seconds to minutes, so the tier-1 re-compiles of its hot methods cost CPU they never pay back, on a
    /// 2-core CI machine that the suite keeps busy: the Backup assembly's nodes used 0.66 of their CPU with it, both runs
    /// side by side (docs/BENCHMARKS.md §4q). It changes how the runtime compiles, not what runs. Not a setting the
    /// product ships: a deployed node runs for months, and there tier 1 pays.
    /// </summary>
    public static readonly KeyValuePair<string, string> TierZeroOnly = new("DOTNET_TC_CallCounting", "0");
}
