namespace Appliance.Host.Node;

/// <summary>
/// Reads a secret that a node takes from a file rather than from its command line, where every local user could read
/// it in the process list: the PostgreSQL password, the state store's connection string, the API tokens.
/// </summary>
public static class SecretFile
{
    /// <summary>The permission bits that let anyone but the owner at the file.</summary>
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The secret in <paramref name="path"/>: its text without the trailing newline an editor or <c>echo</c> adds.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="flag">The flag that named it, for the message.</param>
    /// <param name="requirePrivate">Refuse a file that group or others may read (mode 0600 or stricter), as ssh does for keys.</param>
    /// <param name="howToCreate">A shell line that makes a good file, for the messages about a missing or empty one.</param>
    /// <exception cref="NodeConfigurationException">The file is missing, unreadable, too open or empty.</exception>
    public static string Read(string path, string flag, bool requirePrivate, string howToCreate)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The appliance runs on Linux.");
        if (!File.Exists(path))
            throw new NodeConfigurationException($"{flag} {path} does not exist. Create it, readable only by the node's user: {howToCreate}");
        if (requirePrivate) RequireOwnerOnly(path, flag, "it holds a secret");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"{flag} {path} cannot be read ({e.Message}). The node's user must own it, with mode 0600.");
        }
        var secret = text.TrimEnd('\n', '\r');
        if (secret.Length == 0)
            throw new NodeConfigurationException($"{flag} {path} is empty. {howToCreate}");
        return secret;
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
