namespace Appliance.Bench;

/// <summary>
/// The baseline: PostgreSQL 15 configured by hand, a primary with one synchronous standby
/// (<c>synchronous_commit = on</c>, <c>synchronous_standby_names = 'standby1'</c>) and optionally an async cascading
/// from the standby (the appliance's shape: primary → sync → async). Server settings are the appliance's own
/// (ApplianceConfigFile and ServerTuning.Default): shared_buffers 128MB, max_connections 100, max_wal_senders 10,
/// wal_level replica, hot_standby, wal_log_hints, wal_keep_size 1GB, data checksums, SCRAM over TCP, no Unix socket.
/// </summary>
internal sealed class ManualCluster(BenchSettings s, bool withAsync) : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(s.WorkDir, withAsync ? "manual-chain" : "manual-sync");
    private readonly int _base = s.BasePort + (withAsync ? 110 : 100);
    private readonly List<string> _started = [];

    public string Name => withAsync ? "manual-sync+async" : "manual-sync";
    public int PrimaryPort => _base;
    private int StandbyPort => _base + 1;
    private int AsyncPort => _base + 2;
    private string Bin(string tool) => Path.Combine(s.PgBin, tool);
    private string Data(string name) => Path.Combine(_dir, name);

    public async Task StartAsync()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        Directory.CreateDirectory(_dir);
        await Os.RunCheckedAsync("chown", ["postgres:postgres", _dir]);
        var pw = Path.Combine(_dir, "pw");
        await File.WriteAllTextAsync(pw, BenchSettings.Password + "\n");
        await Os.RunCheckedAsync("chown", ["postgres:postgres", pw]);
        await Os.RunAsPostgresAsync(Bin("initdb"), ["-D", Data("primary"), "--data-checksums", "--username", "postgres", "--pwfile", pw,
            "--auth-local=peer", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C"]);
        await File.AppendAllTextAsync(Path.Combine(Data("primary"), "pg_hba.conf"), "host replication postgres 127.0.0.1/32 scram-sha-256\n");
        await WriteConfAsync("primary", PrimaryPort, "synchronous_standby_names = 'standby1'\n");
        await PgCtlStartAsync("primary");

        await CloneAsync("standby1", PrimaryPort, StandbyPort);
        if (withAsync) await CloneAsync("async1", StandbyPort, AsyncPort);
        Log.Line($"{Name} up: primary :{PrimaryPort}, sync standby :{StandbyPort}{(withAsync ? $", cascaded async :{AsyncPort}" : "")}");
    }

    private async Task CloneAsync(string name, int upstreamPort, int port)
    {
        await Os.RunAsPostgresAsync(Bin("pg_basebackup"), ["-h", "127.0.0.1", "-p", $"{upstreamPort}", "-U", "postgres", "-D", Data(name),
            "-X", "stream", "-c", "fast"], BenchSettings.PgEnv);
        await WriteConfAsync(name, port,
            $"primary_conninfo = 'host=127.0.0.1 port={upstreamPort} user=postgres password={BenchSettings.Password} application_name={name}'\n");
        await File.WriteAllTextAsync(Path.Combine(Data(name), "standby.signal"), "");
        await Os.RunCheckedAsync("chown", ["postgres:postgres", Path.Combine(Data(name), "standby.signal")]);
        await PgCtlStartAsync(name);
    }

    private async Task WriteConfAsync(string name, int port, string extra)
    {
        var conf = $"""

            # bench baseline: the appliance's settings (src/Nodes/Postgres/ApplianceConfigFile.cs), set by hand
            listen_addresses = '127.0.0.1'
            port = {port}
            unix_socket_directories = ''
            shared_buffers = '128MB'
            max_connections = 100
            max_wal_senders = 10
            wal_level = replica
            hot_standby = on
            wal_log_hints = on
            synchronous_commit = on
            wal_keep_size = '1GB'
            password_encryption = 'scram-sha-256'
            {extra}
            """;
        await File.AppendAllTextAsync(Path.Combine(Data(name), "postgresql.conf"), conf);
    }

    private async Task PgCtlStartAsync(string name)
    {
        await Os.RunAsPostgresAsync(Bin("pg_ctl"), ["-D", Data(name), "-l", Path.Combine(_dir, name + ".log"), "-w", "-t", "120", "start"]);
        _started.Add(name);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in Enumerable.Reverse(_started))
            await Os.RunAsync("runuser", ["-u", "postgres", "--", Bin("pg_ctl"), "-D", Data(name), "-m", "immediate", "-w", "stop"]);
        Log.Line($"{Name} stopped");
    }
}
