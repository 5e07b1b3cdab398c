using Appliance.Host.Node;

namespace Appliance.Host.Api.Access;

/// <summary>Reads a file that holds one API token (<c>--api-token-file</c>, <c>--api-read-token-file</c>, the CLI's <c>--token-file</c>).</summary>
public static class ApiTokenFile
{
    /// <summary>
    /// The token in <paramref name="path"/>: its text without the trailing newline an editor or <c>echo</c> adds.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="flag">The flag that named it, for the message.</param>
    /// <param name="requirePrivate">Refuse a file that group or others may read (mode 0600 or stricter is required), as ssh does for keys.</param>
    /// <exception cref="NodeConfigurationException">The file is missing, unreadable, too open, empty, or holds more than one word.</exception>
    public static string Read(string path, string flag, bool requirePrivate)
    {
        var token = SecretFile.Read(path, flag, requirePrivate, $"(umask 077; openssl rand -hex 32 > {path})");
        if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new NodeConfigurationException(
                $"{flag} {path} holds spaces, tabs or more than one line; a bearer token is one word (such as the output of openssl rand -hex 32) on one line.");
        return token;
    }
}
