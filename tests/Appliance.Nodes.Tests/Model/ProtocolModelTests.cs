using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Appliance.Nodes.Tests.Model;

/// <summary>
/// Runs the spin model of the replication and failover protocol (model/protocol.pml, model/README.md): the clean
/// model must hold every invariant in its bounded scopes, and every mutation (a fix switched off) must produce a
/// counterexample. The runs, their bounds and their expectations are in model/runs.txt, shared with model/check.sh.
/// Needs spin and gcc on the PATH; fails (never skips) without them.
/// </summary>
/// <remarks>
/// The class is a collection of its own, so its checks run one after another while the PostgreSQL tests of this
/// assembly run beside them, and spin's compiler and searches run at the lowest CPU priority (<c>nice -n 19</c>): they
/// take only the CPU that those tests, and the assembly CI runs alongside, leave idle. Those tests open connections with
/// a 3 s timeout and must not wait behind a search; before, the checks ran alone after them, which made this assembly
/// about five minutes longer on 2 cores (docs/BENCHMARKS.md, the suite's time).
/// </remarks>
[Trait("Category", "Model")]
public partial class ProtocolModelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    /// <summary><c>nice</c>'s arguments for the lowest priority.</summary>
    private static readonly string[] Lowest = ["-n", "19"];

    public sealed record ModelRun(string Name, string Defines, string PanFlags, bool ExpectClean);

    private static IReadOnlyList<ModelRun> Runs() =>
        [.. File.ReadAllLines(Path.Combine(Repository.Root(), "model", "runs.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('|'))
            .Select(f => new ModelRun(f[0], f[1], f[2], f[3].Trim() == "clean"))];

    public static TheoryData<string> Mutations()
    {
        var data = new TheoryData<string>();
        foreach (var run in Runs().Where(r => !r.Name.StartsWith("clean", StringComparison.Ordinal))) data.Add(run.Name);
        return data;
    }

    [Fact]
    public void The_clean_model_holds_every_invariant_in_its_bounded_scopes()
    {
        var clean = Runs().Where(r => r.Name.StartsWith("clean", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(clean);
        foreach (var run in clean)
        {
            var (errors, report) = Check(run);
            Assert.True(errors == 0, $"{run.Name}: the clean model has a counterexample.\n{report}");
            Assert.DoesNotContain("Search not completed", report);
        }
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void Each_mutation_behaves_as_runs_txt_says(string name)
    {
        var run = Runs().Single(r => r.Name == name);
        var (errors, report) = Check(run);
        if (run.ExpectClean)
            Assert.True(errors == 0, $"{name}: expected no counterexample (see model/README.md).\n{report}");
        else
            Assert.True(errors > 0, $"{name}: the mutation found no counterexample, so the model no longer shows what this fix is for.\n{report}");
    }

    private (int Errors, string Report) Check(ModelRun run)
    {
        RequireTool("spin", "-V", "apt-get install -y spin");
        RequireTool("gcc", "--version", "apt-get install -y gcc");
        var dir = Directory.CreateTempSubdirectory($"appliance-spin-{run.Name}-").FullName;
        try
        {
            File.Copy(Path.Combine(Repository.Root(), "model", "protocol.pml"), Path.Combine(dir, "protocol.pml"));
            var defines = run.Defines.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Exec(dir, "spin", [.. defines, "-a", "protocol.pml"]);
            Exec(dir, "nice", [.. Lowest, "gcc", "-O0", "-DSAFETY", "-DMEMLIM=1500", "-o", "pan", "pan.c"]);
            var pan = Exec(dir, "nice", [.. Lowest, Path.Combine(dir, "pan"), .. run.PanFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries)], allowFailure: true);
            var errors = ErrorsLine().Match(pan) is { Success: true } m
                ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"{run.Name}: pan printed no 'errors:' line.\n{pan}");
            var report = pan;
            if (errors > 0 && File.Exists(Path.Combine(dir, "protocol.pml.trail")))
            {
                var replay = Exec(dir, "spin", [.. defines, "-t", "protocol.pml"], allowFailure: true);
                var trail = string.Join("; ", replay.Split('\n').Select(l => l.Trim())
                    .Where(l => l.StartsWith("TRAIL", StringComparison.Ordinal)).Select(l => l[5..].Trim()));
                report += $"\ncounterexample: {trail}";
            }
            output.WriteLine($"{run.Name} ({run.Defines}):\n{report}");
            return (errors, report);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static void RequireTool(string tool, string versionFlag, string install)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(tool, versionFlag) { RedirectStandardOutput = true, RedirectStandardError = true })
                ?? throw new InvalidOperationException();
            p.WaitForExit();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Assert.Fail($"'{tool}' is not installed or not on the PATH; the model check needs it ({install}).");
        }
    }

    private static string Exec(string dir, string file, IEnumerable<string> args, bool allowFailure = false)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran longer than {Limit}.");
        }
        var text = stdout.Result + stderr.Result;
        if (p.ExitCode != 0 && !allowFailure)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}:\n{text}");
        return text;
    }

    [GeneratedRegex(@"errors: (\d+)")]
    private static partial Regex ErrorsLine();
}
