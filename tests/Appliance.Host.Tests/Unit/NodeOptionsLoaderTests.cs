using Appliance.Host.Node;
using Appliance.Nodes.State;

namespace Appliance.Host.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class NodeOptionsLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-opts-").FullName;

    internal static readonly Dictionary<string, string> Minimal = new()
    {
        ["name"] = "n1", ["akka-port"] = "4053", ["pg-port"] = "5432", ["data-dir"] = "/tmp/x",
        ["seed-nodes"] = "127.0.0.1:4053", ["state-store"] = "sqlite:/tmp/x/state.db", ["pg-password"] = "pw",
    };

    private static NodeOptions Build(params Dictionary<string, string>[] layers) =>
        NodeOptionsLoader.Build(layers, null, _ => "generated");

    [Fact]
    public void Defaults_fill_what_is_not_given()
    {
        var o = Build(Minimal);
        Assert.Equal("127.0.0.1", o.Host);
        Assert.Equal(NodeOptionsLoader.DefaultHttpPort, o.HttpPort);
        Assert.Equal(3, o.ClusterSize);
        Assert.Equal(ClusterMode.Normal, o.Mode);
        Assert.Equal(RejoinPolicy.Auto, o.Rejoin);
        Assert.Equal(["127.0.0.1:4053"], o.SeedNodes);
        Assert.Equal("pw", o.PgPassword);
    }

    [Fact]
    public void Later_layers_win_file_then_environment_then_flags()
    {
        var file = new Dictionary<string, string>(Minimal) { ["http-port"] = "1000", ["cluster-size"] = "5", ["host"] = "10.0.0.1" };
        var env = NodeOptionsLoader.FromEnvironment(new Dictionary<string, string?> { ["APPLIANCE_HTTP_PORT"] = "2000", ["APPLIANCE_HOST"] = "10.0.0.2", ["PATH"] = "/bin" });
        var flags = new Dictionary<string, string> { ["http-port"] = "3000" };
        var o = Build(file, env, flags);
        Assert.Equal(3000, o.HttpPort);
        Assert.Equal("10.0.0.2", o.Host);
        Assert.Equal(5, o.ClusterSize);
    }

    [Fact]
    public void A_missing_password_is_generated()
    {
        var o = Build(new Dictionary<string, string>(Minimal) { ["pg-password"] = "" });
        Assert.Equal("generated", o.PgPassword);
    }

    [Fact]
    public void Json_config_file_accepts_flag_and_camel_case_names_and_lists()
    {
        var path = Path.Combine(_dir, "node.json");
        File.WriteAllText(path, """{"name":"n2","akkaPort":4054,"pg-port":5433,"data-dir":"/tmp/y","seed-nodes":["10.0.0.1:4053","10.0.0.2:4053"],"state-store":"sqlite:/tmp/s.db"}""");
        var (values, hocon) = NodeOptionsLoader.FromFile(path);
        Assert.Null(hocon);
        var o = Build(values, new() { ["pg-password"] = "pw" });
        Assert.Equal("n2", o.Name);
        Assert.Equal(4054, o.AkkaPort);
        Assert.Equal(["10.0.0.1:4053", "10.0.0.2:4053"], o.SeedNodes);
    }

    [Fact]
    public void Hocon_config_file_gives_options_and_layers_akka_sections()
    {
        var path = Path.Combine(_dir, "node.conf");
        File.WriteAllText(path, """
            name = n3
            akka-port = 4055
            pg-port = 5434
            data-dir = "/tmp/z"
            seed-nodes = ["10.0.0.1:4053"]
            state-store = "postgres:Host=10.0.0.9;Database=appliance"
            appliance.node.coordinator-lease = 2s
            """);
        var (values, hocon) = NodeOptionsLoader.FromFile(path);
        var o = NodeOptionsLoader.Build([values], hocon, _ => "pw");
        Assert.Equal("n3", o.Name);
        Assert.Equal(5434, o.PgPort);
        Assert.Contains("coordinator-lease", o.ExtraHocon);
    }

    [Theory]
    [InlineData("{\"name\": ", "not valid JSON")]
    [InlineData("{\"nmae\": \"n1\"}", "unknown option 'nmae'")]
    [InlineData("name = ${missing}", "neither valid JSON nor valid HOCON")]
    public void A_malformed_config_file_is_refused_with_the_reason(string text, string expected)
    {
        var path = Path.Combine(_dir, text.StartsWith('{') ? "bad.json" : "bad.conf");
        File.WriteAllText(path, text);
        var e = Assert.Throws<NodeConfigurationException>(() => NodeOptionsLoader.FromFile(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_missing_config_file_is_named()
    {
        var e = Assert.Throws<NodeConfigurationException>(() => NodeOptionsLoader.FromFile("/nonexistent/node.json"));
        Assert.Contains("/nonexistent/node.json does not exist", e.Message);
    }

    [Theory]
    [InlineData("name", "", "--name is required")]
    [InlineData("name", "bad id!", "not a valid instance id")]
    [InlineData("akka-port", "70000", "--akka-port is '70000'")]
    [InlineData("pg-port", "", "--pg-port is required")]
    [InlineData("seed-nodes", "10.0.0.1", "'10.0.0.1' is not host:port")]
    [InlineData("state-store", "mysql:x", "use sqlite:PATH or postgres:")]
    [InlineData("mode", "triple", "use one of normal, singleton")]
    [InlineData("cluster-size", "zero", "--cluster-size is 'zero'")]
    public void Invalid_options_are_refused_naming_the_option_and_the_fix(string key, string value, string expected)
    {
        var v = new Dictionary<string, string>(Minimal) { [key] = value };
        var e = Assert.Throws<NodeConfigurationException>(() => Build(v));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_token_file_options_come_from_a_file_the_environment_or_flags_as_full_paths()
    {
        var none = Build(Minimal);
        Assert.Null(none.ApiTokenFile);
        Assert.Null(none.ApiReadTokenFile);

        var path = Path.Combine(_dir, "node.json");
        File.WriteAllText(path, """{"apiTokenFile": "file-token"}""");
        var (file, _) = NodeOptionsLoader.FromFile(path);
        var env = NodeOptionsLoader.FromEnvironment(new Dictionary<string, string?>
        {
            ["APPLIANCE_API_TOKEN_FILE"] = "/etc/appliance/env-token", ["APPLIANCE_API_READ_TOKEN_FILE"] = "/etc/appliance/read-token",
        });
        var flags = new Dictionary<string, string> { ["api-token-file"] = "/etc/appliance/flag-token" };

        Assert.Equal(Path.GetFullPath("file-token"), Build(Minimal, file).ApiTokenFile);
        var fromEnv = Build(Minimal, file, env);
        Assert.Equal("/etc/appliance/env-token", fromEnv.ApiTokenFile);
        Assert.Equal("/etc/appliance/read-token", fromEnv.ApiReadTokenFile);
        Assert.Equal("/etc/appliance/flag-token", Build(Minimal, file, env, flags).ApiTokenFile);
    }

    private string PrivateFile(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void Secrets_come_from_private_files_whose_source_replaces_a_lower_ones_value()
    {
        var password = PrivateFile("pg-password", "from file 'pw' \\\n");
        var store = PrivateFile("state-store", "postgres:Host=10.0.0.9;Password=secret\n");
        var env = NodeOptionsLoader.FromEnvironment(new Dictionary<string, string?> { ["APPLIANCE_PG_PASSWORD"] = "from env" });
        var flags = new Dictionary<string, string> { ["pg-password-file"] = password, ["state-store-file"] = store };

        var o = Build(Minimal, env, flags);

        Assert.Equal("from file 'pw' \\", o.PgPassword);
        Assert.Equal("postgres:Host=10.0.0.9;Password=secret", o.StateStore);
        // And the other way round: a value given on a higher source replaces a lower source's file.
        Assert.Equal("flag", Build(Minimal, flags, new Dictionary<string, string> { ["pg-password"] = "flag" }).PgPassword);
    }

    [Fact]
    public void A_password_file_during_a_rotation_holds_the_new_password_first_and_the_node_reads_it_again_when_it_changes()
    {
        var file = PrivateFile("pg-password", "new pw\r\nold pw\n\n");

        var o = Build(Minimal, new Dictionary<string, string> { ["pg-password-file"] = file });

        Assert.Equal("new pw", o.PgPassword);
        Assert.Equal(file, o.PgPasswordFile);
        Assert.Equal(["new pw", "old pw"], o.Secret.Candidates);
        File.WriteAllText(file, "newer\nnew pw\n");
        Assert.Equal(["newer", "new pw"], o.Secret.Candidates);
        Assert.Same(o.Secret, o.Secret);
        // A password given as a value cannot change while the node runs.
        Assert.Equal(["flag"], Build(Minimal, new Dictionary<string, string> { ["pg-password"] = "flag" }).Secret.Candidates);
    }

    [Fact]
    public void A_secret_file_that_others_may_read_or_a_secret_given_twice_in_one_source_is_refused()
    {
        var open = PrivateFile("open", "pw", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var mode = Assert.Throws<NodeConfigurationException>(() =>
            Build(Minimal, new Dictionary<string, string> { ["pg-password-file"] = open }));
        Assert.Contains($"--pg-password-file {open} has mode 0604", mode.Message);
        Assert.Contains($"chmod 600 {open}", mode.Message);

        var missing = Assert.Throws<NodeConfigurationException>(() =>
            Build(Minimal, new Dictionary<string, string> { ["state-store-file"] = Path.Combine(_dir, "nope") }));
        Assert.Contains("does not exist", missing.Message);

        var both = Assert.Throws<NodeConfigurationException>(() =>
            Build(new Dictionary<string, string>(Minimal) { ["pg-password-file"] = PrivateFile("pw", "pw") }));
        Assert.Contains("--pg-password and --pg-password-file are both given", both.Message);
    }

    [Fact]
    public void Systemd_credentials_supply_secret_files_unless_the_environment_names_the_secret_itself()
    {
        var credentials = Directory.CreateDirectory(Path.Combine(_dir, "credentials")).FullName;
        PrivateFile(Path.Combine("credentials", "pg-password"), "cred-pw", UnixFileMode.UserRead);   // as systemd makes them
        PrivateFile(Path.Combine("credentials", "api-token"), "t");

        var env = NodeOptionsLoader.FromEnvironment(new Dictionary<string, string?> { ["CREDENTIALS_DIRECTORY"] = credentials });
        var o = Build(Minimal, env);
        Assert.Equal("cred-pw", o.PgPassword);
        Assert.Equal(Path.Combine(credentials, "api-token"), o.ApiTokenFile);

        var explicitPassword = NodeOptionsLoader.FromEnvironment(new Dictionary<string, string?>
        {
            ["CREDENTIALS_DIRECTORY"] = credentials, ["APPLIANCE_PG_PASSWORD"] = "env-pw",
        });
        Assert.Equal("env-pw", Build(Minimal, explicitPassword).PgPassword);
    }

    [Fact]
    public void Generated_password_is_kept_private_and_reused()
    {
        var first = NodeFiles.ReadOrCreatePassword(_dir);
        Assert.Equal(32, first.Length);
        Assert.Equal(first, NodeFiles.ReadOrCreatePassword(_dir));
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, NodeFiles.PasswordFileName)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
