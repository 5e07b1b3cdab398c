using System.Diagnostics;

namespace Appliance.Host;

/// <summary>Stops the node when the process that started it is gone, so that no node outlives a killed demo.</summary>
internal sealed class ParentWatch(int parentPid, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!Alive(parentPid))
            {
                lifetime.StopApplication();
                return;
            }
            try { await Task.Delay(500, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
