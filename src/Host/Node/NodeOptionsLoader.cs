using System.Globalization;
using System.Text.Json;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Instance;
using Appliance.Nodes.State;
using Appliance.Nodes.Backup;

namespace Appliance.Host.Node;

/// <summary>
/// Builds <see cref="NodeOptions"/> from, in rising precedence: the defaults, a config file (<c>--config</c>, JSON or
/// HOCON), <c>APPLIANCE_*</c> environment variables and command-line flags. Every source uses the flag names
/// (<c>akka-port</c>; <c>APPLIANCE_AKKA_PORT</c>; <c>"akka-port"</c> or <c>"akkaPort"</c> in a file).
/// </summary>
public static class NodeOptionsLoader
{
    /// <summary>Every option key, as its flag is spelled (without the dashes).</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "name", "host", "akka-port", "http-port", "pg-port", "data-dir", "seed-nodes", "state-store", "pg-password",
        "cluster-size", "bin-dir", "mode", "rejoin", "client-networks", "exit-with-parent", "pg-base-port", "data-root",
        "api-token-file", "api-read-token-file", "pg-password-file", "state-store-file", "tls-cert", "tls-key", "tls-ca",
        "tag", "on-role-change", "on-role-change-timeout", "backup-repo", "backup-option",
        "backup-retention-full", "backup-retention-diff", "backup-schedule", "bootstrap-from-backup", "bootstrap-to",
        "backup-server-port", "standby-of", "standby-from-repo", "standby-repo-option", "standby-networks",
    ];

    /// <summary>Options that may be given several times; their values are kept one a line (a JSON or HOCON list, or lines in the variable).</summary>
    public static readonly IReadOnlyList<string> RepeatableKeys = ["backup-option", "standby-repo-option"];

    /// <summary>Options that hold a secret and may instead name a file with it (<c>--KEY-file</c>).</summary>
    private static readonly string[] SecretKeys = ["pg-password", "state-store"];

    /// <summary>
    /// Secrets a node can take from systemd's credentials (<c>LoadCredential=NAME:PATH</c> puts them in
    /// <c>$CREDENTIALS_DIRECTORY/NAME</c>): the credential's name and the file option it stands for.
    /// </summary>
    public static readonly IReadOnlyList<(string Credential, string FileOption)> Credentials =
    [
        ("pg-password", "pg-password-file"), ("state-store", "state-store-file"),
        ("api-token", "api-token-file"), ("api-read-token", "api-read-token-file"),
    ];

    /// <summary>The HTTP port a node uses when none is given (Patroni's, so load-balancer examples carry over).</summary>
    public const int DefaultHttpPort = 8008;

    /// <summary>The environment variable that carries option <paramref name="key"/>.</summary>
    public static string EnvironmentName(string key) => "APPLIANCE_" + key.Replace('-', '_').ToUpperInvariant();

    /// <summary>Reads the <c>APPLIANCE_*</c> variables of <paramref name="environment"/> that name options.</summary>
    public static Dictionary<string, string> FromEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        var values = new Dictionary<string, string>();
        foreach (var key in Keys)
            if (environment.TryGetValue(EnvironmentName(key), out var v) && !string.IsNullOrEmpty(v))
                values[key] = v;
        // systemd credentials are the lowest-precedence source of a secret file: any explicit value wins over them.
        if (environment.TryGetValue("CREDENTIALS_DIRECTORY", out var credentials) && !string.IsNullOrEmpty(credentials))
            foreach (var (credential, fileOption) in Credentials)
                if (File.Exists(Path.Combine(credentials, credential)) && !values.ContainsKey(fileOption) && !values.ContainsKey(credential))
                    values[fileOption] = Path.Combine(credentials, credential);
        return values;
    }

    /// <summary>
    /// Reads a config file: JSON (an object whose keys are option names) or HOCON (option names as top-level keys;
    /// an <c>akka</c> or <c>appliance</c> section is layered over the embedded reference configurations as extra configuration).
    /// </summary>
    /// <returns>The option values, and the HOCON to layer over the reference configurations (null for JSON or none).</returns>
    public static (Dictionary<string, string> Values, string? ExtraHocon) FromFile(string path)
    {
        if (!File.Exists(path))
            throw new NodeConfigurationException($"Config file {path} does not exist. Check the path given to --config.");
        var text = File.ReadAllText(path);
        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || LooksLikeJson(text)
            ? (FromJson(text, path), null)
            : FromHocon(text, path);
    }

    private static bool LooksLikeJson(string text)
    {
        if (!text.TrimStart().StartsWith('{')) return false;
        try { using var _ = JsonDocument.Parse(text); return true; }
        catch (JsonException) { return false; }
    }

    private static Dictionary<string, string> FromJson(string text, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            throw new NodeConfigurationException($"Config file {path} is not valid JSON ({e.Message}). Fix it, or write it as HOCON.");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new NodeConfigurationException($"Config file {path} must hold one JSON object with option names as keys, such as {{\"name\": \"n1\"}}.");
            var values = new Dictionary<string, string>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                var key = Canonical(property.Name, path);
                values[key] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.Array => string.Join(RepeatableKeys.Contains(key) ? '\n' : ',', property.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                    JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                    _ => throw new NodeConfigurationException($"Config file {path}: option '{property.Name}' has a {property.Value.ValueKind} value; give a string, number or list."),
                };
            }
            return values;
        }
    }

    private static (Dictionary<string, string>, string?) FromHocon(string text, string path)
    {
        Akka.Configuration.Config config;
        try { config = Akka.Configuration.ConfigurationFactory.ParseString(text); }
        catch (Exception e)
        {
            throw new NodeConfigurationException($"Config file {path} is neither valid JSON nor valid HOCON ({e.Message}). Fix the syntax.");
        }
        var values = new Dictionary<string, string>();
        var extra = false;
        foreach (var (name, value) in config.Root.GetObject().Items)
        {
            if (name is "akka" or "appliance") { extra = true; continue; }
            var key = Canonical(name, path);
            values[key] = value.IsArray()
                ? string.Join(RepeatableKeys.Contains(key) ? '\n' : ',', value.GetArray().Select(v => v.GetString()))
                : value.GetString();
        }
        return (values, extra ? text : null);
    }

    private static string Canonical(string name, string source)
    {
        var normal = Normalise(name);
        return Keys.FirstOrDefault(k => Normalise(k) == normal)
               ?? throw new NodeConfigurationException(
                   $"{source}: unknown option '{name}'. Known options: {string.Join(", ", Keys)}.");
    }

    private static string Normalise(string name) => name.Replace("-", "").Replace("_", "").ToLowerInvariant();

    /// <summary>Layers the sources (later wins) and validates the result.</summary>
    /// <param name="layers">Option values, lowest precedence first.</param>
    /// <param name="extraHocon">HOCON to layer over the reference configurations (<see cref="HostConfig.Reference"/>), if any.</param>
    /// <param name="generatePassword">Supplies the password when none is given (reads or creates the node's password file).</param>
    public static NodeOptions Build(IEnumerable<IReadOnlyDictionary<string, string>> layers, string? extraHocon,
        Func<string, string> generatePassword)
    {
        var v = new Dictionary<string, string>();
        foreach (var layer in layers)
        {
            // A secret and its file are one option: a higher source that gives either replaces both.
            foreach (var secret in SecretKeys)
                if (layer.ContainsKey(secret) || layer.ContainsKey(secret + "-file"))
                {
                    if (layer.ContainsKey(secret) && layer.ContainsKey(secret + "-file"))
                        throw new NodeConfigurationException(
                            $"--{secret} and --{secret}-file are both given; give one (the file keeps the secret out of the process list).");
                    v.Remove(secret);
                    v.Remove(secret + "-file");
                }
            foreach (var (key, value) in layer)
                v[key] = value;
        }

        string Required(string key, string hint) =>
            v.TryGetValue(key, out var s) && !string.IsNullOrWhiteSpace(s)
                ? s.Trim()
                : throw new NodeConfigurationException($"--{key} is required ({hint}). Give it as a flag, as {EnvironmentName(key)}, or in the --config file.");

        var placement = v.ContainsKey("pg-base-port") || v.ContainsKey("data-root");
        if (placement && !(v.ContainsKey("pg-base-port") && v.ContainsKey("data-root")))
            throw new NodeConfigurationException(
                "--pg-base-port and --data-root go together: give both to let the cluster place instances on this host, or neither (and --pg-port, --data-dir) for one fixed instance.");
        if (placement)
        {
            // Placement mode: the node's own files (password, logs) live in the data root.
            v["data-dir"] = v["data-root"];
            v["pg-port"] = v["pg-base-port"];
        }
        var name = Required("name", placement ? "the host's name, such as host-a" : "the instance id, such as n1");
        if (!PeerId.IsValidId(name))
            throw new NodeConfigurationException($"--name '{name}' is not a valid instance id: use letters, digits, '-', '_' or '.', such as n1.");
        var host = v.GetValueOrDefault("host")?.Trim() is { Length: > 0 } h ? h : "127.0.0.1";
        var dataDir = Path.GetFullPath(Required("data-dir", "the directory that holds this node's PostgreSQL data"));
        Secret(v, "state-store", "(umask 077; echo 'postgres:Host=…;Password=…' > PATH)");
        Secret(v, "pg-password", "(umask 077; openssl rand -base64 24 > PATH), the same file on every node");
        var stateStore = Required("state-store", "sqlite:PATH for one machine, postgres:CONNECTION-STRING for several; or --state-store-file");
        try { StateStoreOptions.Parse(stateStore); }
        catch (FormatException e) { throw new NodeConfigurationException($"--state-store: {e.Message}"); }

        var seeds = Required("seed-nodes", "the Akka host:port of the seed nodes, the same list on every node: a majority of them forms the cluster")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var seed in seeds)
        {
            var parts = seed.Split(':');
            if (parts.Length != 2 || parts[0].Length == 0 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                throw new NodeConfigurationException($"--seed-nodes: '{seed}' is not host:port (such as 10.0.0.1:4053).");
        }

        var mode = Enum<ClusterMode>(v, "mode", ClusterMode.Normal);
        var rejoin = Enum<RejoinPolicy>(v, "rejoin", RejoinPolicy.Auto);
        var standbyRepoOptions = StandbyRepoOptions(v);
        var standbyOf = StandbyOf(v, mode, placement, NodeOptions.DefaultSystemName, standbyRepoOptions);
        // A password file may hold a second line during a rotation (SECURITY.md): the new password first, the old one after.
        var passwordFile = v.GetValueOrDefault("pg-password-file")?.Trim() is { Length: > 0 } pf ? Path.GetFullPath(pf) : null;
        var password = v.TryGetValue("pg-password", out var pw) && pw.Length > 0 ? PasswordLines(pw)[0] : generatePassword(dataDir);
        return new NodeOptions
        {
            Name = name,
            Host = host,
            AkkaPort = Port(v, "akka-port", null),
            HttpPort = Port(v, "http-port", DefaultHttpPort),
            PgPort = Port(v, "pg-port", null),
            DataDir = dataDir,
            SeedNodes = seeds,
            StateStore = stateStore,
            PgPassword = password,
            PgPasswordFile = passwordFile,
            ClusterSize = Int(v, "cluster-size", 3, 1, 64),
            BinDir = v.GetValueOrDefault("bin-dir") is { Length: > 0 } bin ? bin : null,
            Mode = mode,
            Rejoin = rejoin,
            StandbyOf = standbyOf,
            StandbyRepoOptions = standbyRepoOptions,
            StandbyNetworks = StandbyNetworks(v),
            ClientNetworks = v.GetValueOrDefault("client-networks") is { Length: > 0 } nets
                ? nets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [],
            ApiTokenFile = FilePath(v, "api-token-file"),
            ApiReadTokenFile = FilePath(v, "api-read-token-file"),
            Tls = TlsFiles(v),
            ExitWithParent = v.TryGetValue("exit-with-parent", out var parent) && parent.Length > 0 ? Int(v, "exit-with-parent", 0, 1, int.MaxValue) : null,
            ExtraHocon = extraHocon,
            PgBasePort = placement ? Port(v, "pg-base-port", null) : null,
            DataRoot = placement ? dataDir : null,
            Tags = NodeExtras.Tags(v),
            OnRoleChange = v.GetValueOrDefault("on-role-change") is { Length: > 0 } hook ? hook : null,
            OnRoleChangeTimeout = TimeSpan.FromSeconds(Int(v, "on-role-change-timeout", (int)RoleChangeHook.DefaultTimeout.TotalSeconds, 1, 3600)),
            Backup = BackupOptions.Repository(v, placement),
        };
    }

    /// <summary>
    /// <c>--standby-of HOST:PORT[,HOST:PORT…]</c> or <c>--standby-from-repo PATH</c>: what a standby cluster follows, the
    /// other cluster's PostgreSQL or its pgBackRest archive (stanza <paramref name="stanza"/>, the cluster's name); null
    /// when neither is given.
    /// </summary>
    private static StandbySource? StandbyOf(IReadOnlyDictionary<string, string> v, ClusterMode mode, bool placement, string stanza,
        IReadOnlyList<BackupOption> repoOptions)
    {
        var hosts = v.GetValueOrDefault("standby-of")?.Trim() is { Length: > 0 } h ? h : null;
        var repo = v.GetValueOrDefault("standby-from-repo")?.Trim() is { Length: > 0 } r ? r : null;
        if (repoOptions.Count > 0 && repo is null)
            throw new NodeConfigurationException("--standby-repo-option needs --standby-from-repo (the source cluster's pgBackRest repository it describes).");
        if (hosts is null && repo is null) return null;
        // In an object store the path is a key prefix in the bucket, not a local directory.
        var posix = repoOptions.FirstOrDefault(o => o.Key == "repo1-type")?.Value is null or "posix" or "cifs";
        var flag = hosts is not null ? "--standby-of" : "--standby-from-repo";
        if (hosts is not null && repo is not null)
            throw new NodeConfigurationException("--standby-of and --standby-from-repo both name a source; give one: the other cluster's PostgreSQL addresses, or its pgBackRest repository.");
        StandbySource source;
        try
        {
            source = hosts is not null ? StandbySource.Parse(hosts)
                : StandbySource.FromRepository(posix ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(repo!)) : TrimSlashes(repo!), stanza);
        }
        catch (FormatException e) { throw new NodeConfigurationException($"{flag}: {e.Message}"); }
        if (mode == ClusterMode.Singleton)
            throw new NodeConfigurationException($"{flag}: a standby cluster does not run in singleton mode; leave out --mode singleton.");
        if (placement)
            throw new NodeConfigurationException($"{flag}: placement mode (--pg-base-port) does not run a standby cluster yet; give each node its --pg-port.");
        // Its leader is the state's primary but a standby: it would try to create the stanza and archive for ever.
        if (v.GetValueOrDefault("backup-repo") is { Length: > 0 })
            throw new NodeConfigurationException($"{flag}: a standby cluster takes no backups yet (its leader is a standby); leave out --backup-repo and back up the source cluster.");
        if (source.Repository is { } archive && posix)
        {
            if (File.Exists(archive.Path))
                throw new NodeConfigurationException($"--standby-from-repo {archive.Path} is a file; give the source cluster's pgBackRest repository directory (its --backup-repo).");
            if (!Directory.Exists(archive.Path))
                throw new NodeConfigurationException($"--standby-from-repo {archive.Path} does not exist; mount the source cluster's pgBackRest repository (its --backup-repo) there, readable by the postgres OS user.");
        }
        return source;
    }

    // An object store's path as pgBackRest's repo1-path: every node must give the same text, '/repo/' as '/repo'.
    private static string TrimSlashes(string path) => path.Length > 1 ? path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/" : path;

    /// <summary>
    /// <c>--standby-repo-option KEY=VALUE</c>, repeatable: pgBackRest options of the source's repository that
    /// <c>--standby-from-repo</c> reads (an object store's type, bucket, endpoint and keys), checked as
    /// <c>--backup-option</c> is.
    /// </summary>
    private static IReadOnlyList<BackupOption> StandbyRepoOptions(IReadOnlyDictionary<string, string> v)
    {
        var options = new List<BackupOption>();
        foreach (var text in (v.GetValueOrDefault("standby-repo-option") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try { options.Add(BackupOption.Parse(text)); }
            catch (FormatException e) { throw new NodeConfigurationException($"--standby-repo-option: {e.Message.Replace("--backup-repo", "--standby-from-repo")}"); }
        }
        if (options.GroupBy(o => o.Key).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new NodeConfigurationException($"--standby-repo-option: {twice.Key} is given {twice.Count()} times; give it once.");
        return options;
    }

    /// <summary><c>--standby-networks CIDR[,CIDR…]</c>: each must be an address with a prefix length.</summary>
    private static IReadOnlyList<string> StandbyNetworks(IReadOnlyDictionary<string, string> v)
    {
        if (v.GetValueOrDefault("standby-networks") is not { Length: > 0 } text) return [];
        var networks = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var network in networks)
            if (!network.Contains('/') || !System.Net.IPNetwork.TryParse(network, out _))
                throw new NodeConfigurationException($"--standby-networks: '{network}' is not a CIDR network such as 10.1.0.0/24 (or 10.1.0.7/32 for one host).");
        return networks;
    }

    /// <summary>The passwords a password file's text holds, one per line, newest first; blank lines skipped.</summary>
    public static IReadOnlyList<string> PasswordLines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray() is { Length: > 0 } lines
            ? lines
            : throw new NodeConfigurationException("The password is empty.");

    /// <summary>
    /// Takes secret <paramref name="key"/> from its file option (<c>--KEY-file</c>, mode 0600 or stricter) when that
    /// is given (<see cref="Build"/> has already refused both from one source).
    /// </summary>
    private static void Secret(Dictionary<string, string> v, string key, string howToCreate)
    {
        var fileOption = key + "-file";
        if (v.GetValueOrDefault(fileOption)?.Trim() is not { Length: > 0 } path) return;
        var full = Path.GetFullPath(path);
        v[key] = SecretFile.Read(full, "--" + fileOption, requirePrivate: true, howToCreate.Replace("PATH", full));
    }

    /// <summary>The three TLS files, or null when none is given (the files themselves are checked at start).</summary>
    private static Tls.TlsFiles? TlsFiles(Dictionary<string, string> v)
    {
        string[] keys = ["tls-cert", "tls-key", "tls-ca"];
        var given = keys.Select(k => FilePath(v, k)).ToArray();
        if (given.All(f => f is null)) return null;
        if (given.Any(f => f is null))
            throw new NodeConfigurationException(
                $"--tls-cert, --tls-key and --tls-ca go together, and {string.Join(", ", keys.Where((_, i) => given[i] is null).Select(k => "--" + k))} is missing: " +
                "give all three (PEM files: this node's certificate, its key, the cluster's CA) for TLS on the API, between nodes and to PostgreSQL, or none.");
        return new Tls.TlsFiles(given[0]!, given[1]!, given[2]!);
    }

    /// <summary>The full path of a file option, or null when it is not given (the file itself is read at start).</summary>
    private static string? FilePath(Dictionary<string, string> v, string key) =>
        v.GetValueOrDefault(key)?.Trim() is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    private static int Port(Dictionary<string, string> v, string key, int? fallback)
    {
        if (!v.TryGetValue(key, out var s) || string.IsNullOrWhiteSpace(s))
            return fallback ?? throw new NodeConfigurationException(
                $"--{key} is required (a TCP port, 1-65535). Give it as a flag, as {EnvironmentName(key)}, or in the --config file.");
        return Int(v, key, 0, 1, 65535);
    }

    private static int Int(Dictionary<string, string> v, string key, int fallback, int min, int max)
    {
        if (!v.TryGetValue(key, out var s) || string.IsNullOrWhiteSpace(s)) return fallback;
        if (!int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new NodeConfigurationException($"--{key} is '{s}'; it must be a whole number from {min} to {max}.");
        return n;
    }

    private static T Enum<T>(Dictionary<string, string> v, string key, T fallback) where T : struct, System.Enum
    {
        if (!v.TryGetValue(key, out var s) || string.IsNullOrWhiteSpace(s)) return fallback;
        return System.Enum.TryParse<T>(s.Trim(), ignoreCase: true, out var e) && System.Enum.IsDefined(e)
            ? e
            : throw new NodeConfigurationException(
                $"--{key} is '{s}'; use one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
    }
}
