using Appliance.Nodes.Postgres;

namespace Appliance.Actors.Node;

/// <summary>
/// Decides what a node reports after each read of its PostgreSQL's status. A postmaster that exited is reported down
/// at once. One that runs but did not answer (a connect or query timeout on a loaded machine) is reported down only
/// after <see cref="Limit"/> unanswered reads in a row; until then the read is skipped and the last answer stands, as
/// if the report came late. Reports are late anyway, and the rules read positions behind a fence whenever it matters;
/// but a report of "PostgreSQL down" for one slow answer made the coordinator refuse a switchover to a healthy sync,
/// and could have it replace one.
/// </summary>
/// <param name="Unanswered">Unanswered reads in a row, while the postmaster runs.</param>
internal readonly record struct UnansweredStatusReads(int Unanswered)
{
    /// <summary>Unanswered reads in a row after which a running postmaster is reported down (about 1.5 s at the 500 ms report interval).</summary>
    public const int Limit = 3;

    /// <summary>
    /// The next count, and whether <paramref name="read"/> is reported: true for an answer, for a postmaster that does
    /// not run, with no earlier answer to stand for it, or at the <see cref="Limit"/>th unanswered read.
    /// </summary>
    public (UnansweredStatusReads Next, bool Report) After(InstanceStatus? read, bool postmasterRuns, bool answeredBefore)
    {
        if (read is not null || !postmasterRuns || !answeredBefore) return (new(0), true);
        var unanswered = Unanswered + 1;
        return unanswered >= Limit ? (new(0), true) : (new(unanswered), false);
    }
}
