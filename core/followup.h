/* followup: follow-ups from policies to done. Evaluation runs every policy of
 * the loaded plugins over contacts and reconciles the ledger: a follow-up a
 * policy asks for is added once (its idempotency key), a pending one it no
 * longer asks for is cancelled. Running claims due follow-ups (so concurrent
 * runners never share one), executes them (task, email, stage-check, script)
 * and records the outcome. A policy whose follow-ups trigger it again is
 * stopped at a depth guard. Owns no global state. */
#ifndef HEED_FOLLOWUP_H
#define HEED_FOLLOWUP_H

#include <signal.h>
#include <stdint.h>

#include "plugin.h"
#include "store.h"

#define HEED_FU_MAX_DEPTH 5  /* follow-ups made by follow-ups, before the loop guard stops a policy */
#define HEED_FU_LEASE 300    /* seconds a claim holds before another runner may take it over */

/* Messages the follow-up engine reports without stopping (a failing plugin,
 * a loop stopped, a follow-up that failed). */
typedef void (*heed_fu_warn)(void *ud, const char *msg);

typedef struct heed_fu_eval {
	heed_store *s;
	heed_plugins *p;
	const char *zone;     /* default zone; NULL = the store's `timezone` setting, else UTC */
	int max_depth;        /* 0 = HEED_FU_MAX_DEPTH */
	heed_fu_warn warn;
	void *ud;
	volatile sig_atomic_t *stop; /* set (by a signal) to stop after the contact in hand */
	/* OUT: what happened */
	long contacts, created, cancelled, errors, stopped;
	struct fu_evalstate *st; /* internal; freed by heed_followup_eval_done */
} heed_fu_eval;

/* Evaluate every policy over every contact (each chunk one transaction).
 * Plugin failures are warned and counted, and leave that policy's pending
 * follow-ups of that contact alone. */
int heed_followup_eval_all(heed_fu_eval *ev, char **err);
/* Evaluate the policies for one contact, in its own transaction (after an
 * event or a stage move). */
int heed_followup_eval_contact(heed_fu_eval *ev, int64_t id, char **err);
void heed_followup_eval_done(heed_fu_eval *ev);

typedef struct heed_fu_run {
	heed_fu_eval *ev;      /* store, plugins, warnings; re-evaluates contacts a task touched */
	const char *who;       /* claimer id; NULL = host:pid */
	heed_time lease;       /* 0 = HEED_FU_LEASE */
	long batch;            /* follow-ups per claim; 0 = 200 */
	volatile sig_atomic_t *stop; /* set (by a signal) to stop after the follow-up in hand */
	/* OUT */
	long done, failed, skipped, retried, released;
} heed_fu_run;

/* Claim and execute due follow-ups until none is due (or *stop). On stop the
 * claims not yet executed are released. HEED_CRASH_AT=N kills the process
 * (SIGKILL) while finishing its Nth follow-up, for crash-recovery tests. */
int heed_followup_run(heed_fu_run *r, char **err);

/* The scripts folder, found like the plugins folder: $HEED_SCRIPTS, else
 * ./scripts when it is a folder, else the shipped scripts. Static text or the
 * environment's; script follow-ups and the daemon's schedules read it. */
const char *heed_scripts_dir(void);

#endif
