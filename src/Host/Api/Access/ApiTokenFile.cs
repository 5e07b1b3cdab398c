using Appliance.Host.Node;

namespace Appliance.Host.Api.Access;

/// <summary>Reads a file that holds one API token (<c>--api-token-file</c>, <c>--api-read-token-file</c>, the CLI's <c>--token-file</c>).</summary>
public static class ApiTokenFile
{
    /// <summary>The permission bits that let anyone but the owner at the file.</summary>
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The token in <paramref name="path"/>: its text without the trailing newline an editor or <c>echo</c> adds.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="flag">The flag that named it, for the message.</param>
    /// <param name="requirePrivate">Refuse a file that group or others may read (mode 0600 or stricter is required), as ssh does for keys.</param>
    /// <exception cref="NodeConfigurationException">The file is missing, unreadable, too open, empty, or holds more than one word.</exception>
    public static string Read(string path, string flag, bool requirePrivate)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The appliance runs on Linux.");
        if (!File.Exists(path))
            throw new NodeConfigurationException(
                $"{flag} {path} does not exist. Create it with one random token, readable only by this user: (umask 077; openssl rand -hex 32 > {path})");
        if (requirePrivate) RequireOwnerOnly(path, flag, "whoever reads the token can change the cluster");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"{flag} {path} cannot be read ({e.Message}). The node's user must own it, with mode 0600.");
        }
        var token = text.TrimEnd('\n', '\r');
        if (token.Length == 0)
            throw new NodeConfigurationException($"{flag} {path} is empty. Put one random token in it: openssl rand -hex 32 > {path}");
        if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new NodeConfigurationException(
                $"{flag} {path} holds spaces, tabs or more than one line; a bearer token is one word (such as the output of openssl rand -hex 32) on one line.");
        return token;
    }

    /// <summary>Refuses <paramref name="path"/> if group or others may read it, as ssh does for keys.</summary>
    /// <param name="path">A secret file.</param>
    /// <param name="flag">The flag that named it, for the message.</param>
    /// <param name="risk">What a reader of the file could do, for the message.</param>
    /// <exception cref="NodeConfigurationException">Its mode lets group or others at it.</exception>
    public static void RequireOwnerOnly(string path, string flag, string risk)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The appliance runs on Linux.");
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
            throw new NodeConfigurationException(
                $"{flag} {path} has mode {Octal(mode)}: group or others may read it, and {risk}. " +
                $"It must be 0600 or stricter: chmod 600 {path} (and make sure the node's user owns it).");
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0b111_111_111, 8).PadLeft(4, '0');
}
