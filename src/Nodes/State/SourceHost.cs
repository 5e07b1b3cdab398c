using System.Globalization;

namespace Appliance.Nodes.State;

/// <summary>One PostgreSQL address of a <see cref="StandbySource"/>.</summary>
/// <param name="Host">Its host name or address.</param>
/// <param name="Port">Its PostgreSQL port.</param>
public sealed record SourceHost(string Host, int Port)
{
    /// <inheritdoc />
    public override string ToString() =>
        (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
}
