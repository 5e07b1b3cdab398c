/*
 * Appliance replication / failover protocol: a bounded, exhaustive model for spin.
 *
 * This is the exhaustive counterpart of tests/Appliance.Nodes.Tests/State/ReplicationWorld.cs (random runs of
 * the same world). It models the protocol as it must be after the fixes of docs/CHAOS.md ("Open, found by the
 * rules' property tests", the stuck deposed rejoin, the stale-coordinator lease), and every fix can be switched
 * off with a -D macro (see model/README.md and model/check.sh):
 *
 *   MUT_BARE_LSN      positions compared as bare LSNs: takeover (SyncTakeover.Promote: position < initWal) and
 *                     chain admission ("at or behind the primary") ignore the timeline
 *   MUT_NO_HISTORY    a peer enters the chain without any history check, and a standby whose WAL forked from its
 *                     upstream's is silently truncated onto it (the old ReplicationWorld.Replicate)
 *   MUT_LIFT_BY_VALUE a lift clears whatever fence of that kind is up (WalFence records compare by value)
 *   MUT_FENCE_MEMORY  the fence is kept in memory only and lost when the node process restarts
 *   MUT_STALE_LEASE   a state republished by a stale coordinator incarnation renews a primary's lease
 *   MUT_LOCAL_COMMIT  synchronous_commit = local is allowed while a sync is named (no commit guard)
 *   MUT_READY_UNBOUND "ready to rejoin" is a flag in memory, not a marker bound to primary/generation/timeline
 *   MUT_NO_MAJORITY   the coordinator changes the generation without a majority of database members in view
 *
 * -DSTANDBY makes the cluster a standby cluster (ARCHITECTURE §15): its state's primary is the standby leader, a
 * PostgreSQL standby that streams from another cluster (the source, modelled as one WAL and timeline history that
 * grows by writes and changes by MAXSRCFO failovers, in a process of its own), and nothing in it is promoted or
 * acknowledged. Its scope: the leader follows the source and is rewound onto it after a source failover, its standbys
 * rewind onto it, async upkeep runs, promote-cluster only fences the leader; a lost leader or sync is not replaced
 * (StandbyFailover), and -DSTANDBY leaves out switchover, takeover and sync replacement. Its mutations:
 *
 *   MUT_LEADER_NO_REWIND     the standby leader is never rewound onto the source's history after a source failover
 *   MUT_LEADER_REWIND_FENCED the leader's rewind ignores a StopReceiving fence (the driver's primary_conninfo check)
 *   CODE_LEADER_START        the code's restart of a stopped leader before the fix of README finding 5 (its trail)
 *
 * Shape: one process per database node (its own actions and faults), one coordinator process (rounds of
 * ClusterRules, operator commands, the hand-over to a second incarnation), one environment process that ends
 * the faults. Every action is one atomic step that starts with its guard, and the invariants are asserted at the
 * end of every step (checkInv). Liveness is checked as bounded response: from every reachable state the
 * environment may end the faults; a deterministic, fair schedule (healAll) then runs nodes and coordinator for a
 * fixed number of rounds and asserts that a primary can acknowledge commits again (see README: why this and not
 * an LTL formula under weak fairness).
 */

#define N 3                 /* database nodes 0, 1, 2 */
#define NONE 3

#ifndef W
#define W 2                 /* writes a run may make (write ids 1..W) */
#endif
#ifndef MAXV
#define MAXV 6              /* state versions the faulty phase may write */
#endif
#define HEALV 4             /* further versions the healing phase may write */
#define JV (MAXV + HEALV)
#ifndef MAXCRASH
#define MAXCRASH 2          /* node process crashes */
#endif
#ifndef MAXCUT
#define MAXCUT 2            /* cuts between a node and the coordinator */
#endif
#ifndef MAXPR
#define MAXPR 4             /* fences raised (probe ids), both incarnations */
#endif
#ifndef MAXRECYCLE
#define MAXRECYCLE 0        /* WAL removals (a node drops its WAL below its end); the recycle runs set 1 */
#endif
#ifndef MAXOPS
#define MAXOPS 1            /* operator commands: switchover, rebuild, reap */
#endif
#define PRIDS (MAXPR + 2)  /* probe ids: the faulty phase's and two for the healing phase (at most 6) */
#define MAXPROM 3           /* promotions in the faulty phase */
#define MAXTL (MAXPROM + 3) /* timeline ids: the first, those, and the healing phase's */
#define HEALROUNDS 6

#ifdef STANDBY
#ifndef MAXSRCFO
#define MAXSRCFO 1          /* failovers at the source */
#endif
#ifndef SRCW
#define SRCW 2              /* writes at the source (each failover adds its first record too; the source WAL holds W) */
#endif
#endif

#define STOP 1              /* WalFence.StopReceiving */
#define NAMESYNC 2          /* WalFence.NameSync(target) */

/* ---------------------------------------------------------------------------------------------------------
 * The cluster state, persisted by compare-and-set (ARCHITECTURE §2, §8 "Compare-and-set"). The journal holds
 * every state written, by version; the current state is jX[sv]. Only a write with version sv + 1 is admitted,
 * so the model writes with `sv++` inside one atomic round (a stale incarnation's write always fails the CAS and
 * is modelled as a round that gives up, see staleRaise). With 3 nodes primary and sync leave one "third"
 * node, which is the async, the deposed peer, or unassigned.
 * --------------------------------------------------------------------------------------------------------- */
byte stv = 1;
byte jP[JV + 1];            /* primary */
byte jS[JV + 1];            /* sync */
byte jA[JV + 1];            /* the async chain (one node at most with 3 nodes), NONE if empty */
byte jD[JV + 1];            /* the deposed list (one node at most), NONE if empty */
byte jG[JV + 1];            /* generation */
byte jT[JV + 1];            /* initWal timeline */
byte jL[JV + 1];            /* initWal lsn (= number of WAL entries) */

/* PostgreSQL timelines: a promotion starts timeline ntl+1, forking from the promoted node's timeline at its
 * end of WAL (the .history file). Ids are distinct by construction here; in the code that is PromotionTimeline
 * with RuleContext.PromotionGeneration (a generation numbered past the candidate's timeline, which only matters for
 * a cluster bootstrapped from a backup), checked by the property tests' ReplicationWorld. Generations here go up by
 * one; the code's jump past a restored timeline changes no comparison the model makes (they are all equalities). */
byte ntl = 1;
byte nprom = 0;
byte tlPar[MAXTL + 1];
byte tlFork[MAXTL + 1];

/* ---------------------------------------------------------------------------------------------------------
 * Database nodes. Disk (survives a restart): WAL, timeline, pr (data directory of a primary: no
 * standby.signal), pver (the version of the last state applied, written with the appliance's config), the fence
 * (persisted beside the data dir), the rejoin marker. Memory (lost): view, lease, waiting commits.
 * --------------------------------------------------------------------------------------------------------- */
bool up[N];                 /* node process (and PostgreSQL) running */
bool linked[N];             /* reaches the coordinator (peers always reach each other while up) */
bool lease[N];              /* PrimaryLease: may take and acknowledge commits */
bool pr[N];                 /* data directory is a (promoted) primary */
byte view[N];               /* version of the state the node acts on; 0 = none since its restart */
byte pver[N];               /* highest version applied, persisted */
byte wal[3 * W];            /* WAL: write ids, wal[n*W + i] */
byte ln[N];                /* end of WAL (the LSN) */
byte lo[N];                 /* start of the WAL it still holds: entries below were removed (a checkpoint recycled them,
                             * or it was cloned afresh, whose pg_wal begins at the copy); a walsender cannot send them */
byte tl[N];                 /* current timeline */
byte fset[N];               /* fences up on the node: a bit per owner (probe id 1..MAXPR); the node keeps each
                             * raise until its own lift or a newer state, so one owner's lift never clears another's */
byte rdP[N];                /* rejoin marker: primary, generation, timeline rewound onto (rdG = 0: none) */
byte rdG[N];
byte rdT[N];
byte lf[N];                 /* a lift in flight to the node: the owner (probe id) it was sent for, 0 none */
byte lfk[N];                /* and the fence kind it names */

/* Fence owners (WalFence with its owner): probe id -> kind, NameSync target, state version raised for,
 * coordinator incarnation. Probe ids are unique across incarnations. */
byte pk[PRIDS + 1];
byte pt[PRIDS + 1];
byte pv[PRIDS + 1];
byte pinc[PRIDS + 1];
byte stopMask = 0;          /* owners that are StopReceiving fences */
byte nsMask = 0;            /* owners that are NameSync fences */
bool fencedOut[N];          /* counted absent and deposed by a takeover; not yet told (§11 fencing order) */
bool lost[N];               /* crashed for good when the faults ended */
bool maint[N];              /* in maintenance (ClusterState.Maintenance): the rules treat it as gone; -DMAINT only */

#ifdef STANDBY
/* The source cluster, seen from the standby leader as one primary (SourcePrimaryAsync finds whichever host takes
 * writes): its WAL (write ids; a write id is never reused, so equal prefixes are equal histories), its timeline, whose
 * history is in tlPar/tlFork as the cluster's own would be. A failover there promotes its sync, which may lack the last
 * records (never acknowledged at the source), onto a new timeline, which starts with a record of its own (the
 * end-of-recovery checkpoint): so a follower reaches a new timeline only with WAL, as in ReplicationWorld. */
byte sw[W];                 /* the source's WAL */
byte sln = 0;               /* its end */
byte stl = 1;               /* its timeline */
byte snw = 0;               /* write ids used at the source (its writes and each promotion's first record) */
byte sfo = 0;               /* failovers at the source */
byte fzl[N];                /* ghost: the position (lsn, timeline) read behind a node's StopReceiving fence, while one is up */
byte fzt[N];
#ifdef CODE_LEADER_START
bool nostart[N];            /* FINDING (README): PostgreSQL stopped while forked off the source's newer timeline, whose
                             * history file its WAL receiver had already fetched, refuses to start again */
#endif
#endif

/* Commits. wpn[w] = node + 1 while a commit with synchronous_commit = on waits for the sync; ack[w] once the
 * client got its acknowledgement. A cancelled wait (the client got a WARNING) leaves the write in the WAL but
 * never acknowledged: the model makes that choice when the write is made. */
byte nw = 0;
bool ack[W + 1];
byte wpn[W + 1];

/* Coordinator incarnations: 1, then 2 after the singleton moved; oldv = the state the stale incarnation 1 still
 * holds (0 while it is the current one). npr: probe ids handed out. */
byte inc = 1;
byte oldv = 0;
byte npr = 0;

byte crashes = 0;
byte recycles = 0;
byte cuts = 0;
byte ops = 0;
bool calm = false;          /* the faults have ended */
bool over = false;          /* the healing phase has been checked */

/* scratch, not part of the state vector */
hidden byte hi, hc, ht, hw, hx, hP, hS, hX, hpos, hpos2, hk, hm, hcnt, nP, nS, nA, nD, nG, nT, nL;
hidden byte hok, hok2, hokR;
hidden byte NoAckedWriteLost, SyncCoversAcked, AtMostOneAckingPrimary, ChainIsPrefix, VersionMonotonic,
            LeaseFence, WritableAfterFaults, ChainStreams;
#ifdef STANDBY
hidden byte StandbyTakesNoWrites, FencedLeaderHolds, LeaderHistoryIsWal, LeaderFollowsSource, ChainFollowsLeader;
#endif

#define WL(n, j) wal[(n) * W + (j)]

/* Role of a node in the state it acts on (ClusterState.RoleOf). */
#define isPrimV(n)  (view[n] != 0 && jP[view[n]] == (n))
#define isSyncV(n)  (view[n] != 0 && jS[view[n]] == (n))
#define isAsyncV(n) (view[n] != 0 && jA[view[n]] == (n))
#define isDepV(n)   (view[n] != 0 && jD[view[n]] == (n))
#define upOf(n)     (isSyncV(n) -> jP[view[n]] : (isAsyncV(n) -> jS[view[n]] : NONE))
/* synchronous_standby_names of a primary: the NameSync fence's candidate while it is up, else its state's sync */
#define stopped(n)  ((fset[n] & stopMask) != 0)
#define nsOwner(n)  ((fset[n] & nsMask & 64) -> 6 : ((fset[n] & nsMask & 32) -> 5 : ((fset[n] & nsMask & 16) -> 4 : ((fset[n] & nsMask & 8) -> 3 : ((fset[n] & nsMask & 4) -> 2 : ((fset[n] & nsMask & 2) -> 1 : 0))))))
#define effSync(n)  (nsOwner(n) != 0 -> pt[nsOwner(n)] : jS[view[n]])
/* A node serves WAL to a downstream while it runs in a chain role (deposed and unassigned keep PostgreSQL stopped). */
#define serving(n)  (up[n] && (isPrimV(n) || isSyncV(n) || isAsyncV(n)))

/* The coordinator counts a node present while it reaches it, and also while the node may still hold a primary
 * lease: the report lease (2.5 s) outlasts the coordinator lease (1.5 s), ARCHITECTURE §11. This is the timing
 * assumption of the model: a cut-off primary is counted absent only once its lease has run out. A crash is seen
 * at once (a crashed node acknowledges nothing). */
#define present(n)  (up[n] && (linked[n] || lease[n]))
#define reach(n)    (up[n] && linked[n])
#define nPresent    (present(0) + present(1) + present(2))
#ifdef MUT_NO_MAJORITY
#define majority    true
#else
#define majority    (nPresent >= 2)
#endif

/* res := WAL of a is a prefix of WAL of b (same write ids; write ids are unique, so equal prefixes mean the same
 * history: a standby can stream from b without a fork below its replay point). */
inline isPrefix(a, b, res) {
  res = (ln[a] <= ln[b]);
  hi = 0;
  do
  :: res && hi < ln[a] -> res = (WL(a, hi) == WL(b, hi)); hi++
  :: else -> break
  od;
  hi = 0
}

/* c := length of the common prefix of the WALs of a and b */
inline commonPrefix(a, b) {
  hc = 0;
  do
  :: hc < ln[a] && hc < ln[b] && WL(a, hc) == WL(b, hc) -> hc++
  :: else -> break
  od
}

/* Truncate n's WAL to c entries (pg_rewind discards what lies beyond the fork). Cleared slots keep the state
 * canonical. */
inline truncateTo(n) {
  hi = hc;
  do
  :: hi < ln[n] -> WL(n, hi) = 0; hi++
  :: else -> break
  od;
  ln[n] = hc; hi = 0;
  if :: lo[n] > ln[n] -> lo[n] = ln[n] :: else fi   /* pg_rewind copies the source's WAL from before the fork */
}

/* res := position (T, L) is on n's timeline history and n's WAL reaches it. PostgreSQL's check: T is n's timeline
 * or an ancestor, n's history leaves T no lower than L, and n replayed to at least L. */
inline onHistory(n, T, L, res) {
  res = false;
  if
  :: ln[n] >= L ->
     ht = tl[n]; hc = 0;
     do
     :: ht == T -> res = (hc == 0 || tlFork[hc] >= L); break
     :: ht != T && ht != 0 -> hc = ht; ht = tlPar[ht]
     :: ht == 0 -> break
     od
  :: else
  fi;
  ht = 0; hc = 0
}

/* Chain admission (async append, new sync, switchover target, rejoin): the peer's report must show it on the
 * primary p's history with no fork below its replay point. */
inline admitted(a, p, res) {
#if defined(MUT_NO_HISTORY)
  res = true
#elif defined(MUT_BARE_LSN)
  res = (ln[a] <= ln[p])
#else
  isPrefix(a, p, res)
#endif
}

/* SyncTakeover.Promote's safety check on the sync's fenced position (tl[s], ln[s]) against initWal. */
inline caughtUp(s, res) {
#ifdef MUT_BARE_LSN
  res = (ln[s] >= jL[stv])
#else
  onHistory(s, jT[stv], jL[stv], res)
#endif
}

/* The rejoin marker a deposed node reports ("ready to rejoin"). Fixed: bound to the primary, generation and
 * timeline it was rewound onto, persisted; it counts only while all three still hold. */
#ifdef MUT_READY_UNBOUND
#define readyRep(n) (rdG[n] != 0)
#else
#define readyRep(n) (rdG[n] != 0 && view[n] != 0 && rdP[n] == jP[view[n]] && rdG[n] == jG[view[n]] && rdT[n] == tl[n])
#endif

inline clearPending(n) {
  hw = 1;
  do
  :: hw <= nw -> if :: wpn[hw] == n + 1 -> wpn[hw] = 0 :: else fi; hw++
  :: else -> break
  od;
  hw = 0
}

/* PostgreSQL promotion: a new timeline forks at the node's end of WAL. */
inline promote(n) {
  assert(ntl < MAXTL);
  ntl++;
  tlPar[ntl] = tl[n];
  tlFork[ntl] = ln[n];
  tl[n] = ntl;
  pr[n] = true
}

/* drop the fences raised for states older than v */
inline supersede(n, v) {
  hc = 1;
  do
  :: hc <= npr -> if :: (fset[n] & (1 << hc)) && pv[hc] < v -> fset[n] = fset[n] & ~(1 << hc) :: else fi; hc++
  :: else -> break
  od;
  hc = 0
}

/* A node applies state version v (src/Actors/Node: apply the role, write the config). */
inline adopt(n, v) {
  VersionMonotonic = (v >= view[n] && v >= pver[n]);
  assert(VersionMonotonic);
  /* a fence is superseded by any newer state: its round is over (a used fence stays up until then) */
  if
  :: fset[n] != 0 -> supersede(n, v)
  :: else
  fi;
  if
  :: isPrimV(n) && jP[v] != n -> clearPending(n)   /* a primary that loses its role fails its waiting commits */
  :: else
  fi;
  view[n] = v;
  pver[n] = v;
  fencedOut[n] = false;
#ifndef STANDBY
  if
  :: jP[v] == n && !pr[n] -> promote(n)
  :: else
  fi;
#endif
  if
  :: jP[v] != n -> lease[n] = false
  :: else
  fi
}

/* A node accepts a fence raised by incarnation `in` for state version `ver`: not for a state older than the one
 * it holds, and not over a fence of a newer (version, incarnation). Only a standby stops receiving; only a
 * primary names a sync. hokR := accepted. */
#ifdef STANDBY
#define stopTarget(n) (isSyncV(n) || isAsyncV(n) || isPrimV(n))   /* WalFence.StopReceiving: also a standby cluster's leader */
#else
#define stopTarget(n) (isSyncV(n) || isAsyncV(n))
#endif
inline raise(n, kind, tgt, ver, incr) {
  hokR = (up[n] && (npr < MAXPR || (calm && npr < PRIDS)) && ver >= view[n]
         && ((kind == STOP && stopTarget(n)) || (kind == NAMESYNC && isPrimV(n))));
  if
  :: hokR ->
#ifdef STANDBY
     if :: kind == STOP && !stopped(n) -> fzl[n] = ln[n]; fzt[n] = tl[n] :: else fi;   /* the position the raise reads */
#endif
     npr++; pk[npr] = kind; pt[npr] = tgt; pv[npr] = ver; pinc[npr] = incr; fset[n] = fset[n] | (1 << npr);
     if :: kind == STOP -> stopMask = stopMask | (1 << npr) :: else -> nsMask = nsMask | (1 << npr) fi
  :: else
  fi
}

/* The coordinator lifts a fence no written state used (WalFence.IsUnusedByRound); the message may be late. */
inline sendLift(n) { lf[n] = npr; lfk[n] = pk[npr] }   /* for the raise just made */

/* A lift arrives. Fixed: it clears only the raise it was sent for (owner = incarnation, version, probe id). */
inline applyLift(n) {
#ifdef MUT_LIFT_BY_VALUE
  if
  :: lfk[n] == STOP -> fset[n] = fset[n] & ~stopMask
  :: else -> fset[n] = fset[n] & ~nsMask
  fi;
#else
  fset[n] = fset[n] & ~(1 << lf[n]);
#endif
  lf[n] = 0; lfk[n] = 0
}

/* Write state version sv + 1 (the CAS succeeds: the current incarnation read the journal). ChainIsPrefix is
 * asserted here on the WALs themselves: every standby a written state names is on its primary's history. */
inline writeState(p, s, a, d, g, T, L) {
  assert(stv < JV);
  nP = p; nS = s; nA = a; nD = d; nG = g; nT = T; nL = L;   /* read the arguments before sv moves */
  stv++;
  jP[stv] = nP; jS[stv] = nS; jA[stv] = nA; jD[stv] = nD; jG[stv] = nG; jT[stv] = nT; jL[stv] = nL;
  /* a standby the write puts into the chain (a new sync, a new async, a rejoined peer) must be on the primary's
   * history; a standby the state already named may have forked since (it streamed from a stale upstream), and is
   * then refused by PostgreSQL until it rewinds: "marked for rewind" */
  ChainIsPrefix = true;
  if
  :: nS != jS[stv - 1] || nP != jP[stv - 1] -> isPrefix(nS, nP, hok); ChainIsPrefix = hok
  :: else
  fi;
  if
  :: nA != NONE && (nA != jA[stv - 1] || nP != jP[stv - 1]) -> isPrefix(nA, nP, hok); ChainIsPrefix = ChainIsPrefix && hok
  :: else
  fi;
  printf("TRAIL   wrote v%d: primary n%d sync n%d async %d deposed %d gen %d initWal (%d,%d)\n", stv, nP, nS, nA, nD, nG, nT, nL);
  assert(ChainIsPrefix);
  hok = false; nP = 0; nS = 0; nA = 0; nD = 0; nG = 0; nT = 0; nL = 0
}

/* SyncTakeover.Promote: the sync S becomes primary behind its StopReceiving fence, X the new sync, P deposed. */
inline takeover(gone) {
  admitted(hX, hS, hok);                               /* ClusterRules: SyncCandidates */
  if
  :: hok && nprom < MAXPROM ->
     raise(hS, STOP, NONE, stv, inc);                 /* PositionProbe(S, StopReceiving) */
     if
     :: hokR ->
        caughtUp(hS, hok2);
        if
        :: hok2 ->
           nprom++;
           if :: gone -> fencedOut[hP] = true :: else fi;
           writeState(hS, hX, NONE, hP, jG[stv] + 1, tl[hS], ln[hS])
        :: else -> sendLift(hS)                     /* NotCaughtUp: the fence is unused, lift it */
        fi
     :: else
     fi
  :: else
  fi
}

/* SyncReplacement.Replace: the primary names X behind its NameSync fence; initWal = its position after that. */
inline syncReplace() {
  admitted(hX, hP, hok);
  if
  :: hok ->
     raise(hP, NAMESYNC, hX, stv, inc);
     if
     :: hokR -> writeState(hP, hX, NONE, NONE, jG[stv] + 1, tl[hP], ln[hP])
     :: else
     fi
  :: else
  fi
}

/* rule 6, DeposedRejoin: the deposed third node reports its marker, and its report passes the history check */
inline rejoin() {
  admitted(hX, hP, hok);
  if
  :: hok -> writeState(hP, hS, hX, NONE, jG[stv], jT[stv], jL[stv])
  :: else
  fi
}

/* One evaluation of ClusterRules (one change at most), rules 4 to 7 of ARCHITECTURE §4. */
#ifdef STANDBY
/* StandbyClusterRules as far as modelled: async upkeep only. A lost leader or sync is not replaced (StandbyFailover is
 * outside this model's STANDBY scope: the property model covers it), nothing is promoted, no fence is raised. */
inline rules() {
  hP = jP[stv]; hS = jS[stv]; hX = 3 - hP - hS;
  if
  :: present(hP) && jA[stv] == hX && (!present(hX) || maint[hX]) ->
     writeState(hP, hS, NONE, jD[stv], jG[stv], jT[stv], jL[stv])
  :: present(hP) && jA[stv] != hX && jD[stv] != hX && reach(hX) && !maint[hX] ->
     admitted(hX, hP, hok);
     if
     :: hok -> writeState(hP, hS, hX, NONE, jG[stv], jT[stv], jL[stv])
     :: else
     fi
  :: else
  fi;
  hok = false
}
#else
inline rules() {
  hP = jP[stv]; hS = jS[stv]; hX = 3 - hP - hS;
  if
  :: !present(hP) ->
     /* rule 4, SyncTakeover.WhenPrimaryGone; PrimaryAndSyncLost, NoAsyncAvailable refuse */
     if
     :: majority && reach(hS) && present(hX) && !maint[hX] && jD[stv] != hX -> takeover(true)
     :: else
     fi
  :: present(hP) && !present(hS) ->
     /* rule 5, SyncReplacement.WhenSyncGone: the old sync is simply dropped */
     if
     :: majority && reach(hP) && present(hX) && !maint[hX] && jD[stv] != hX -> syncReplace()
#ifndef CODE_RULE_ORDER
     /* FINDING (see README): ClusterRules returns after WhenSyncGone/AsyncUpkeep, so a deposed peer cannot rejoin
      * while the sync is gone, and with 3 nodes it is the only candidate: writes stall for good. The model lets the
      * rejoin run here, so that the next round can make it the sync. -DCODE_RULE_ORDER keeps the code's order. */
     :: jD[stv] == hX && reach(hX) && readyRep(hX) -> rejoin()
#endif
     :: else
     fi
  :: present(hP) && present(hS) ->
     if
     :: jD[stv] == hX && reach(hX) && readyRep(hX) -> rejoin()
     :: jA[stv] == hX && (!present(hX) || maint[hX]) ->
        writeState(hP, hS, NONE, jD[stv], jG[stv], jT[stv], jL[stv])   /* rule 7: an absent async drops out */
     :: jA[stv] != hX && jD[stv] != hX && reach(hX) && !maint[hX] ->
        admitted(hX, hP, hok);                                         /* rule 7: a newcomer joins the tail */
        if
        :: hok -> writeState(hP, hS, hX, NONE, jG[stv], jT[stv], jL[stv])
        :: else
        fi
     :: else
     fi
  fi;
  hok = false; hok2 = false; hokR = false
}
#endif

/* ---------------------------------------------------------------------------------------------------------
 * Node actions (each guarded, then done in one step). The same bodies run in the healing schedule.
 * --------------------------------------------------------------------------------------------------------- */

/* Replication step: n receives one WAL entry from its upstream (the one its view names). PostgreSQL streams only
 * if n's WAL is a prefix of the upstream's history; it does not truncate. A primary acknowledges a waiting commit
 * once the sync it names (synchronous_standby_names) has flushed it, and only while its lease holds. */
#define canStream(n) (up[n] && !pr[n] && !stopped(n) && upOf(n) != NONE && serving(upOf(n)) && ln[n] >= lo[upOf(n)])
inline streamStep(n) {
  hx = upOf(n);
  isPrefix(n, hx, hok);
  if
  :: hok && (ln[n] < ln[hx] || tl[n] != tl[hx]) ->
     if
     :: ln[n] < ln[hx] -> WL(n, ln[n]) = WL(hx, ln[n]); ln[n]++
     :: else
     fi;
     tl[n] = tl[hx];
     if
     :: isPrimV(hx) && lease[hx] && effSync(hx) == n ->
        hw = 1;
        do
        :: hw <= nw ->
           if
           :: wpn[hw] == hx + 1 ->
              hi = 0;
              do
              :: hi < ln[n] && WL(n, hi) != hw -> hi++
              :: else -> break
              od;
              if :: hi < ln[n] -> ack[hw] = true; wpn[hw] = 0 :: else fi;
              hi = 0
           :: else
           fi;
           hw++
        :: else -> break
        od;
        hw = 0
     :: else
     fi
#ifdef MUT_NO_HISTORY
  :: !hok ->
     commonPrefix(n, hx); truncateTo(n); tl[n] = tl[hx]     /* the old model: a forked standby is silently truncated */
#endif
  :: else
  fi;
  hx = 0; hok = false
}

/* A deposed node rewinds onto the primary of its state once that primary runs on its new timeline
 * (RewindOrClone). pg_rewind refuses when the node is already on the primary's timeline ("not past this
 * instance's timeline"); the bound marker is how a node that already rewound knows it only has to report. */
#define canRewindDeposed(n) (up[n] && isDepV(n) && serving(jP[view[n]]) && isPrimV(jP[view[n]]) && !readyRep(n) && tl[n] != tl[jP[view[n]]])
inline rewindDeposed(n) {
  hx = jP[view[n]];
  commonPrefix(n, hx); truncateTo(n);
  tl[n] = tl[hx]; pr[n] = false;
  rdP[n] = hx; rdG[n] = jG[view[n]]; rdT[n] = tl[hx];
  hx = 0; hc = 0
}

/* A standby (or unassigned peer) whose WAL forked from the primary is refused by PostgreSQL and rewinds onto that
 * primary before it streams or enters the chain again. It does so only on the newest state (the coordinator's
 * word): the first run of this model let a node rewind onto the primary of a stale view, which truncated a write
 * that the new primary had acknowledged through it (SyncCoversAcked). */
#define forkedStandby(n) (up[n] && view[n] == stv && !isPrimV(n) && !isDepV(n) && serving(jP[view[n]]) && isPrimV(jP[view[n]]))
inline rewindStandby(n) {
  hx = jP[view[n]];
  isPrefix(n, hx, hok);
  if
  :: !hok || pr[n] -> commonPrefix(n, hx); truncateTo(n); tl[n] = tl[hx]; pr[n] = false   /* a former primary too */
  :: else
  fi;
  hx = 0; hc = 0; hok = false
}

/* A standby whose upstream no longer holds the WAL it needs ("requested WAL segment has already been removed")
 * can never stream again; it is cloned afresh from that upstream (StandbyStall, finding 10). Only while it follows
 * that upstream (no StopReceiving fence: the driver refuses a standby whose primary_conninfo a fence emptied) and
 * only when the upstream's history holds its WAL, so the copy holds everything it held. It acts on its own view,
 * which may be stale.
 * With -DSTUCK, so is one whose upstream holds its WAL and reaches its position but that has not streamed for twice
 * the patience (finding 11: PostgreSQL's startup process stopped asking for WAL). The model has no notion of "not
 * streaming for a while", so that copy may happen whenever the standby's WAL is no longer than its upstream's (which
 * covers the first case: lo <= ln). It widens the search about threefold, so it has runs of its own (stuck-*). */
#ifdef STUCK
#define stalledStandby(n) (up[n] && !pr[n] && !stopped(n) && upOf(n) != NONE && serving(upOf(n)) && ln[n] <= ln[upOf(n)])
#else
#define stalledStandby(n) (up[n] && !pr[n] && !stopped(n) && upOf(n) != NONE && serving(upOf(n)) && ln[n] < lo[upOf(n)])
#endif
inline recloneStalled(n) {
  hx = upOf(n);
  isPrefix(n, hx, hok);
  if
  :: hok ->
     hi = 0;
     do
     :: hi < W -> WL(n, hi) = WL(hx, hi); hi++
     :: else -> break
     od;
     hi = 0;
     ln[n] = ln[hx]; tl[n] = tl[hx]; lo[n] = ln[hx]
  :: else
  fi;
  hx = 0; hok = false
}

/* The current coordinator publishes the journal's newest state (its heartbeat, every 500 ms). Contact with a
 * coordinator publishing a state at least as new as the node's own renews the primary's lease. */
#ifdef STANDBY
#define canDeliver(n) (reach(n) && view[n] < stv)       /* a standby leader has no lease: it takes no writes */
inline deliver(n) { adopt(n, stv) }
#else
#define canDeliver(n) (reach(n) && (view[n] < stv || (jP[stv] == n && !lease[n])))
inline deliver(n) {
  if
  :: view[n] < stv -> adopt(n, stv)
  :: else
  fi;
  if
  :: jP[stv] == n -> lease[n] = true
  :: else
  fi
}
#endif

#ifdef STANDBY
/* res := n's WAL is a prefix of the source's */
inline srcPrefix(n, res) {
  res = (ln[n] <= sln);
  hi = 0;
  do
  :: res && hi < ln[n] -> res = (WL(n, hi) == sw[hi]); hi++
  :: else -> break
  od;
  hi = 0
}

/* res := the source's timeline history holds position (T, L) (TimelineHistory.Holds): T is the source's timeline, or
 * an ancestor of it whose WAL in that history reaches L. A source failover may promote below the previous one's switch
 * point (its sync lagged further), and a later switch point below an earlier one cuts the earlier timeline short
 * (TimelineHistory.Segments), so an ancestor ends at the lowest switch point between it and the source's timeline.
 * (onHistory takes the nearest switch point only: enough for the cluster's own promotions, which never fork below
 * initWal, but not for the source's.) */
inline srcHolds(T, L, res) {
  res = false; ht = stl; hc = 255;
  do
  :: ht == T -> res = (hc >= L); break
  :: ht != T && ht != 0 -> if :: tlFork[ht] < hc -> hc = tlFork[ht] :: else fi; ht = tlPar[ht]
  :: ht == 0 -> break
  od;
  ht = 0; hc = 0
}

/* By its own view the standby leader (StandbyLeaderRole), its WAL receiver following the source: no StopReceiving
 * fence up (promote-cluster fences the leader before it reads its position; the fence empties primary_conninfo). */
#ifdef CODE_LEADER_START
#define leaderFollows(n) (up[n] && isPrimV(n) && !pr[n] && !stopped(n) && !nostart[n])
#else
#define leaderFollows(n) (up[n] && isPrimV(n) && !pr[n] && !stopped(n))
#endif

/* The leader's WAL receiver: it takes the source's next record if its WAL is a prefix of the source's (PostgreSQL
 * follows a later timeline only if that forked at or past its replay point, recovery_target_timeline = latest). */
inline followSource(n) {
  srcPrefix(n, hok);
  if
  :: hok && ln[n] < sln -> WL(n, ln[n]) = sw[ln[n]]; ln[n]++; tl[n] = stl
  :: else
  fi;
  hok = false
}

/* The leader's stall check (StallWatchingRole, StandbyStall.Decide against the source's primary): forked off the
 * source's history (which does not hold its position) and the source's timeline is later than its own, it is rewound
 * (PostgresDriver.RewindForkedFromSourceAsync): WAL cut to the fork point, the source's history. The driver refuses while
 * a StopReceiving fence is up (its primary_conninfo no longer names the source), so the position promote-cluster read
 * behind the fence stays true. The caller checks tl[n] < stl. */
#ifdef MUT_LEADER_REWIND_FENCED
#define leaderMayRewind(n) (up[n] && isPrimV(n) && !pr[n] && tl[n] < stl)
#else
#define leaderMayRewind(n) (leaderFollows(n) && tl[n] < stl)
#endif
inline rewindLeader(n) {
  srcHolds(tl[n], ln[n], hok);
  if
  :: !hok && stl > tl[n] ->
     hc = 0;
     do
     :: hc < ln[n] && hc < sln && WL(n, hc) == sw[hc] -> hc++
     :: else -> break
     od;
     printf("TRAIL n%d (standby leader, forked at %d on timeline %d) is rewound onto the source's timeline %d\n", n, hc, tl[n], stl);
     truncateTo(n); tl[n] = stl
  :: else
  fi;
  hok = false; hc = 0
}
#endif

inline crash(n) {
  up[n] = false; linked[n] = false; lease[n] = false; view[n] = 0;
  clearPending(n);
#ifdef MUT_FENCE_MEMORY
  fset[n] = 0;
#endif
#ifdef MUT_READY_UNBOUND
  rdP[n] = 0; rdG[n] = 0; rdT[n] = 0;
#endif
#if defined(STANDBY) && defined(CODE_LEADER_START)
  /* the code's FollowSourceAsync as it was before the fix: a stopped leader started without the history check
   * (FollowLockedAsync's RewindIfForkedAsync), and the stall check needs it running: a leader that stops while
   * forked stays down */
  srcHolds(tl[n], ln[n], hok); nostart[n] = !hok; hok = false;
#endif
  skip
}

/* ---------------------------------------------------------------------------------------------------------
 * Invariants, asserted after every step.
 * --------------------------------------------------------------------------------------------------------- */

/* canAck(n): n could acknowledge a commit now: it runs as primary of its own view with its lease, and the sync it
 * names streams from it (runs, names n as upstream, no StopReceiving fence, WAL on n's history). */
inline canAck(n, res) {
  res = false;
  if
  :: up[n] && isPrimV(n) && lease[n] ->
     hx = effSync(n);
     if
     :: hx != NONE && up[hx] && upOf(hx) == n && !stopped(hx) && !pr[hx] && ln[hx] >= lo[n] -> isPrefix(hx, n, res)
     :: else
     fi
  :: else
  fi;
  hx = 0
}

inline checkInv() {
  hP = jP[stv]; hS = jS[stv];
  hw = 1;
  do
  :: hw <= nw ->
     if
     :: ack[hw] ->
        /* NoAckedWriteLost: every acknowledged write is in the WAL of the state's primary. Unconditional: WAL is on
         * disk, so this holds whether or not the primary runs or has applied the state yet (stronger than "when it
         * runs and applied it"). */
        hpos = 0;
        do
        :: hpos < ln[hP] && WL(hP, hpos) != hw -> hpos++
        :: else -> break
        od;
        NoAckedWriteLost = (hpos < ln[hP]);
        assert(NoAckedWriteLost);
        /* SyncCoversAcked (§5 steps 1-2, what the takeover check relies on): an acknowledged write is at or below
         * initWal on the primary's history, or the sync already holds it. */
        hpos2 = 0;
        do
        :: hpos2 < ln[hS] && WL(hS, hpos2) != hw -> hpos2++
        :: else -> break
        od;
        SyncCoversAcked = (hpos < jL[stv] || hpos2 < ln[hS]);
        assert(SyncCoversAcked)
     :: else
     fi;
     hw++
  :: else -> break
  od;
  /* AtMostOneAckingPrimary */
  hcnt = 0; hm = 0;
  do
  :: hm < N -> canAck(hm, hok); if :: hok -> hcnt++ :: else fi; hm++
  :: else -> break
  od;
  AtMostOneAckingPrimary = (hcnt <= 1);
  assert(AtMostOneAckingPrimary);
  /* LeaseFence (§11): a primary counted absent and deposed stays fenced until it hears the new state */
  hm = 0;
  do
  :: hm < N -> LeaseFence = !(fencedOut[hm] && lease[hm]); assert(LeaseFence); hm++
  :: else -> break
  od;
#ifdef STANDBY
  hm = 0;
  do
  :: hm < N ->
     /* StandbyTakesNoWrites: no node of a standby cluster is promoted, holds a lease, or takes a commit */
     StandbyTakesNoWrites = (nw == 0 && !pr[hm] && !lease[hm]);
     assert(StandbyTakesNoWrites);
     /* FencedLeaderHolds: while a StopReceiving fence is up on the leader, its WAL stays where the raise read it (the
      * position promote-cluster declares as initWal) */
     FencedLeaderHolds = hm != jP[stv] || !stopped(hm) || (ln[hm] == fzl[hm] && tl[hm] == fzt[hm]);
     assert(FencedLeaderHolds);
     if :: !stopped(hm) -> fzl[hm] = 0; fzt[hm] = 0 :: else fi;   /* the ghost lives only while a fence is up */
     hm++
  :: else -> break
  od;
  /* LeaderHistoryIsWal (the model's own consistency): the source's history holds the leader's position exactly when the
   * leader's WAL is a prefix of the source's, so streaming (by WAL) and the stall check (by history) agree */
  hP = jP[stv];
  srcPrefix(hP, hok);
  srcHolds(tl[hP], ln[hP], hok2);
  LeaderHistoryIsWal = (hok == hok2);
  assert(LeaderHistoryIsWal);
  hok2 = false;
#endif
  hw = 0; hm = 0; hcnt = 0; hpos = 0; hpos2 = 0; hP = 0; hS = 0; hok = false
}

/* ---------------------------------------------------------------------------------------------------------
 * Processes
 * --------------------------------------------------------------------------------------------------------- */

proctype Node(byte n)
{
end:
  do
  /* a client commits on the node while it runs as primary with its lease */
  :: atomic { !calm && up[n] && isPrimV(n) && lease[n] && nw < W && ln[n] < W ->
       nw++; WL(n, ln[n]) = nw; ln[n]++;
       if
       :: wpn[nw] = n + 1; printf("TRAIL n%d commits w%d (on)\n", n, nw)    /* synchronous_commit = on: waits for the named sync */
       :: printf("TRAIL n%d commits w%d (cancelled)\n", n, nw)              /* the wait is cancelled: a WARNING, not an ack */
#ifdef MUT_LOCAL_COMMIT
       :: ack[nw] = true; printf("TRAIL n%d commits w%d (local, acked)\n", n, nw)  /* synchronous_commit = local with a sync named */
#endif
       fi;
       checkInv() }
  :: atomic { !calm && canStream(n) -> printf("TRAIL n%d streams from n%d\n", n, upOf(n)); streamStep(n); checkInv() }
  :: atomic { !calm && canRewindDeposed(n) -> printf("TRAIL n%d (deposed) rewinds onto n%d\n", n, jP[view[n]]); rewindDeposed(n); checkInv() }
  :: atomic { !calm && forkedStandby(n) -> printf("TRAIL n%d rewinds onto n%d if forked\n", n, jP[view[n]]); rewindStandby(n); checkInv() }
#ifdef STANDBY
  :: atomic { !calm && leaderFollows(n) && ln[n] < sln -> printf("TRAIL n%d (standby leader) streams from the source\n", n); followSource(n); checkInv() }
#ifndef MUT_LEADER_NO_REWIND
  :: atomic { !calm && leaderMayRewind(n) -> rewindLeader(n); checkInv() }
#endif
#endif
#ifndef MUT_NO_RECLONE
  :: atomic { !calm && stalledStandby(n) -> printf("TRAIL n%d is cloned afresh from n%d\n", n, upOf(n)); recloneStalled(n); checkInv() }
#endif
  /* a checkpoint removes old WAL (or a standby away longer than wal_keep_size covers) */
  :: atomic { !calm && up[n] && recycles < MAXRECYCLE && lo[n] < ln[n] -> printf("TRAIL n%d removes its WAL below %d\n", n, ln[n]); recycles++; lo[n] = ln[n]; checkInv() }
  :: atomic { !calm && canDeliver(n) -> printf("TRAIL n%d gets v%d\n", n, stv); deliver(n); checkInv() }
  /* a lift (late, perhaps from the old incarnation) arrives */
  :: atomic { !calm && up[n] && lf[n] != 0 -> printf("TRAIL n%d gets lift of probe %d\n", n, lf[n]); applyLift(n); checkInv() }
  /* faults */
  :: atomic { !calm && up[n] && crashes < MAXCRASH -> printf("TRAIL n%d crashes\n", n); crashes++; crash(n); checkInv() }
  :: atomic { !calm && !up[n] -> printf("TRAIL n%d restarts\n", n); up[n] = true; linked[n] = true; checkInv() }
  :: atomic { !calm && up[n] && linked[n] && cuts < MAXCUT -> printf("TRAIL n%d cut from coordinator\n", n); cuts++; linked[n] = false; checkInv() }
  :: atomic { !calm && up[n] && !linked[n] -> printf("TRAIL n%d heals\n", n); linked[n] = true; checkInv() }
  /* the lease runs out without contact with the coordinator: the primary fences itself */
  :: atomic { !calm && lease[n] && !linked[n] -> printf("TRAIL n%d lease expires\n", n); lease[n] = false; clearPending(n); checkInv() }
  /* the stale incarnation republishes its old state: a restarted node with nothing newer on disk applies it;
   * fixed, it never renews a lease (older than the node's own; the equal-version case is PrimaryLease's
   * majority check, outside this model) */
  :: atomic { !calm && oldv != 0 && up[n] && view[n] == 0 && oldv >= pver[n] -> printf("TRAIL n%d gets stale v%d from incarnation 1\n", n, oldv); adopt(n, oldv); checkInv() }
#ifdef MUT_STALE_LEASE
  :: atomic { !calm && oldv != 0 && up[n] && isPrimV(n) && !lease[n] -> printf("TRAIL n%d lease renewed by stale v%d\n", n, oldv); lease[n] = true; checkInv() }
#endif
  /* the stale incarnation's round: it raises StopReceiving for the state it holds, its CAS fails, it lifts */
  :: atomic { !calm && oldv != 0 && lf[n] == 0 ->
       raise(n, STOP, NONE, oldv, 1);
       if :: hokR -> printf("TRAIL incarnation 1 fences n%d (probe %d) and lifts it (late)\n", n, npr); sendLift(n) :: else fi;
       hokR = false;
       checkInv() }
  :: calm -> break
  od
}

proctype Coordinator()
{
end:
  do
  :: atomic { !calm && stv < MAXV -> printf("TRAIL coordinator evaluates\n"); rules(); checkInv() }
#ifdef STANDBY
  /* operator: promote-cluster (ClusterPromotion) fences the leader (StopReceiving) and reads its position behind the
   * fence. The promotion itself is not modelled: the round ends without a write and the unused fence is lifted (late). */
  :: atomic { !calm && stv < MAXV && ops < MAXOPS && reach(jP[stv]) && lf[jP[stv]] == 0 ->
       ops++;
       raise(jP[stv], STOP, NONE, stv, inc);
       if
       :: hokR -> printf("TRAIL operator: promote-cluster fences n%d (probe %d) at (%d,%d), goes no further and lifts it (late)\n", jP[stv], npr, tl[jP[stv]], ln[jP[stv]]);
          sendLift(jP[stv])
       :: else
       fi;
       hokR = false;
       checkInv() }
#else
  /* operator: switchover to the sync (rule 1; the sync takes over behind its fence, the primary is deposed) */
  :: atomic { !calm && stv < MAXV && ops < MAXOPS && present(jP[stv]) && reach(jS[stv]) && majority ->
       ops++; printf("TRAIL operator: switchover\n");
       hP = jP[stv]; hS = jS[stv]; hX = 3 - hP - hS;
       if
       :: present(hX) && !maint[hX] && jD[stv] != hX -> takeover(false)
       :: else
       fi;
       hok = false; hok2 = false; hokR = false;
       checkInv() }
#endif
  /* operator: rebuild a deposed peer (re-clone it from the primary; it comes back unassigned) */
  :: atomic { !calm && stv < MAXV && ops < MAXOPS && jD[stv] != NONE && reach(jD[stv]) && serving(jP[stv]) && isPrimV(jP[stv]) ->
       ops++; printf("TRAIL operator: rebuild n%d\n", jD[stv]);
       hx = jD[stv]; hP = jP[stv];
       hi = 0;
       do
       :: hi < W -> WL(hx, hi) = WL(hP, hi); hi++
       :: else -> break
       od;
       hi = 0;
       ln[hx] = ln[hP]; lo[hx] = ln[hP]; tl[hx] = tl[hP]; pr[hx] = false; rdP[hx] = 0; rdG[hx] = 0; rdT[hx] = 0;
       writeState(hP, jS[stv], jA[stv], NONE, jG[stv], jT[stv], jL[stv]);
       hx = 0;
       checkInv() }
  /* operator: reap a deposed peer that is gone */
  :: atomic { !calm && stv < MAXV && ops < MAXOPS && jD[stv] != NONE && !present(jD[stv]) ->
       ops++; printf("TRAIL operator: reap n%d\n", jD[stv]);
       writeState(jP[stv], jS[stv], jA[stv], NONE, jG[stv], jT[stv], jL[stv]);
       checkInv() }
#ifdef MAINT
  /* operator: maintenance on the async (MaintenanceMode: refused for the primary, the sync and a deposed peer). It
   * leaves the chain in the same write; from then on the rules treat it as gone, and its node runs no role. */
  :: atomic { !calm && stv < MAXV && ops < MAXOPS && jA[stv] != NONE && !maint[jA[stv]] ->
       ops++; printf("TRAIL operator: maintenance on n%d\n", jA[stv]);
       maint[jA[stv]] = true;
       writeState(jP[stv], jS[stv], NONE, jD[stv], jG[stv], jT[stv], jL[stv]);
       checkInv() }
  /* operator: maintenance off; the peer is a newcomer again, admitted only on the primary's history */
  :: atomic { !calm && stv < MAXV && (maint[0] || maint[1] || maint[2]) ->
       printf("TRAIL operator: maintenance off\n");
       maint[0] = false; maint[1] = false; maint[2] = false;
       writeState(jP[stv], jS[stv], jA[stv], jD[stv], jG[stv], jT[stv], jL[stv]);
       checkInv() }
#endif
  /* the singleton moves: incarnation 2 reads the journal; incarnation 1 lingers with the state it had */
#ifndef NO_HANDOVER
  :: atomic { !calm && inc == 1 -> printf("TRAIL coordinator moves: incarnation 2\n"); inc = 2; oldv = stv }
#endif
  :: calm -> break
  od
}

#ifdef STANDBY
/* The source cluster: writes, and failovers that promote its sync onto a new timeline, dropping the records the sync
 * lacked (never acknowledged at the source) and starting the timeline with a record of its own. */
proctype Source()
{
end:
  do
  :: atomic { !calm && sln < W && snw - sfo < SRCW -> snw++; sw[sln] = snw; sln++; printf("TRAIL source writes s%d\n", snw); checkInv() }
  :: atomic { !calm && sfo < MAXSRCFO && ntl < MAXTL ->
       hc = 0;                                   /* how much of its WAL the promoted sync held: any prefix */
       do
       :: hc < sln && hc + 1 < W -> hc++
       :: break
       od;
       hi = hc;
       do
       :: hi < sln -> sw[hi] = 0; hi++
       :: else -> break
       od;
       hi = 0;
       printf("TRAIL source fails over: its sync promoted at %d (of %d) onto timeline %d\n", hc, sln, ntl + 1);
       sfo++; sln = hc;
       ntl++; tlPar[ntl] = stl; tlFork[ntl] = hc; stl = ntl;
       snw++; sw[sln] = snw; sln++;              /* the new timeline's first record */
       hc = 0;
       checkInv() }
  :: calm -> break
  od
}
#endif

/* The fair schedule after the faults end: every node that is not lost for good runs and reaches the coordinator,
 * late lifts arrive, the coordinator delivers and evaluates, deposed and forked peers rewind, the chain streams. */
inline healAll() {
  hm = 0;
  do
  :: hm < N ->
     if
     :: !up[hm] ->
        if
        :: lost[hm] = true
        :: up[hm] = true; linked[hm] = true
        fi
     :: else -> linked[hm] = true
     fi;
     hm++
  :: else -> break
  od;
  oldv = 0;                                     /* the stale incarnation is gone */
  maint[0] = false; maint[1] = false; maint[2] = false;   /* the operator ends any maintenance */
  hk = 0;
  do
  :: hk < HEALROUNDS ->
     hm = 0;
     do
     :: hm < N ->
        if :: up[hm] && lf[hm] != 0 -> applyLift(hm) :: else fi;
        if :: canDeliver(hm) -> deliver(hm) :: else fi;
        hm++
     :: else -> break
     od;
     if :: stv < JV -> rules() :: else fi;
     hm = 0;
     do
     :: hm < N ->
        if :: canDeliver(hm) -> deliver(hm) :: else fi;
        if :: canRewindDeposed(hm) -> rewindDeposed(hm) :: else fi;
        if :: forkedStandby(hm) -> rewindStandby(hm) :: else fi;
#if defined(STANDBY) && !defined(MUT_LEADER_NO_REWIND)
        if :: leaderMayRewind(hm) -> rewindLeader(hm) :: else fi;
#endif
#ifndef MUT_NO_RECLONE
        if :: stalledStandby(hm) -> recloneStalled(hm) :: else fi;
#endif
        hm++
     :: else -> break
     od;
     hcnt = 0;
     do
     :: hcnt < 2 * W + 2 ->
        hm = 0;
        do
        :: hm < N ->
#ifdef STANDBY
           if :: leaderFollows(hm) && ln[hm] < sln -> followSource(hm) :: else fi;
#endif
           if :: canStream(hm) -> streamStep(hm) :: else fi; hm++
        :: else -> break
        od;
        hcnt++
     :: else -> break
     od;
     hcnt = 0;
     checkInv();
     hk++
  :: else -> break
  od;
  hk = 0; hm = 0
}

#if defined(STANDBY) && W == 3
inline dump() {
  printf("TRAIL   source tl %d wal [%d %d %d] len %d\n", stl, sw[0], sw[1], sw[2], sln);
  hm = 0;
  do
  :: hm < N ->
     printf("TRAIL   n%d up %d linked %d view v%d tl %d wal [%d %d %d] len %d fences %d lift %d\n",
            hm, up[hm], linked[hm], view[hm], tl[hm], WL(hm, 0), WL(hm, 1), WL(hm, 2), ln[hm], fset[hm], lf[hm]);
     hm++
  :: else -> break
  od;
  hm = 0
}
#else
inline dump() {
  hm = 0;
  do
  :: hm < N ->
     printf("TRAIL   n%d up %d linked %d view v%d pver %d lease %d pr %d tl %d wal [%d %d] len %d from %d fences %d marker (n%d g%d t%d) lift %d\n",
            hm, up[hm], linked[hm], view[hm], pver[hm], lease[hm], pr[hm], tl[hm], WL(hm, 0), WL(hm, W - 1), ln[hm], lo[hm], fset[hm], rdP[hm], rdG[hm], rdT[hm], lf[hm]);
     hm++
  :: else -> break
  od;
  hm = 0
}
#endif

proctype Environment()
{
  /* the faults end, from any reachable state */
  atomic {
    !calm -> calm = true;
    healAll();
#ifdef STANDBY
    /* LeaderFollowsSource: after the fair schedule the leader, unless lost for good (no leader replacement in this
     * scope), runs on the newest state, follows the source (no fence) and holds all of the source's WAL on its
     * timeline: it was rewound if a source failover left it forked. */
    hP = jP[stv]; hS = jS[stv]; hX = 3 - hP - hS;
    srcPrefix(hP, hok);
    LeaderFollowsSource = lost[hP] || (up[hP] && view[hP] == stv && !stopped(hP) && hok && ln[hP] == sln && tl[hP] == stl);
    if
    :: !LeaderFollowsSource -> printf("TRAIL faults end; after the fair schedule v%d leader n%d does not follow the source (at %d on timeline %d)\n", stv, hP, sln, stl); dump()
    :: else
    fi;
    assert(LeaderFollowsSource);
    /* ChainFollowsLeader: the sync holds the leader's WAL on its timeline, and the third node is the async and holds the
     * sync's, unless one they stream from is lost for good (no sync replacement in this scope) */
    ChainFollowsLeader = true;
    if
    :: !lost[hP] && !lost[hS] ->
       isPrefix(hS, hP, hok);
       ChainFollowsLeader = hok && ln[hS] == ln[hP] && tl[hS] == tl[hP] && view[hS] == stv
    :: else
    fi;
    if
    :: ChainFollowsLeader && !lost[hP] && !lost[hS] && !lost[hX] ->
       isPrefix(hX, hS, hok);
       ChainFollowsLeader = jA[stv] == hX && hok && ln[hX] == ln[hS] && tl[hX] == tl[hS] && view[hX] == stv
    :: else
    fi;
    if
    :: !ChainFollowsLeader -> printf("TRAIL faults end; after the fair schedule v%d the chain below leader n%d does not follow it\n", stv, hP); dump()
    :: else
    fi;
    assert(ChainFollowsLeader);
#else
    hP = jP[stv]; hS = jS[stv];
    canAck(hP, hok);
    /* WritableAfterFaults: a primary can acknowledge commits again, unless primary and sync are both lost
     * (PrimaryAndSyncLost), or fewer than two nodes remain (no takeover or sync change without a candidate), or
     * (FINDING, README) the primary is lost while the third node is still deposed: only a rewind onto the lost
     * primary could make it a candidate, so the sync cannot take over (NoAsyncAvailable). -DSTRICT_LIVENESS drops
     * that exception and shows the trail. */
    hX = 3 - hP - hS;
    WritableAfterFaults = hok || (lost[hP] && lost[hS]) || (lost[0] + lost[1] + lost[2] >= 2);
#ifndef STRICT_LIVENESS
    /* With the primary lost for good, only the sync's takeover can bring writes back, and the rules refuse it
     * (safety first, §5) while the sync is short of initWal on its history (NotCaughtUp) or the third node is no
     * candidate: deposed, or off the sync's history (it could rewind only onto the lost primary). */
    if
    :: lost[hP] && !WritableAfterFaults ->
       onHistory(hS, jT[stv], jL[stv], hok2);
       isPrefix(hX, hS, hok);
       WritableAfterFaults = !hok2 || jD[stv] == hX || !hok
    :: else
    fi;
#endif
    if
    :: !WritableAfterFaults -> printf("TRAIL faults end; after the fair schedule v%d primary n%d sync n%d; lost %d%d%d\n", stv, hP, hS, lost[0], lost[1], lost[2]); dump()
    :: else
    fi;
    assert(WritableAfterFaults);
    /* ChainStreams (liveness, finding 10): after the fair schedule, the state's async can stream from its upstream
     * (the sync) whenever both run: it is not stuck below the WAL the sync still holds. */
    hX = jA[stv];
    ChainStreams = hX == NONE || !up[hX] || view[hX] != stv || !serving(jS[stv]) || ln[hX] >= lo[jS[stv]];
    if
    :: !ChainStreams -> printf("TRAIL faults end; after the fair schedule v%d async n%d cannot stream from sync n%d\n", stv, hX, jS[stv]); dump()
    :: else
    fi;
    assert(ChainStreams);
#endif
    over = true;
    hP = 0; hS = 0; hok = false
  }
}

init {
  atomic {
    /* version 1: primary n0, sync n1, async n2, generation 1, initWal (timeline 1, lsn 0); every node applied it */
    jP[0] = NONE; jS[0] = NONE; jA[0] = NONE; jD[0] = NONE;
    jP[1] = 0; jS[1] = 1; jA[1] = 2; jD[1] = NONE; jG[1] = 1; jT[1] = 1; jL[1] = 0;
    hm = 0;
    do
    :: hm < N -> up[hm] = true; linked[hm] = true; view[hm] = 1; pver[hm] = 1; tl[hm] = 1; hm++
    :: else -> break
    od;
    hm = 0;
#ifdef STANDBY
    run Source();                               /* n0 leads the standby cluster: a standby, no lease */
#else
    pr[0] = true; lease[0] = true;
#endif
    run Node(0); run Node(1); run Node(2); run Coordinator();
#ifndef NO_LIVENESS
    run Environment();
#endif
    skip
  }
}
