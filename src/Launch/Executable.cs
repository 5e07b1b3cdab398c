using System.Reflection;

namespace Appliance.Launch;

/// <summary>
/// A program and the arguments that come before a verb's: the apphost alone, <c>dotnet appliance.dll</c>, or either
/// run through a command that execs it (<c>ip netns exec NS …</c>).
/// </summary>
/// <param name="Program">What is executed.</param>
/// <param name="Prefix">Its first arguments, before the verb.</param>
public sealed record Executable(string Program, IReadOnlyList<string> Prefix)
{
    /// <summary>The program followed by its prefix: the words that start it.</summary>
    public IEnumerable<string> Words => [Program, .. Prefix];

    /// <summary><paramref name="dll"/> run by the <c>dotnet</c> on the PATH.</summary>
    public static Executable Dotnet(string dll) => new("dotnet", [dll]);

    /// <summary>
    /// This program again: the apphost that runs now, or, when it runs as <c>dotnet X.dll</c>, that <c>dotnet</c> with
    /// <paramref name="program"/>'s dll from the application's directory.
    /// </summary>
    /// <exception cref="InvalidOperationException">The runtime cannot tell which program is running.</exception>
    public static Executable Self(Assembly program)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        var dll = Path.Combine(AppContext.BaseDirectory, program.GetName().Name + ".dll");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? new(process, [dll]) : new(process, []);
    }

    /// <summary>
    /// This executable run by <paramref name="program"/> with <paramref name="arguments"/> before it, which must exec it
    /// (as <c>ip netns exec</c> does) for the started process's pid to be this program's.
    /// </summary>
    public Executable Through(string program, params string[] arguments) => new(program, [.. arguments, .. Words]);
}
