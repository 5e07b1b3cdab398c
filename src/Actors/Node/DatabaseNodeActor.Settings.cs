using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Appliance.Actors.Protocol;
using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Actors.Node;

/// <summary>
/// The cluster-wide settings (<see cref="ClusterState.Settings"/>) and the operator's reloads and restarts
/// (<see cref="NodeCommandProtocol"/>). Every new state's settings are handed to the instance, which writes them and
/// reloads; the work runs as tasks piped back, and a failed write is retried on a timer with the newest settings.
/// </summary>
public sealed partial class DatabaseNodeActor
{
    private IReadOnlyDictionary<string, string>? _settingsApplied;   // the settings of the newest state handed over
    private bool _restarting;

    private sealed record SettingsWritten(long Version, SettingsApplied? Applied, string? Error);

    private sealed record SettingsRetry
    {
        public static readonly SettingsRetry Instance = new();
    }

    private sealed record CommandDone(IActorRef ReplyTo, NodeCommandProtocol.Action Action, string? Skipped, string? Error);

    private void ReceiveSettingsAndCommands()
    {
        Receive<SettingsWritten>(written =>
        {
            if (written.Error is not null)
            {
                _log.Warning("{0}: could not apply the cluster settings of state v{1}: {2}; retrying", _instance.Peer.Id, written.Version, written.Error);
                _settingsApplied = null;
                Timers.StartSingleTimer(SettingsRetry.Instance, SettingsRetry.Instance, _options.MaxRetryBackoff);
            }
            else if (written.Applied is { Changed: true } applied)
                _log.Info("{0}: cluster settings of state v{1} written and reloaded{2}", _instance.Peer.Id, written.Version,
                    applied.PendingRestart.Count > 0 ? $"; pending restart: {string.Join(", ", applied.PendingRestart)}" : "");
        });
        Receive<SettingsRetry>(_ => ApplySettings());

        Receive<NodeCommandProtocol.Command>(c => c.PeerId == _instance.Peer.Id, OnCommand);
        Receive<NodeCommandProtocol.Command>(_ => { });   // for another node
        Receive<CommandDone>(done =>
        {
            if (done.Action != NodeCommandProtocol.Action.Reload)
            {
                _restarting = false;
                StartRole(force: true);
            }
            var verb = done.Action == NodeCommandProtocol.Action.Reload ? "reloaded" : "restarted";
            var outcome = done.Error is not null ? new NodeCommandProtocol.Outcome(_instance.Peer.Id, false, $"failed: {done.Error}")
                : done.Skipped is not null ? new NodeCommandProtocol.Outcome(_instance.Peer.Id, false, $"not {verb}: {done.Skipped}")
                : new NodeCommandProtocol.Outcome(_instance.Peer.Id, true, verb);
            _log.Info("{0}: {1} ({2})", _instance.Peer.Id, outcome.Detail, done.Action);
            done.ReplyTo.Tell(outcome);
            ReadStatus();
        });
    }

    private void SubscribeToCommands() => _mediator?.Tell(new Subscribe(NodeCommandProtocol.Topic, Self));

    /// <summary>Hands the newest state's settings to the instance when they differ from the ones handed over last.</summary>
    private void ApplySettings()
    {
        if (_state is not { } state) return;
        if (_settingsApplied is { } held && held.Count == state.Settings.Count && !held.Except(state.Settings).Any()) return;
        _settingsApplied = state.Settings;
        // Called directly, not chained: the instance takes the settings before its first wait (so a start that follows
        // uses them), and its writes always render the newest ones it was given.
        _instance.ApplySettingsAsync(state.Settings, CancellationToken.None).PipeTo(Self,
            success: applied => new SettingsWritten(state.Version, applied, null),
            failure: e => new SettingsWritten(state.Version, null, e.GetBaseException().Message));
    }

    private void OnCommand(NodeCommandProtocol.Command command)
    {
        var replyTo = Sender;
        if (command.Action == NodeCommandProtocol.Action.Reload)
        {
            _instance.ReloadAsync(CancellationToken.None).PipeTo(Self,
                success: reloaded => new CommandDone(replyTo, command.Action, reloaded ? null : "PostgreSQL does not run", null),
                failure: e => new CommandDone(replyTo, command.Action, null, e.GetBaseException().Message));
            return;
        }
        string? refused = null;
        if (_restarting) refused = "a restart is already under way";
        else if (_fences.Fence is not null) refused = $"fence {_fences.Fence} is up";
        else if (_leaseWatch.SelfFenced) refused = "it fenced itself";
        else if (_state is { } s && s.Primary.Is(_instance.Peer.Id) && !s.Singleton)
            refused = "it is the primary; a primary restarts through a switchover (appliance restart does that)";
        if (refused is not null)
        {
            replyTo.Tell(new NodeCommandProtocol.Outcome(_instance.Peer.Id, false, $"not restarted: {refused}"));
            return;
        }
        // The role stands aside while PostgreSQL restarts (it would take the stop for a crash) and starts again after.
        _restarting = true;
        StopRole();
        _token++;   // the stop is no crash: the old postmaster's exit (piped with the old token) is ignored
        var onlyIfPending = command.Action == NodeCommandProtocol.Action.RestartIfPending;
        _instance.RestartAsync(onlyIfPending, CancellationToken.None).PipeTo(Self,
            success: skipped => new CommandDone(replyTo, command.Action, skipped, null),
            failure: e => new CommandDone(replyTo, command.Action, null, e.GetBaseException().Message));
    }
}
