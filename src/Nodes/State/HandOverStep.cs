namespace Appliance.Nodes.State;

/// <summary>What <see cref="ShutdownHandOver"/> tells a node that is stopping to do next.</summary>
public abstract record HandOverStep
{
    private HandOverStep() { }

    /// <summary>It is not the primary that plays its role: nothing to hand over, nothing to say.</summary>
    public sealed record NotPrimary : HandOverStep
    {
        /// <summary>The one value.</summary>
        public static readonly NotPrimary Instance = new();
    }

    /// <summary>A primary that stops without a switchover: <paramref name="Why"/>, a warning when <paramref name="Warn"/>.</summary>
    public sealed record StopWithout(string Why, bool Warn) : HandOverStep;

    /// <summary>Read the link to <paramref name="Sync"/> (again, after a short wait for it to catch up).</summary>
    public sealed record ReadSyncLink(PeerId Sync) : HandOverStep;

    /// <summary>Ask the coordinator for a switchover to <paramref name="Sync"/>, refused if the generation moved on meanwhile.</summary>
    public sealed record SwitchOver(PeerId Sync, long ExpectedGeneration) : HandOverStep;
}
