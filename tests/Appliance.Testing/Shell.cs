using Xunit;

namespace Appliance.Testing;

/// <summary>Runs OS commands the tests need (mount, id, stat).</summary>
public static class Shell
{
    /// <summary>Runs the program, fails the test if it exits non-zero, and returns its trimmed standard output.</summary>
    public static async Task<string> RunAsync(string program, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        return (await stdout).Trim();
    }
}
