namespace Appliance.Launch;

/// <summary>What a launched process reads as its standard input.</summary>
public enum LaunchInput
{
    /// <summary>The launcher's own.</summary>
    Inherit,

    /// <summary><c>/dev/null</c>: a process in a session of its own must not read the terminal it left.</summary>
    Null,

    /// <summary>A pipe from the launcher (<see cref="System.Diagnostics.Process.StandardInput"/>), open until the launcher closes it.</summary>
    Pipe,
}
