using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Appliance.Actors.Protocol;

namespace Appliance.Actors.Formation;

/// <summary>
/// Brings a database node into the cluster in place of Akka's seed-node process (the node configures no seed nodes):
/// it probes the formation actor of every seed, decides with <see cref="FormationRule"/>, and joins a member or itself.
/// It answers every probe for as long as it runs, naming the seed it votes for (<see cref="FormationView"/>), and keeps
/// probing while its node is not a member or is the only member of its cluster, so that <see cref="GetAnswers"/> tells
/// a lone node whether the others run a cluster without it.
/// </summary>
public sealed class FormationActor : ReceiveActor, IWithTimers
{
    private static readonly MemberStatus[] InCluster = [MemberStatus.Joining, MemberStatus.WeaklyUp, MemberStatus.Up, MemberStatus.Leaving];

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Func<DateTime> _now;
    private FormationView _view;
    private string? _lastReason;
    private (Address To, DateTime At)? _lastJoin;
    private bool _wasMember;
    private readonly DateTime _startedAt;
    private bool _memberAnswered;
    private bool _akkaSeedProcessStarted;

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>Asks for the fresh answers of the other seeds; the reply is <see cref="Answers"/>.</summary>
    public sealed record GetAnswers
    {
        /// <summary>The one instance.</summary>
        public static readonly GetAnswers Instance = new();
    }

    /// <summary>The fresh answers of the other seeds, by address: the members of each one's cluster, empty if none.</summary>
    /// <param name="ByAddress">The answers.</param>
    public sealed record Answers(IReadOnlyDictionary<Address, IReadOnlyList<Address>> ByAddress);

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the actor.</summary>
    /// <param name="seeds">The seed list's addresses, the same on every node.</param>
    /// <param name="settings">The timings.</param>
    /// <param name="now">The clock (UTC).</param>
    public FormationActor(IReadOnlyList<Address> seeds, FormationSettings settings, Func<DateTime> now)
    {
        _now = now;
        _startedAt = now();
        _view = FormationView.Start(_cluster.SelfAddress, seeds, settings, _cluster.SelfUniqueAddress);
        Receive<FormationProtocol.Probe>(_ =>
        {
            // A node on its way out (exiting, downed) does not answer: it must neither count towards a majority that
            // forms a cluster nor be joined through.
            NoteMembership();
            if (_wasMember && !InCluster.Contains(_cluster.SelfMember.Status)) return;
            // Noted before the answer goes out: a prober is alive, and may be the lowest seed this node knows.
            _view = _view.Probed(Sender.Path.Address, _now());
            (_view, var answer) = _view.Answer(OwnMembers(), _now());
            Sender.Tell(new FormationProtocol.Answer(_cluster.SelfAddress.ToString(), [.. answer.Members.Select(a => a.ToString())], answer.Vote?.ToString(),
                [.. OwnIncarnations().Select(m => $"{m.Address}#{m.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)}")]));
        });
        Receive<FormationProtocol.Answer>(OnAnswer);
        Receive<Tick>(_ => OnTick());
        Receive<GetAnswers>(_ => Sender.Tell(new Answers(_view.FreshAnswers(_now()).ToDictionary(a => a.Key, a => a.Value.Members))));
    }

    /// <summary>Props.</summary>
    public static Props Props(IReadOnlyList<Address> seeds, FormationSettings settings) =>
        Akka.Actor.Props.Create(() => new FormationActor(seeds, settings, MonotonicUtc()));

    // The votes' timings must not jump with the wall clock, which NTP may step just while a machine boots.
    private static Func<DateTime> MonotonicUtc()
    {
        var start = DateTime.UtcNow;
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        return () => start + elapsed.Elapsed;
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info("Forming or joining the cluster through seeds {0}", string.Join(", ", _view.Seeds));
        Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, TimeSpan.Zero, _view.Settings.ProbeInterval);
    }

    /// <summary>
    /// Akka's join-only seed process as well (this node not in its list, so it never forms a cluster), once no seed's
    /// formation actor has answered as a member for <c>silent-seeds-join-after</c>: members of an older version, which run no
    /// formation actor, answer its InitJoin, so the first node upgraded in a rolling upgrade still gets in. Not at once,
    /// because it joins whichever member answers first, past <see cref="FormationRule"/>'s wait for a previous
    /// incarnation's removal. The first Join this actor sends stops it.
    /// </summary>
    private void StartAkkaSeedProcessIfNoMemberAnswers()
    {
        if (_akkaSeedProcessStarted || _memberAnswered || _now() - _startedAt < _view.Settings.SilentSeedsJoinAfter) return;
        _akkaSeedProcessStarted = true;
        var others = _view.Seeds.Where(s => !s.Equals(_cluster.SelfAddress)).ToList();
        if (others.Count == 0) return;
        _log.Info("No seed's formation actor answered as a member in {0}: also joining through Akka's seed process, which members of an older version answer",
            _view.Settings.SilentSeedsJoinAfter);
        _cluster.JoinSeedNodes(others);
    }

    private IReadOnlyList<Address> OwnMembers() =>
        InCluster.Contains(_cluster.SelfMember.Status)
            ? [.. _cluster.State.Members.Where(m => InCluster.Contains(m.Status)).Select(m => m.Address)]
            : [];

    // Every member in any status, downed and exiting ones included, so that a restarted node sees its previous incarnation.
    private IReadOnlyList<UniqueAddress> OwnIncarnations() =>
        InCluster.Contains(_cluster.SelfMember.Status) ? [.. _cluster.State.Members.Select(m => m.UniqueAddress)] : [];

    /// <summary>The members this node sees, remembering for good that it was one: a node once in the cluster never forms or votes again.</summary>
    private IReadOnlyList<Address> NoteMembership()
    {
        var own = OwnMembers();
        if (own.Count > 0) _wasMember = true;
        return own;
    }

    private void OnAnswer(FormationProtocol.Answer answer)
    {
        NoteMembership();   // not only on a tick: a node removed in between must not vote
        if (!TryParse(answer.Address, out var from)) return;
        var members = new List<Address>();
        foreach (var m in answer.Members)
            if (TryParse(m, out var address)) members.Add(address);
        var vote = answer.Vote is { } v && TryParse(v, out var named) ? named : null;
        var incarnations = new List<UniqueAddress>();
        foreach (var m in answer.Incarnations ?? [])
            if (TryParseIncarnation(m, out var incarnation)) incarnations.Add(incarnation);
        // Only a member's answer: seeds that are all starting, or all upgraded in a rolling upgrade from a version
        // without formation actors, answer as non-members, and Akka's seed process must still find the old members.
        if (members.Count > 0) _memberAnswered = true;
        _view = _view.Answered(from, new SeedAnswer(members, vote, incarnations), _now());
        // Decide at once rather than at the next tick: a complete view or a member's answer would otherwise wait up to
        // a probe interval, once for the node that forms and once more for every node that joins it.
        if (OwnMembers().Count == 0 && !_wasMember) Decide();
    }

    private void OnTick()
    {
        var own = NoteMembership();
        if (own.Count == 0 && _wasMember) { Timers.Cancel(Tick.Instance); return; }   // left or downed: the process is on its way out
        if (own.Count > 1) { _view = _view.Forget(); return; }   // a member among others: nothing to decide, no island to watch for
        foreach (var seed in _view.Seeds.Where(s => !s.Equals(_cluster.SelfAddress)))
            Context.ActorSelection(new RootActorPath(seed) / "user" / FormationProtocol.ActorName).Tell(FormationProtocol.Probe.Instance);
        if (own.Count == 1) { _lastReason = null; return; }   // alone: keep the answers fresh for GetAnswers
        StartAkkaSeedProcessIfNoMemberAnswers();
        Decide();
    }

    private void Decide()
    {
        if (JoinedRecently()) return;   // no join is sent while one is in flight
        (_view, var decision) = _view.Decide(_now());
        switch (decision)
        {
            case FormNew form:
                _log.Info("Forming a new cluster: {0}", form.Reason);
                Join(_cluster.SelfAddress);
                break;
            case JoinExisting join:
                // Stay with the member joined last while it still answers as one: every new join abandons the one
                // in flight, whose welcome would then be ignored.
                var via = _lastJoin is { } last && _view.FreshAnswers(_now()).TryGetValue(last.To, out var answer) && answer.Members.Any(m => !m.Equals(_cluster.SelfAddress))
                    ? last.To : join.Via;
                _log.Info("Joining the cluster through {0}: {1}", via, join.Reason);
                Join(via);
                break;
            case KeepProbing wait when wait.Reason != _lastReason:
                _log.Info("Not joining yet: {0}", wait.Reason);
                break;
        }
        _lastReason = decision.Reason;
    }

    // No join is sent while one is in flight; one that got no welcome is followed by another after JoinRetry.
    private bool JoinedRecently() => _lastJoin is { } last && _now() - last.At < _view.Settings.JoinRetry;

    private void Join(Address to)
    {
        _lastJoin = (to, _now());
        _cluster.Join(to);
    }

    // ADDRESS#UID, as the answer writes it.
    private static bool TryParseIncarnation(string text, out UniqueAddress incarnation)
    {
        var hash = text.LastIndexOf('#');
        if (hash > 0 && int.TryParse(text.AsSpan(hash + 1), System.Globalization.CultureInfo.InvariantCulture, out var uid) &&
            TryParse(text[..hash], out var address))
        {
            incarnation = new UniqueAddress(address, uid);
            return true;
        }
        incarnation = null!;
        return false;
    }

    private static bool TryParse(string text, out Address address)
    {
        try { address = Address.Parse(text); return true; }
        catch (Exception e) when (e is UriFormatException or ArgumentException) { address = null!; return false; }
    }
}
