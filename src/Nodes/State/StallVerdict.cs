namespace Appliance.Nodes.State;

/// <summary>What <see cref="StandbyStall.Decide(string, StallReading, TimeSpan, TimeSpan)"/> tells a standby's role to do.</summary>
public abstract record StallVerdict
{
    private StallVerdict() { }

    /// <summary>It streams: nothing to do.</summary>
    public sealed record Streaming : StallVerdict
    {
        /// <summary>The one value.</summary>
        public static readonly Streaming Instance = new();
    }

    /// <summary>It does not stream, and cloning afresh would not help or is not yet due: the role shows why.</summary>
    public sealed record Wait(string Why) : StallVerdict;

    /// <summary>Its upstream can never send it what it needs: clone it afresh from that upstream.</summary>
    public sealed record CloneAfresh(string Why) : StallVerdict;

    /// <summary>
    /// It holds WAL past the point where its upstream's history forked off its own, so PostgreSQL will never stream it:
    /// rewind it onto the upstream's history and follow it again (<c>PostgresDriver.RewindForkedAsync</c>).
    /// </summary>
    public sealed record Rewind(string Why) : StallVerdict;
}
