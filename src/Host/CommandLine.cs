using System.CommandLine;
using Appliance.Host.Cli;
using Appliance.Host.Demo;
using Appliance.Host.Node;

namespace Appliance.Host;

/// <summary>
/// The command line of the <c>appliance</c> binary (System.CommandLine): <c>node</c>, <c>demo</c> and the operator verbs.
/// It composes every verb, so it stands above their folders: the demo shows the topology with the operator verbs'
/// rendering, and the verbs know nothing of the demo.
/// </summary>
public static class CommandLine
{
    /// <summary>The root command with every verb.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("appliance: highly available PostgreSQL 15 on an Akka.NET cluster.");
        root.Subcommands.Add(NodeCommand());
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(ServiceUnit.Command());

        var endpoint = new Option<string>("--endpoint", "-e")
        {
            Description = $"Any node's HTTP URL (default: $APPLIANCE_ENDPOINT, else {ApiClient.DefaultEndpoint}).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("APPLIANCE_ENDPOINT") is { Length: > 0 } e ? e : ApiClient.DefaultEndpoint,
            Recursive = true,
        };
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = $"A file with the API token (the one in the nodes' --api-token-file), sent with every request (default: ${CliToken.EnvironmentVariable}).",
            Recursive = true,
        };
        var ca = new Option<string?>("--ca")
        {
            Description = $"The cluster's CA certificate (PEM, the nodes' --tls-ca): an https endpoint must present a certificate it signed (default: ${ApiClient.CaEnvironmentVariable}).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ApiClient.CaEnvironmentVariable) is { Length: > 0 } f ? f : null,
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print the raw JSON instead of a table.", Recursive = true };
        var generation = new Option<long?>("--generation") { Description = "Apply only if the cluster is still at this generation (refused with 412 otherwise)." };

        Command Verb(string name, string description, Func<ApiClient, bool, System.CommandLine.ParseResult, CancellationToken, Task<int>> run, params Symbol[] extra)
        {
            var command = new Command(name, description) { endpoint, tokenFile, ca, json };
            foreach (var s in extra)
                switch (s)
                {
                    case Option o: command.Options.Add(o); break;
                    case Argument a: command.Arguments.Add(a); break;
                }
            command.SetAction(async (parse, ct) =>
            {
                try
                {
                    using var api = new ApiClient(parse.GetValue(endpoint)!,
                        CliToken.Resolve(parse.GetValue(tokenFile), Environment.GetEnvironmentVariable(CliToken.EnvironmentVariable)),
                        caFile: parse.GetValue(ca));
                    return await run(api, parse.GetValue(json), parse, ct);
                }
                catch (CliException e)
                {
                    await Console.Error.WriteLineAsync($"appliance {name}: {e.Message}");
                    return e.ExitCode;
                }
            });
            return command;
        }

        root.Subcommands.Add(Verb("status", "Show the cluster: roles, LSNs, lag and health of every peer.",
            (api, j, _, ct) => Verbs.StatusAsync(api, j, Console.Out, ct)));
        root.Subcommands.Add(Verb("watch", "Show the cluster again on every state change, until Ctrl-C.",
            (api, j, _, ct) => Verbs.WatchAsync(api, j, Console.Out, ct)));
        var since = new Option<long?>("--since") { Description = "Only the states after this version (the last version of the page before)." };
        var limit = new Option<int?>("--limit") { Description = "At most this many states." };
        root.Subcommands.Add(Verb("history", "Every state the cluster went through: generation, time, primary, sync, asyncs, deposed, reason.",
            (api, j, p, ct) => Verbs.HistoryAsync(api, j, Console.Out, ct, p.GetValue(since), p.GetValue(limit)), since, limit));
        var dsnRole = new Option<string>("--role") { Description = "primary (read-write), replica (prefer-standby) or any.", DefaultValueFactory = _ => "primary" };
        root.Subcommands.Add(Verb("dsn", "Print a libpq connection string naming every peer, for psql or an application (no password in it).",
            (api, j, p, ct) => Dsn.RunAsync(api, p.GetValue(dsnRole)!, p.GetValue(ca), j, Console.Out, ct), dsnRole));
        root.Subcommands.Add(Verb("verify", "Check the cluster; print one line per problem and exit 1 if there is any.",
            (api, j, _, ct) => Verbs.VerifyAsync(api, j, Console.Out, ct)));

        var reason = new Option<string>("--reason", "-r") { Description = "Why the cluster is frozen (shown in status and history).", Required = true };
        root.Subcommands.Add(Verb("freeze", "Stop every failover and sync change until unfrozen.",
            (api, j, p, ct) => Verbs.CommandAsync(api, "/freeze" + Query(p.GetValue(generation)),
                new { reason = p.GetValue(reason) }, j, Console.Out, Console.Error, ct), reason, generation));
        root.Subcommands.Add(Verb("unfreeze", "Lift a freeze.",
            (api, j, p, ct) => Verbs.CommandAsync(api, "/unfreeze" + Query(p.GetValue(generation)), null, j, Console.Out, Console.Error, ct), generation));
        var to = new Option<string?>("--to") { Description = "The peer to move up (default: the sync, which becomes primary)." };
        var at = new Option<string?>("--at") { Description = "Schedule the switchover for this time (ISO 8601, such as 2026-12-05T03:00:00Z, or +30m, +2h) instead of now." };
        var cancel = new Option<bool>("--cancel") { Description = "Cancel the scheduled switchover." };
        root.Subcommands.Add(Verb("switchover", "Planned change of primary (or move an async up), now or at a scheduled time.",
            (api, j, p, ct) => Verbs.CommandAsync(api, "/switchover" + Query(p.GetValue(generation)),
                OperationVerbs.SwitchoverBody(p.GetValue(to), p.GetValue(at), p.GetValue(cancel), DateTimeOffset.UtcNow), j, Console.Out, Console.Error, ct),
            to, at, cancel, generation));
        var maintenanceMode = new Argument<string>("on|off") { Description = "on: the cluster treats the node as gone and leaves its PostgreSQL alone; off: back in the chain." };
        var maintenanceId = new Argument<string?>("id") { Description = "The peer (default: the node at --endpoint).", Arity = ArgumentArity.ZeroOrOne };
        root.Subcommands.Add(Verb("maintenance", "Put a standby in maintenance (stop and start its PostgreSQL by hand) or take it out.",
            (api, j, p, ct) => OperationVerbs.MaintenanceAsync(api, p.GetValue(maintenanceMode)!, p.GetValue(maintenanceId), j, Console.Out, Console.Error, ct),
            maintenanceMode, maintenanceId));
        var failoverTo = new Option<string>("--to") { Description = "The peer to make primary.", Required = true };
        var acceptDataLoss = new Option<bool>("--accept-data-loss") { Description = "Accept losing acknowledged writes that only the lost primary and sync hold (required)." };
        root.Subcommands.Add(Verb("failover", "With primary and sync both lost, make another peer primary, giving up what it lacks.",
            (api, j, p, ct) => Verbs.CommandAsync(api, "/failover", new { to = p.GetValue(failoverTo), acceptDataLoss = p.GetValue(acceptDataLoss) },
                j, Console.Out, Console.Error, ct), failoverTo, acceptDataLoss));
        root.Subcommands.Add(Verb("promote-cluster", "Make a standby cluster (--standby-of, --standby-from-repo) a normal, writable cluster: its leader stops following the source and is promoted.",
            (api, j, p, ct) => Verbs.CommandAsync(api, "/promote-cluster" + Query(p.GetValue(generation)), null, j, Console.Out, Console.Error, ct), generation));
        var rebuildId = new Argument<string>("id") { Description = "The deposed peer." };
        root.Subcommands.Add(Verb("rebuild", "Let a deposed peer serve again after it is rebuilt from a replica.",
            (api, j, p, ct) => Verbs.CommandAsync(api, $"/rebuild/{Uri.EscapeDataString(p.GetValue(rebuildId)!)}" + Query(p.GetValue(generation)),
                null, j, Console.Out, Console.Error, ct), rebuildId, generation));
        var reapId = new Argument<string>("id") { Description = "The deposed peer that is gone for good." };
        root.Subcommands.Add(Verb("reap", "Forget a deposed peer that is gone for good.",
            (api, j, p, ct) => Verbs.CommandAsync(api, $"/reap/{Uri.EscapeDataString(p.GetValue(reapId)!)}" + Query(p.GetValue(generation)),
                null, j, Console.Out, Console.Error, ct), reapId, generation));
        var instances = new Option<int>("--instances") { Description = "The new number of instances (placement mode).", Required = true };
        var force = new Option<bool>("--force") { Description = "Go below the minimum of 3 instances (1 in singleton mode)." };
        root.Subcommands.Add(Verb("scale", "Change the number of instances: grow adds asyncs at the tail, shrink removes asyncs above the new size.",
            (api, j, p, ct) => Verbs.CommandAsync(api, "/scale" + Query(p.GetValue(generation)),
                new { instances = p.GetValue(instances), force = p.GetValue(force) }, j, Console.Out, Console.Error, ct), instances, force, generation));
        var role = new Option<string>("--role")
        {
            Description = "superuser (first put the new password on the first line of every node's --pg-password-file, the old one on the second) or replication.",
            Required = true,
        };
        role.AcceptOnlyFromAmong("superuser", "replication");
        root.Subcommands.Add(Verb("rotate-password", "Change the superuser's or the replication role's password on every node, with no failover.",
            (api, j, p, ct) => Verbs.CommandAsync(api, "/rotate-password", new { role = p.GetValue(role) }, j, Console.Out, Console.Error, ct), role));
        AddSettingsVerbs(root, Verb, generation);
        AddBackupVerbs(root, Verb);
        return root;
    }

    private static void AddBackupVerbs(RootCommand root,
        Func<string, string, Func<ApiClient, bool, System.CommandLine.ParseResult, CancellationToken, Task<int>>, Symbol[], Command> verb)
    {
        var type = new Option<string?>("--type") { Description = "full, diff or incr (default: incr, which is a full one when there is none yet)." };
        type.AcceptOnlyFromAmong("full", "diff", "incr");
        var from = new Option<string?>("--from")
        {
            Description = "auto (default: the last async, else the sync, else the primary), standby (refused if none can serve) or primary.",
        };
        from.AcceptOnlyFromAmong("auto", "standby", "primary");
        root.Subcommands.Add(verb("backup", "Take a backup with pgBackRest, from a standby by default, and show its progress until it ends.",
            (api, j, p, ct) => BackupVerbs.BackupAsync(api, p.GetValue(type), p.GetValue(from), j, Console.Out, Console.Error, ct), [type, from]));
        root.Subcommands.Add(verb("backups", "List the repository's backups with their WAL ranges, and the archived WAL.",
            (api, j, _, ct) => BackupVerbs.ListAsync(api, j, Console.Out, ct), []));

        var repo = new Option<string>("--backup-repo") { Description = "The pgBackRest repository (the nodes' --backup-repo).", Required = true };
        var stanza = new Option<string>("--stanza") { Description = "The stanza: the cluster's name (default appliance).", DefaultValueFactory = _ => "appliance" };
        var options = new Option<string[]>("--backup-option") { Description = "KEY=VALUE passed to pgBackRest, repeatable (an object store's options, as the nodes have them).", Arity = ArgumentArity.ZeroOrMore };
        var to = new Option<string?>("--to") { Description = "Recover up to this time (ISO 8601, UTC unless it names an offset), then promote." };
        var toLsn = new Option<string?>("--to-lsn") { Description = "Recover up to this WAL position (such as 0/3000060), then promote." };
        var target = new Option<string>("--target") { Description = "An empty or new directory to restore into (as root, the postgres user must be able to reach it).", Required = true };
        var restore = new Command("restore", "Restore a backup and the archived WAL into a directory, as a standalone server (to inspect data or recover a dropped table).")
            { repo, stanza, options, to, toLsn, target };
        restore.SetAction((parse, ct) => BackupVerbs.RestoreAsync(parse.GetValue(repo)!, parse.GetValue(stanza)!, parse.GetValue(options) ?? [],
            parse.GetValue(to), parse.GetValue(toLsn), parse.GetValue(target)!, Console.Out, Console.Error, ct));
        root.Subcommands.Add(restore);
    }

    private static void AddSettingsVerbs(RootCommand root,
        Func<string, string, Func<ApiClient, bool, System.CommandLine.ParseResult, CancellationToken, Task<int>>, Symbol[], Command> verb, Option<long?> generation)
    {
        var config = new Command("config", "Cluster-wide PostgreSQL settings, kept in the cluster state: show, set KEY=VALUE…, unset KEY….");
        config.Subcommands.Add(verb("show", "Show the cluster's settings, the defaults and which peers wait for a restart.",
            (api, j, _, ct) => SettingsVerbs.ShowAsync(api, j, Console.Out, ct), []));
        var pairs = new Argument<string[]>("settings") { Description = "KEY=VALUE pairs, such as work_mem=8MB.", Arity = ArgumentArity.OneOrMore };
        config.Subcommands.Add(verb("set", "Set settings on every node (reloaded at once; a restart-only one shows as pending restart).",
            (api, j, p, ct) => SettingsVerbs.ChangeAsync(api, p.GetValue(pairs)!, [], p.GetValue(generation), j, Console.Out, Console.Error, ct), [pairs, generation]));
        var names = new Argument<string[]>("names") { Description = "Setting names.", Arity = ArgumentArity.OneOrMore };
        config.Subcommands.Add(verb("unset", "Remove settings (back to the defaults).",
            (api, j, p, ct) => SettingsVerbs.ChangeAsync(api, [], p.GetValue(names)!, p.GetValue(generation), j, Console.Out, Console.Error, ct), [names, generation]));
        root.Subcommands.Add(config);
        root.Subcommands.Add(verb("reload", "Reload PostgreSQL's configuration on every node.",
            (api, j, _, ct) => SettingsVerbs.ReloadAsync(api, j, Console.Out, ct), []));
        var pending = new Option<bool>("--pending") { Description = "Restart only the peers whose PostgreSQL reports a pending restart." };
        var ids = new Argument<string[]>("ids") { Description = "Restart only these peers (default: all).", Arity = ArgumentArity.ZeroOrMore };
        root.Subcommands.Add(verb("restart", "Rolling restart: asyncs, then the sync, then the primary by a switchover; writes go on throughout.",
            (api, j, p, ct) => SettingsVerbs.RestartAsync(api, p.GetValue(pending), p.GetValue(ids) ?? [], j, Console.Out, Console.Error, ct), [pending, ids]));
    }

    private static string Query(long? generation) => generation is { } g ? $"?generation={g}" : "";

    private static Command NodeCommand()
    {
        var config = new Option<string?>("--config") { Description = "A JSON or HOCON file with the options below (flags and APPLIANCE_* variables override it)." };
        var options = new Dictionary<string, Option<string?>>();
        var help = new Dictionary<string, string>
        {
            ["name"] = "The instance id (PostgreSQL's application_name), such as n1.",
            ["host"] = "The address this node binds and advertises for Akka, PostgreSQL and HTTP (default 127.0.0.1).",
            ["akka-port"] = "Akka remoting port.",
            ["http-port"] = $"HTTP API port (default {NodeOptionsLoader.DefaultHttpPort}).",
            ["pg-port"] = "PostgreSQL port.",
            ["data-dir"] = "This node's directory; PostgreSQL's data is in pgdata inside it.",
            ["seed-nodes"] = "host:port[,host:port…] of every database node's Akka remoting, the same on every node; a majority of them forms the cluster.",
            ["state-store"] = "sqlite:PATH or postgres:CONNECTION-STRING: where the coordinator keeps the cluster state.",
            ["pg-password"] = "Password of the postgres superuser, the same on every node (default: generated and kept in DATA-DIR/pg-password).",
            ["cluster-size"] = "The number of instances the cluster aims for (default 3).",
            ["bin-dir"] = "PostgreSQL's bin directory (default: the newest /usr/lib/postgresql/*/bin).",
            ["mode"] = "normal or singleton (default normal).",
            ["standby-of"] = "Start a standby cluster that follows another cluster: the PostgreSQL HOST:PORT of the other cluster's nodes, comma-separated. Its leader streams from their primary and takes no writes. Give it to every node of the new cluster; the clusters share --pg-password.",
            ["standby-repo-option"] = "KEY=VALUE, repeatable: a pgBackRest option of the repository --standby-from-repo names, such as repo1-type=s3 and the bucket's options (the source cluster's --backup-option); the path is then the repository's path in the store.",
            ["standby-from-repo"] = "Start a standby cluster that follows another cluster's pgBackRest archive instead of its PostgreSQL: the other cluster's --backup-repo directory, readable here (or its path in an object store, with --standby-repo-option). Its leader restores the newest backup, then replays each WAL segment as the other cluster archives it (up to its archive_timeout behind), and takes no writes. Give it to every node of the new cluster.",
            ["rejoin"] = "What a deposed primary does: auto (rewind and rejoin) or manual (default auto).",
            ["client-networks"] = "Extra client networks (CIDR, comma-separated) admitted to PostgreSQL.",
            ["standby-networks"] = "Networks (CIDR, comma-separated) of standby clusters that follow this one (--standby-of): admitted to PostgreSQL to connect and to replicate.",
            ["exit-with-parent"] = "Stop when the process with this id exits (the demo uses it).",
            ["pg-base-port"] = "Placement mode (with --data-root): the cluster places instances on this host; pg-N listens on BASE+N-1. --name then names the host.",
            ["data-root"] = "Placement mode (with --pg-base-port): each instance placed here keeps its data in DATA-ROOT/pg-N/pgdata.",
            ["api-token-file"] = "A file (mode 0600) with the token every change over HTTP must send as 'Authorization: Bearer TOKEN' (without it, changes are taken from loopback only).",
            ["pg-password-file"] = "A file (mode 0600) with the postgres superuser's password, instead of --pg-password on the command line; systemd's $CREDENTIALS_DIRECTORY/pg-password also works.",
            ["state-store-file"] = "A file (mode 0600) with the --state-store value, whose connection string may hold a password; systemd's $CREDENTIALS_DIRECTORY/state-store also works.",
            ["api-read-token-file"] = "A file (mode 0600) with a token that /cluster, /history, /metrics, /state, /state/stream and /ui then need (the write token works too).",
            ["tls-cert"] = "This node's certificate (PEM), signed by --tls-ca; with --tls-key and --tls-ca: HTTPS, mutual TLS between nodes, TLS to PostgreSQL.",
            ["tls-key"] = "The certificate's private key (PEM, mode 0600).",
            ["tls-ca"] = "The cluster's CA certificate (PEM): the only root that peers' certificates are checked against.",
            ["tag"] = "Tags, comma-separated: nofailover (never sync, never primary), noloadbalance (/replica answers 503).",
            ["on-role-change"] = "A shell command run after each role change, with NEW-ROLE OLD-ROLE GENERATION appended (also $APPLIANCE_NEW_ROLE, $APPLIANCE_OLD_ROLE, $APPLIANCE_GENERATION, $APPLIANCE_PEER).",
            ["on-role-change-timeout"] = "Seconds --on-role-change may run before it is killed (default 30).",
            ["backup-repo"] = "A pgBackRest repository (a directory, shared by every node when they are separate machines): the primary archives WAL into it, and 'appliance backup' takes backups to it.",
            ["backup-option"] = "KEY=VALUE, repeatable: an option passed through to pgBackRest's config, such as repo1-type=s3 or process-max=4.",
            ["backup-retention-full"] = $"How many full backups the repository keeps (default {Appliance.Nodes.Backup.BackupRetention.DefaultFull}); older backups and the WAL only they need are expired after each backup.",
            ["backup-schedule"] = "Backups the cluster takes by itself, on the primary's node, one at a time: full=INTERVAL[,diff=INTERVAL][,incr=INTERVAL], such as full=7d,diff=1d (s, m, h, d or w).",
            ["bootstrap-from-backup"] = "A new cluster starts from the newest backup in --backup-repo instead of an empty database: its first primary restores it, the others clone from it. Give it to the nodes of the new cluster when they first start; a node that holds its database ignores it.",
            ["bootstrap-to"] = "With --bootstrap-from-backup: where recovery stops, a time (ISO 8601, UTC unless it names an offset); default: the end of the archive. Also --to.",
            ["backup-retention-diff"] = "How many differential backups the repository keeps (default: all of those the kept full backups have).",
            ["backup-server-port"] = "Port of this node's pgBackRest TLS server (default 8432), which lets a backup run on a standby reach the primary; it runs with --backup-repo and TLS.",
        };
        var command = new Command("node", "Run one node: PostgreSQL, its cluster member and the HTTP API, until SIGTERM or Ctrl-C.") { config };
        var repeatable = new Dictionary<string, Option<string[]>>();
        var switches = new List<(string Key, Option<bool> Option)>();
        foreach (var key in NodeOptionsLoader.Keys)
        {
            if (key == "bootstrap-from-backup")
            {
                // A flag on the command line; true or false in a file or variable.
                var flag = new Option<bool>("--" + key) { Description = help[key] };
                command.Options.Add(flag);
                switches.Add((key, flag));
                continue;
            }
            if (NodeOptionsLoader.RepeatableKeys.Contains(key))
            {
                var many = new Option<string[]>("--" + key) { Description = help[key], Arity = ArgumentArity.ZeroOrMore };
                repeatable[key] = many;
                command.Options.Add(many);
                continue;
            }
            var option = new Option<string?>("--" + key) { Description = help[key], Hidden = key == "exit-with-parent" };
            if (key == "bootstrap-to") option.Aliases.Add("--to");
            options[key] = option;
            command.Options.Add(option);
        }
        command.SetAction(async (parse, ct) =>
        {
            NodeOptions node;
            try
            {
                var flags = options.Where(o => parse.GetValue(o.Value) is not null).ToDictionary(o => o.Key, o => parse.GetValue(o.Value)!);
                foreach (var (key, many) in repeatable)
                    if (parse.GetValue(many) is { Length: > 0 } given) flags[key] = string.Join('\n', given);
                foreach (var (key, flag) in switches)
                    if (parse.GetValue(flag)) flags[key] = "true";
                var env = NodeOptionsLoader.FromEnvironment(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                    .ToDictionary(e => (string)e.Key, e => (string?)e.Value));
                var configPath = parse.GetValue(config) ?? Environment.GetEnvironmentVariable("APPLIANCE_CONFIG");
                var (fileValues, extraHocon) = configPath is { Length: > 0 } ? NodeOptionsLoader.FromFile(configPath) : ([], null);
                node = NodeOptionsLoader.Build([fileValues, env, flags], extraHocon, NodeFiles.ReadOrCreatePassword);
            }
            catch (NodeConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"appliance node: {e.Message}");
                return 2;
            }
            return await NodeRunner.RunAsync(node, ct);
        });
        return command;
    }

    private static Command DemoCommand()
    {
        var nodes = new Option<int>("--nodes") { Description = "How many nodes (default 3).", DefaultValueFactory = _ => 3 };
        var dir = new Option<string?>("--dir") { Description = $"Where the nodes keep their data (default {DemoRunner.DefaultDirectory})." };
        var basePort = new Option<int>("--base-port") { Description = "Node i uses PostgreSQL port BASE+10i, HTTP BASE+10i+1, Akka BASE+10i+2 (default 15432).", DefaultValueFactory = _ => 15432 };
        var fresh = new Option<bool>("--fresh") { Description = "Delete the existing demo data and start over." };
        var command = new Command("demo", "Run a local cluster of N nodes on loopback and show its topology until Ctrl-C.") { nodes, dir, basePort, fresh };
        command.SetAction((parse, ct) => DemoRunner.RunAsync(new DemoOptions(parse.GetValue(nodes), parse.GetValue(dir), parse.GetValue(basePort), parse.GetValue(fresh)), ct));
        return command;
    }
}
