/* store_followup: the follow-up ledger, part of the store module (every SQL
 * statement of the ledger is in store_followup.c). A follow-up is one action
 * (task, email, stage-check, script) for one contact, due at a UTC time, under
 * an idempotency key; its status goes pending → claimed → done | failed |
 * skipped, or pending → cancelled. */
#ifndef HEED_STORE_FOLLOWUP_H
#define HEED_STORE_FOLLOWUP_H

#include "store.h"

typedef struct heed_followup {
	int64_t id, contact;
	char *key, *policy, *action, *tmpl, *title, *payload, *tz, *status, *last_error, *result;
	char *claimed_by;
	heed_time due_at, claimed_at, lease_until, created_at, finished_at;
	int attempts, depth;
} heed_followup;
void heed_followup_clear(heed_followup *f); /* frees the strings, zeroes f */
void heed_followups_free(heed_followup *v, size_t n);

/* Add f (its key, policy, contact, action, due_at, tz, tmpl, title, payload,
 * depth) as pending, unless a follow-up with that key exists: then nothing
 * changes. OUT: *created = 1 if added. Run inside a write transaction for speed. */
int heed_store_fu_add(heed_store *s, const heed_followup *f, int *created, char **err);

/* A follow-up as evaluation compares against it: its key (which starts with
 * "<policy>|") and status. */
typedef struct heed_fu_ref {
	int64_t id, contact;
	char *key;
	int pending; /* status is pending */
} heed_fu_ref;
/* Every follow-up of contacts lo..hi, by contact then key. OUT: *v, *n (free
 * with heed_fu_refs_free). */
int heed_store_fu_refs(heed_store *s, int64_t lo, int64_t hi, heed_fu_ref **v, size_t *n, char **err);
void heed_fu_refs_free(heed_fu_ref *v, size_t n);

/* Cancel follow-up id if it is still pending, with reason as its last error. */
int heed_store_fu_cancel(heed_store *s, int64_t id, const char *reason, heed_time at, char **err);

/* Claim up to limit due follow-ups (pending and due by now, or claimed with a
 * lease run out) for `who` until now + lease, in one write transaction: two
 * claimers never get the same one. Attempts count up. OUT: *v, *n by due time
 * (free with heed_followups_free). */
int heed_store_fu_claim(heed_store *s, const char *who, heed_time now, heed_time lease, long limit,
                        heed_followup **v, size_t *n, char **err);

/* Finish follow-up id claimed by who: status done, failed or skipped (with
 * error and result text), or pending again at retry_at (a retry). OUT: *mine =
 * 0 when who no longer holds the claim (nothing changed). Inside or outside a
 * write transaction. */
int heed_store_fu_finish(heed_store *s, int64_t id, const char *who, const char *status,
                         const char *error, const char *result, heed_time at, heed_time retry_at,
                         int *mine, char **err);

/* Hand every follow-up claimed by who back (pending, claim cleared). OUT: *n released. */
int heed_store_fu_release(heed_store *s, const char *who, long *n, char **err);

/* Follow-ups for `due`: pending ones (and claims whose lease ran out) due by
 * until; with status set, every follow-up in that status instead (any time).
 * limit <= 0 = all. OUT: *v, *n ordered by due time (free with heed_followups_free). */
int heed_store_fu_list(heed_store *s, heed_time until, const char *status, long limit,
                       heed_followup **v, size_t *n, char **err);

/* Number of follow-ups per status (pending, claimed, done, failed, cancelled,
 * skipped, in that order). OUT: counts[6]. */
int heed_store_fu_counts(heed_store *s, long counts[6], char **err);

#endif
