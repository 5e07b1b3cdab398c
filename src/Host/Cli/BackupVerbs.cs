using System.Globalization;
using System.Text.Json;
using Appliance.Actors.Protocol;
using Appliance.Host.Api;
using Appliance.Host.Api.Json;
using Appliance.Host.Node;
using Appliance.Nodes.Backup;
using Appliance.Nodes.Postgres;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Appliance.Host.Cli;

/// <summary><c>backup</c>, <c>backups</c> and <c>restore</c> (issue 17).</summary>
public static class BackupVerbs
{
    /// <summary><c>backup [--type] [--from]</c>: asks the cluster for a backup and prints its progress until it ends; 0 if it succeeded.</summary>
    public static async Task<int> BackupAsync(ApiClient api, string? type, string? from, bool json, TextWriter output, TextWriter error, CancellationToken ct)
    {
        BackupProtocol.Progress? last = null;
        var shown = -1;
        var response = await api.PostLinesAsync("/backup", new { type, from }, line =>
        {
            var progress = JsonSerializer.Deserialize<BackupProtocol.Progress>(line, ApiJson.Options)!;
            last = progress;
            if (json)
            {
                output.WriteLine(line);
            }
            else if (progress.State != "running")
            {
                output.WriteLine($"{progress.PeerId}: {progress.State}: {progress.Detail}");
            }
            else if (progress.Percent is not { } p)
            {
                if (shown < 0) output.WriteLine($"{progress.PeerId}: {progress.Detail}");
                shown = Math.Max(shown, 0);
            }
            else if ((int)p / 5 > shown / 5 || shown < 0)
            {
                // A line per 5 % is progress enough for a terminal or a log.
                shown = (int)p;
                output.WriteLine($"{progress.PeerId}: {p.ToString("0.0", CultureInfo.InvariantCulture)} % copied");
            }
            output.Flush();
        }, ct);
        if (response.Status == 200)
        {
            if (last is null) throw new CliException("The node answered without any progress line; see its log.");
            return last.State == "succeeded" ? 0 : 1;
        }
        if (response.Status is 409 or 412)
        {
            if (json) output.WriteLine(response.Body);
            else error.WriteLine($"refused ({response.Status}): {response.Read<CommandResultDto>().Detail}");
            return 1;
        }
        throw new CliException($"The node answered {response.Status}: {response.ErrorText()}");
    }

    /// <summary><c>backups</c>: the repository's backups with their WAL ranges.</summary>
    public static async Task<int> ListAsync(ApiClient api, bool json, TextWriter output, CancellationToken ct)
    {
        var response = await api.GetAsync("/backups", ct);
        if (!ApiClient.Ok(response.Status))
            throw new CliException($"The node answered {response.Status}: {response.ErrorText()}", retryable: false);
        if (json)
        {
            output.WriteLine(response.Body);
            return 0;
        }
        var list = response.Read<BackupsDto>();
        output.WriteLine($"stanza {list.Stanza}: {list.Status}; archived WAL {list.WalMin ?? "none"} … {list.WalMax ?? "none"}"
                         + (list.RunningPercent is { } r ? $"; a backup is running ({r.ToString("0.0", CultureInfo.InvariantCulture)} % copied)" : ""));
        if (list.Backups.Count == 0) return 0;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("LABEL", "TYPE", "STARTED (UTC)", "TOOK", "WAL START", "WAL STOP", "SIZE", "IN REPO", "BASED ON");
        foreach (var b in list.Backups)
            table.AddRow(new IRenderable[]
            {
                new Text(b.Label), new Text(b.Type), new Text(b.Start.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                new Text($"{(b.Stop - b.Start).TotalSeconds:0} s"), new Text(b.WalStart ?? "-"), new Text(b.WalStop ?? "-"),
                new Text(Render.Bytes((ulong)b.Size)), new Text(Render.Bytes((ulong)b.RepositorySize)), new Text(b.Prior ?? "-"),
            });
        var console = Render.Console();
        console.Write(table);
        return 0;
    }

    /// <summary><c>restore</c>: restores the repository into <paramref name="target"/> as a standalone server, on this machine.</summary>
    public static async Task<int> RestoreAsync(string repository, string stanza, IReadOnlyList<string> optionTexts, string? to, string? toLsn,
        string target, TextWriter output, TextWriter error, CancellationToken ct)
    {
        RecoveryTarget? recovery;
        List<BackupOption> options;
        try
        {
            options = [.. optionTexts.Select(BackupOption.Parse)];
            recovery = RecoveryTargetFlags.Parse(to, toLsn);
        }
        catch (FormatException e)
        {
            await error.WriteLineAsync($"appliance restore: {e.Message}");
            return 2;
        }
        var full = Path.GetFullPath(target);
        if (options.FirstOrDefault(o => o.Key == "repo1-type")?.Value is null or "posix" && !Directory.Exists(Path.GetFullPath(repository)))
        {
            await error.WriteLineAsync($"appliance restore: --backup-repo {Path.GetFullPath(repository)} does not exist; give the repository the nodes' --backup-repo names.");
            return 2;
        }
        var repo = options.FirstOrDefault(o => o.Key == "repo1-type")?.Value is null or "posix" ? Path.GetFullPath(repository) : repository;
        output.WriteLine($"restoring stanza {stanza} from {repo} into {full}" + (recovery is null ? ", to the end of the archive"
            : recovery.Time is { } t ? $", to {t.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}Z" : $", to LSN {recovery.Lsn}"));
        var shown = -1;
        try
        {
            await PgBackRest.RestoreAsync(repo, stanza, options, full, recovery, line =>
            {
                if (BackupProgress.Percent(line) is { } p && (int)p / 10 > shown / 10)
                {
                    shown = (int)p;
                    output.WriteLine($"{p.ToString("0.0", CultureInfo.InvariantCulture)} % restored");
                    output.Flush();
                }
            }, ct);
        }
        catch (PgBackRestException e)
        {
            await error.WriteLineAsync($"appliance restore: {e.Message}");
            return 1;
        }
        output.WriteLine($"restored. Start it as a standalone server (as the postgres user), on a port of your choice:");
        output.WriteLine($"  pg_ctl -D {full} -o \"-p PORT -c listen_addresses=127.0.0.1\" start");
        output.WriteLine("It replays WAL from the repository up to the target, then promotes and takes writes; it does not archive.");
        return 0;
    }
}
