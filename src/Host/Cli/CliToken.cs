using Appliance.Host.Api.Access;
using Appliance.Host.Node;

namespace Appliance.Host.Cli;

/// <summary>The API token the CLI sends, and where it came from (for messages; the token itself is never printed).</summary>
/// <param name="Value">The token.</param>
/// <param name="Source">"--token-file PATH" or "APPLIANCE_API_TOKEN".</param>
public sealed record CliToken(string Value, string Source)
{
    /// <summary>The variable that carries the token when no <c>--token-file</c> is given.</summary>
    public const string EnvironmentVariable = "APPLIANCE_API_TOKEN";

    /// <summary>The token from <paramref name="tokenFile"/> if given, else from <paramref name="environmentToken"/>, else none.</summary>
    /// <exception cref="CliException">The token file cannot be read or is empty.</exception>
    public static CliToken? Resolve(string? tokenFile, string? environmentToken)
    {
        if (tokenFile is { Length: > 0 })
        {
            try { return new(ApiTokenFile.Read(tokenFile, "--token-file", requirePrivate: false), $"--token-file {tokenFile}"); }
            catch (NodeConfigurationException e) { throw new CliException(e.Message); }
        }
        return environmentToken?.Trim() is { Length: > 0 } token ? new(token, EnvironmentVariable) : null;
    }

    /// <inheritdoc />
    public override string ToString() => Source;
}
