using System.CommandLine;
using System.Text;
using Appliance.Host.Node;
using Appliance.Launch;

namespace Appliance.Host.Cli;

/// <summary>
/// <c>appliance install-service [--output PATH] [--force] [--user NAME] [--binary PATH] NODE-FLAGS…</c>: writes the
/// systemd unit that runs this machine's node with the settings README recommends (<c>Type=notify</c>,
/// <c>KillSignal=SIGTERM</c>, <c>TimeoutStopSec=90</c>, <c>Restart=on-failure</c>, <c>RestartSec=10s</c>) and the node's
/// flags. The secret files (<c>--pg-password-file</c>, <c>--state-store-file</c>, <c>--api-token-file</c>,
/// <c>--api-read-token-file</c>) become <c>LoadCredential=</c> lines, which the node reads from
/// <c>$CREDENTIALS_DIRECTORY</c>; a secret given on the command line is refused, since a unit file is readable by every
/// local user. An existing file is kept unless <c>--force</c>. <c>packaging/appliance.service</c> is this verb's output
/// for README's first machine.
/// </summary>
public static class ServiceUnit
{
    /// <summary>Where the unit goes when no <c>--output</c> is given.</summary>
    public const string DefaultPath = "/etc/systemd/system/appliance.service";

    /// <summary>The verb.</summary>
    public static Command Command()
    {
        var output = new Option<string>("--output") { Description = $"Where to write the unit (default {DefaultPath}).", DefaultValueFactory = _ => DefaultPath };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file." };
        var user = new Option<string?>("--user") { Description = "Run the node as this user (default root, which runs PostgreSQL as postgres)." };
        var binary = new Option<string?>("--binary") { Description = "The appliance binary the unit starts (default: this one)." };
        var command = new Command("install-service",
            "Write the systemd unit (Type=notify, SIGTERM, Restart=on-failure, RestartSec=10s) that runs this machine's node with the node flags given after the options; secret files become LoadCredential=.")
        {
            output, force, user, binary,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var text = Render(ParseFlags(parse.UnmatchedTokens), parse.GetValue(binary) ?? DefaultBinary(), parse.GetValue(user));
                var path = Path.GetFullPath(parse.GetValue(output)!);
                if (File.Exists(path) && !parse.GetValue(force))
                    throw new CliException($"{path} exists; it is left as it is. Add --force to replace it, or --output to write elsewhere.");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, text, ct);
                Console.WriteLine($"wrote {path}");
                if (path == DefaultPath)
                    Console.WriteLine("next: systemctl daemon-reload && systemctl enable --now appliance");
                return 0;
            }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync($"appliance install-service: {e.Message}");
                return e.ExitCode;
            }
        });
        return command;
    }

    /// <summary>Reads <c>--KEY VALUE</c> (or <c>--KEY=VALUE</c>) pairs of the node's options (<see cref="NodeOptionsLoader.Keys"/>, and <c>--config</c>), in order.</summary>
    /// <exception cref="CliException">An unknown flag, a flag without a value, or a secret on the command line.</exception>
    public static IReadOnlyList<(string Key, string Value)> ParseFlags(IReadOnlyList<string> tokens)
    {
        var flags = new List<(string, string)>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token == "--") continue;
            if (!token.StartsWith("--", StringComparison.Ordinal))
                throw new CliException($"'{token}' is not a node flag: give the flags of 'appliance node', such as --name db1 --data-dir /var/lib/appliance.");
            var (key, value) = token.IndexOf('=') is > 2 and var eq ? (token[2..eq], token[(eq + 1)..]) : (token[2..], null);
            if (key == "to") key = "bootstrap-to";
            // The node's one valueless flag: a value only when one follows that is not the next flag.
            if (key == "bootstrap-from-backup" && value is null && (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal)))
                value = "true";
            if (key != "config" && !NodeOptionsLoader.Keys.Contains(key))
                throw new CliException($"--{key} is not a flag of 'appliance node' (see 'appliance node --help').");
            if (value is null)
            {
                if (i + 1 >= tokens.Count) throw new CliException($"--{key} needs a value.");
                value = tokens[++i];
            }
            if (key == "pg-password")
                throw new CliException("--pg-password would put the password in the unit file, which every local user can read: give --pg-password-file (mode 0600) instead; it becomes LoadCredential=pg-password.");
            if (key == "state-store" && value.Contains("password", StringComparison.OrdinalIgnoreCase))
                throw new CliException("--state-store holds a password, which the unit file would show to every local user: put it in a file (mode 0600) and give --state-store-file instead; it becomes LoadCredential=state-store.");
            if (key == "exit-with-parent") throw new CliException("--exit-with-parent is for the demo's nodes; a service has systemd for its parent.");
            flags.Add((key, value));
        }
        if (!flags.Any(f => f.Item1 is "name" or "config"))
            throw new CliException("Give the node's flags after the options, at least --name (or --config FILE), as for 'appliance node'.");
        return flags;
    }

    /// <summary>The unit's text.</summary>
    /// <param name="flags">The node's flags, in order.</param>
    /// <param name="binary">The command that runs <c>appliance</c> (the path of the binary, or <c>dotnet …/appliance.dll</c>).</param>
    /// <param name="user">The user to run as; null for root.</param>
    public static string Render(IReadOnlyList<(string Key, string Value)> flags, string binary, string? user)
    {
        var credentials = NodeOptionsLoader.Credentials.ToDictionary(c => c.FileOption, c => c.Credential);
        var name = flags.FirstOrDefault(f => f.Key == "name").Value;
        var exec = new StringBuilder(binary).Append(" node");
        foreach (var (key, value) in flags.Where(f => !credentials.ContainsKey(f.Key)))
            exec.Append(" --").Append(key).Append(' ').Append(Quote(value));
        var sb = new StringBuilder();
        sb.Append("# Written by 'appliance install-service'. The settings are README's (\"Deploying three machines\", \"Operating\").\n");
        sb.Append("[Unit]\n");
        sb.Append("Description=Appliance node").Append(name is null ? "" : " " + name).Append(" (highly available PostgreSQL)\n");
        sb.Append("Wants=network-online.target\nAfter=network-online.target\n");
        sb.Append("\n[Service]\n");
        sb.Append("# READY=1 once the node runs (Microsoft.Extensions.Hosting.Systemd); STOPPING=1 when it begins to stop.\n");
        sb.Append("Type=notify\n");
        if (user is { Length: > 0 }) sb.Append("User=").Append(user).Append('\n');
        sb.Append("ExecStart=").Append(exec).Append('\n');
        foreach (var (key, value) in flags.Where(f => credentials.ContainsKey(f.Key)))
            sb.Append("LoadCredential=").Append(credentials[key]).Append(':').Append(value).Append('\n');
        sb.Append("# A planned stop hands the primary over to its sync first, then stops PostgreSQL and leaves the cluster.\n");
        sb.Append("KillSignal=SIGTERM\nTimeoutStopSec=90\nTimeoutStartSec=300\n");
        sb.Append("# Exit 3 (removed from the cluster) and 75 (only a new incarnation can rejoin) ask to be started again;\n");
        sb.Append("# 10 s lets the peers remove a crashed incarnation first (docs/BENCHMARKS.md §1c). Exit 2 is bad input: no retry.\n");
        sb.Append("Restart=on-failure\nRestartSec=10s\nRestartPreventExitStatus=2\n");
        sb.Append("\n[Install]\nWantedBy=multi-user.target\n");
        return sb.ToString();
    }

    /// <summary>One ExecStart word: quoted when it holds white space or quotes; <c>%</c> and <c>$</c> escaped for systemd.</summary>
    public static string Quote(string value)
    {
        var escaped = value.Replace("%", "%%").Replace("$", "$$");
        if (escaped.Length > 0 && !escaped.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or ';')) return escaped;
        return "\"" + escaped.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    private static string DefaultBinary() => string.Join(" ", Executable.Self(typeof(ServiceUnit).Assembly).Words.Select(Quote));
}
