/*
 * appliance_guard: refuses a commit that would be acknowledged before the synchronous standby holds it.
 *
 * The appliance promises that no acknowledged write is lost: the primary names one sync in
 * synchronous_standby_names and appliance.conf sets synchronous_commit = on, so a commit is acknowledged only once
 * the sync has flushed it, and a takeover by the sync keeps it. But synchronous_commit is a user setting: any
 * client can lower it (SET, SET LOCAL, ALTER ROLE/DATABASE ... SET, ALTER SYSTEM, PGOPTIONS) and get a commit
 * acknowledged by the primary alone. This library closes that hole: while a synchronous standby is named, a client
 * transaction that will write a commit (or prepare) record is refused at pre-commit if the effective level is off,
 * local or remote_write. on and remote_apply stay allowed; read-only transactions (no XID) are never touched.
 *
 * Load it with shared_preload_libraries = 'appliance_guard' (appliance.conf does). SHOW appliance_guard.enabled
 * says "on" once it is loaded, which is how the node checks it.
 *
 * Limits, stated plainly:
 *  - A superuser can always bypass it (it can set appliance_guard.allow_local_commit, change
 *    shared_preload_libraries, or edit the files). Applications must not connect as a superuser.
 *    appliance_guard.allow_local_commit (PGC_SUSET, so only a superuser can set it) exists for the appliance's
 *    own bootstrap transaction, which creates the replication role before the sync can connect.
 *  - A commit whose wait for the sync is cancelled (statement_timeout, pg_cancel_backend, a dropped connection)
 *    is kept locally; PostgreSQL only sends the WARNING "canceling wait for synchronous replication". No server
 *    code can undo that; clients must treat that WARNING as a failed commit (ApplianceClient does).
 *  - Background workers (logical replication apply, for instance) are not client backends and are not checked.
 *
 * Build: make -C ext/appliance_guard install (needs postgresql-server-dev-15).
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "replication/syncrep.h"
#include "tcop/utility.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Read-only marker: lets the node confirm that the library is really loaded. */
static bool guard_enabled = true;

/* Superuser-only escape hatch for the appliance's bootstrap transaction. */
static bool allow_local_commit = false;

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static bool
sync_standby_named(void)
{
	return SyncRepStandbyNames != NULL && SyncRepStandbyNames[0] != '\0';
}

/*
 * Raises the error if a commit acknowledged now could be lost by a takeover. "what" names the record
 * ("commit", "PREPARE TRANSACTION", "COMMIT PREPARED").
 */
static void
check_commit_level(const char *what)
{
	const char *level;

	if (allow_local_commit || MyBackendType != B_BACKEND || !sync_standby_named())
		return;
	if (synchronous_commit >= SYNCHRONOUS_COMMIT_REMOTE_FLUSH)
		return;

	level = GetConfigOption("synchronous_commit", false, false);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("synchronous_commit = %s is not allowed while a synchronous standby is named",
					level ? level : "?"),
			 errdetail("This %s would be acknowledged before the synchronous standby (synchronous_standby_names = '%s') holds it, "
					   "so a takeover by that standby would lose it. The transaction was rolled back.",
					   what, SyncRepStandbyNames),
			 errhint("Use synchronous_commit = on (or remote_apply). Look for a lower value set by SET, SET LOCAL, "
					 "ALTER ROLE ... SET, ALTER DATABASE ... SET, ALTER SYSTEM or PGOPTIONS, and remove it.")));
}

static void
guard_xact_callback(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE)
		return;
	/* Without an XID there is no commit record to lose: read-only transactions pass untouched. */
	if (!TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return;
	check_commit_level(event == XACT_EVENT_PRE_PREPARE ? "PREPARE TRANSACTION" : "commit");
}

/*
 * COMMIT PREPARED writes its commit record (and waits, or not, for the sync) while executing, inside a transaction
 * of its own that has no XID, so the pre-commit callback never sees it.
 */
static void
guard_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					 ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;

	if (IsA(stmt, TransactionStmt) && ((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED)
		check_commit_level("COMMIT PREPARED");

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

void
_PG_init(void)
{
	DefineCustomBoolVariable("appliance_guard.enabled",
							 "Shows that appliance_guard is loaded (read-only).",
							 NULL,
							 &guard_enabled,
							 true,
							 PGC_INTERNAL,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("appliance_guard.allow_local_commit",
							 "Lets this superuser session commit below synchronous_commit = on while a synchronous standby is named.",
							 "Only for the appliance's bootstrap transaction; a commit it allows can be lost by a takeover.",
							 &allow_local_commit,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("appliance_guard");

	RegisterXactCallback(guard_xact_callback, NULL);
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = guard_ProcessUtility;
}
