using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Coordinator;

/// <summary>
/// Persists each outage the coordinator measured (<see cref="WriteOutageProtocol.Measured"/>) under its own persistence
/// id, <see cref="WriteOutageProtocol.PersistenceId"/>, in the coordinator's journal. A child of the coordinator, so
/// it moves with the singleton; holds nothing in memory, since readers page the journal itself.
/// </summary>
/// <remarks>
/// Not in the state journal: there a sequence number is a state version and the unique key is the fence against a
/// stale coordinator, so an outage event would shift every later version. A stale coordinator's outage journal that
/// writes the same sequence number as the current one's loses the same way (unique key): it stops, its supervisor
/// starts it again, and it recovers past the winner's row; that one measurement is lost, never a state.
/// </remarks>
internal sealed class WriteOutageJournal : ReceivePersistentActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Creates the journal actor; use <see cref="SupervisedProps"/>.</summary>
    public WriteOutageJournal()
    {
        Recover<WriteOutageProtocol.Measured>(_ => { });
        Command<WriteOutageProtocol.Measured>(m => Persist(m, written =>
            _log.Info("Write outage of state {0} recorded at sequence number {1}: {2} ms.", written.Version, LastSequenceNr, (long)written.Length.TotalMilliseconds)));
    }

    /// <inheritdoc />
    public override string PersistenceId => WriteOutageProtocol.PersistenceId;

    /// <summary>Under a <see cref="BackoffSupervisor"/>: a failed write (a lost compare-and-set) stops it, and it comes back recovered.</summary>
    public static Props SupervisedProps() =>
        BackoffSupervisor.Props(Backoff.OnStop(Props.Create(() => new WriteOutageJournal()), "write-outages",
            TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), randomFactor: 0.2, maxNrOfRetries: -1));

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Warning(cause, "Recording a write outage at sequence number {0} failed ({1}); it is lost, the states are not affected.", sequenceNr, @event);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Warning(cause, "The journal rejected the write outage {0}; it is lost.", @event);
        base.OnPersistRejected(cause, @event, sequenceNr);
    }
}
