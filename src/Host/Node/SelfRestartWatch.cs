using Akka.Actor;

namespace Appliance.Host.Node;

/// <summary>
/// A once-a-second check of the node's own cluster view for a condition that only a new incarnation of the process can
/// clear. Once the condition has held for its patience (the key <see cref="PatienceKey"/> of
/// <see cref="PatienceSection"/> in the node's configuration; defaults in src/Actors/reference.conf) and
/// <see cref="ConfirmAsync"/> agrees, the node logs why and stops with <see cref="ExitCode"/>, so that its service
/// manager starts it again.
/// </summary>
internal abstract class SelfRestartWatch(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger log) : BackgroundService
{
    /// <summary>The process's exit code after a watch stopped it (EX_TEMPFAIL: systemd's Restart=on-failure restarts it).</summary>
    public const int ExitCode = 75;

    /// <summary>True once a watch stopped this process to be started again.</summary>
    public static bool Tripped { get; private set; }

    /// <summary>The configuration section of the watches' patiences.</summary>
    public const string PatienceSection = "appliance.self-restart";

    /// <summary>The key, in <see cref="PatienceSection"/>, of how long the condition must hold before the node stops.</summary>
    protected abstract string PatienceKey { get; }

    /// <summary>This watch's patience in <paramref name="config"/> (the actor system's, with the reference defaults under it).</summary>
    public TimeSpan PatienceIn(Akka.Configuration.Config config) => config.GetTimeSpan($"{PatienceSection}.{PatienceKey}");

    /// <summary>The condition in a few words if it holds now, else null.</summary>
    protected abstract Task<string?> ConditionAsync(ActorSystem system, CancellationToken ct);

    /// <summary>
    /// After the patience: the log line that explains the stop, or null to keep waiting (for instance until
    /// a restart could help).
    /// </summary>
    protected abstract Task<string?> ConfirmAsync(ActorSystem system, string condition, TimeSpan lasted, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DateTime? since = null;
        TimeSpan? patience = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(1000, stoppingToken); }
            catch (OperationCanceledException) { return; }
            if (services.GetService<ActorSystem>() is not { } system) continue;
            var wait = patience ??= PatienceIn(system.Settings.Config);   // read once: the config does not change
            var condition = await ConditionAsync(system, stoppingToken);
            since = condition is null ? null : since ?? DateTime.UtcNow;
            if (condition is null || since is null || DateTime.UtcNow - since < wait) continue;
            if (await ConfirmAsync(system, condition, DateTime.UtcNow - since.Value, stoppingToken) is not { } reason) continue;
            log.LogError("{Reason}; stopping with exit code {Code} so that a new incarnation of the node is started", reason, ExitCode);
            Tripped = true;
            lifetime.StopApplication();
            return;
        }
    }
}
