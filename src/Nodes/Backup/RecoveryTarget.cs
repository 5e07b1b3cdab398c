namespace Appliance.Nodes.Backup;

/// <summary>Where a restore's recovery stops.</summary>
/// <param name="Time">A timestamp (<c>--type=time</c>), or null.</param>
/// <param name="Lsn">A WAL position (<c>--type=lsn</c>), or null.</param>
public sealed record RecoveryTarget(DateTimeOffset? Time, string? Lsn)
{
    /// <summary>pgBackRest's restore arguments for this target: stop there, then promote to a writable server.</summary>
    public IReadOnlyList<string> Arguments => Time is { } t
        ? ["--type=time", $"--target={t.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}+00", "--target-action=promote"]
        : ["--type=lsn", $"--target={Lsn}", "--target-action=promote"];
}
