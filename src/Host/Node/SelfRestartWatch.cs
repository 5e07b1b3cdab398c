using Akka.Actor;

namespace Appliance.Host.Node;

/// <summary>
/// A once-a-second check of the node's own cluster view for a condition that only a new incarnation of the process can
/// clear. Once the condition has held for <see cref="Patience"/> (and <see cref="ConfirmAsync"/> agrees), the node
/// logs why and stops with <see cref="ExitCode"/>, so that its service manager starts it again.
/// </summary>
internal abstract class SelfRestartWatch(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger log) : BackgroundService
{
    /// <summary>The process's exit code after a watch stopped it (EX_TEMPFAIL: systemd's Restart=on-failure restarts it).</summary>
    public const int ExitCode = 75;

    /// <summary>True once a watch stopped this process to be started again.</summary>
    public static bool Tripped { get; private set; }

    /// <summary>How long the condition must hold before the node stops.</summary>
    protected abstract TimeSpan Patience { get; }

    /// <summary>The condition in a few words if it holds now, else null.</summary>
    protected abstract Task<string?> ConditionAsync(ActorSystem system, CancellationToken ct);

    /// <summary>
    /// After <see cref="Patience"/>: the log line that explains the stop, or null to keep waiting (for instance until
    /// a restart could help).
    /// </summary>
    protected abstract Task<string?> ConfirmAsync(ActorSystem system, string condition, TimeSpan lasted, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DateTime? since = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stoppingToken); }
            catch (OperationCanceledException) { return; }
            if (services.GetService<ActorSystem>() is not { } system) continue;
            var condition = await ConditionAsync(system, stoppingToken);
            since = condition is null ? null : since ?? DateTime.UtcNow;
            if (condition is null || since is null || DateTime.UtcNow - since < Patience) continue;
            if (await ConfirmAsync(system, condition, DateTime.UtcNow - since.Value, stoppingToken) is not { } reason) continue;
            log.LogError("{Reason}; stopping with exit code {Code} so that a new incarnation of the node is started", reason, ExitCode);
            Tripped = true;
            lifetime.StopApplication();
            return;
        }
    }
}
