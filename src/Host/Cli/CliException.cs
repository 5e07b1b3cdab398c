namespace Appliance.Host.Cli;

/// <summary>A CLI failure that is not a refusal: the message says what was wrong and what to do.</summary>
public sealed class CliException(string message, int exitCode = 2, bool retryable = true) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>Whether asking again may help (<c>watch</c> retries); a refusal at the API's door needs the operator instead.</summary>
    public bool Retryable { get; } = retryable;
}
