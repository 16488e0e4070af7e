/* store_followup: the follow-up ledger's SQL (see store_followup.h). Its
 * statements are prepared once per connection, beside the store's own. */
#include "store_followup.h"

#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

enum fu_id {
	FU_ADD,
	FU_PENDING,
	FU_CANCEL,
	FU_CLAIM,
	FU_FINISH,
	FU_RETRY,
	FU_RELEASE,
	FU_DUE,
	FU_STATUS,
	FU_COUNTS,
	FU_COUNT
};

struct fu_stmts {
	sqlite3_stmt *st[FU_COUNT];
};

#define FU_COLS                                                                              \
	"id, contact_id, key, policy, action, template, title, payload, tz, status, last_error, " \
	"result, claimed_by, due_at, claimed_at, lease_until, created_at, finished_at, attempts, depth"

static const char *const fu_sql[FU_COUNT] = {
	[FU_ADD] = "INSERT INTO followups(key, policy, contact_id, action, due_at, tz, template, title,"
	           " payload, depth, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	           " ON CONFLICT(contact_id, key) DO NOTHING",
	[FU_PENDING] = "SELECT id, contact_id, key, status = 'pending' FROM followups INDEXED BY followups_contact"
	               " WHERE contact_id BETWEEN ?1 AND ?2 ORDER BY contact_id, key",
	[FU_CANCEL] = "UPDATE followups SET status = 'cancelled', last_error = ?2, finished_at = ?3"
	              " WHERE id = ?1 AND status = 'pending'",
	[FU_CLAIM] = "UPDATE followups SET status = 'claimed', claimed_by = ?1, claimed_at = ?2,"
	             " lease_until = ?2 + ?3, attempts = attempts + 1 WHERE id IN (SELECT id FROM followups"
	             " WHERE (status = 'pending' AND due_at <= ?2) OR (status = 'claimed' AND lease_until <= ?2)"
	             " ORDER BY due_at, id LIMIT ?4) RETURNING " FU_COLS,
	[FU_FINISH] = "UPDATE followups SET status = ?3, last_error = ?4, result = ?5, finished_at = ?6,"
	              " lease_until = NULL WHERE id = ?1 AND status = 'claimed' AND claimed_by = ?2",
	[FU_RETRY] = "UPDATE followups SET status = 'pending', last_error = ?4, result = ?5, due_at = ?6,"
	             " claimed_by = NULL, claimed_at = NULL, lease_until = NULL"
	             " WHERE id = ?1 AND status = 'claimed' AND claimed_by = ?2",
	[FU_RELEASE] = "UPDATE followups SET status = 'pending', claimed_by = NULL, claimed_at = NULL,"
	               " lease_until = NULL WHERE status = 'claimed' AND claimed_by = ?1",
	[FU_DUE] = "SELECT " FU_COLS " FROM followups WHERE (status = 'pending' AND due_at <= ?1)"
	           " OR (status = 'claimed' AND lease_until <= ?1) ORDER BY due_at, id LIMIT ?2",
	[FU_STATUS] = "SELECT " FU_COLS " FROM followups WHERE status = ?1 ORDER BY due_at, id LIMIT ?2",
	[FU_COUNTS] = "SELECT status, count(*) FROM followups GROUP BY status",
};

void heed_store_fu_close(heed_store *s)
{
	if (!s->fu)
		return;
	for (int i = 0; i < FU_COUNT; i++)
		sqlite3_finalize(s->fu->st[i]);
	free(s->fu);
	s->fu = NULL;
}

/* The prepared statement id, reset; NULL with *rc and *err set on failure (sticky). */
static sqlite3_stmt *fu_stmt(heed_store *s, int id, int *rc, char **err)
{
	if (*rc != HEED_OK)
		return NULL;
	if (!s->fu)
		s->fu = xcalloc(1, sizeof *s->fu);
	sqlite3_stmt *st = s->fu->st[id];
	if (!st) {
		if (sqlite3_prepare_v3(s->db, fu_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			*rc = heed_store_fail(s, "prepare (follow-ups)", err);
			return NULL;
		}
		s->fu->st[id] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

void heed_followup_clear(heed_followup *f)
{
	char **strs[] = { &f->key, &f->policy, &f->action, &f->tmpl, &f->title, &f->payload, &f->tz,
		          &f->status, &f->last_error, &f->result, &f->claimed_by };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	memset(f, 0, sizeof *f);
}

void heed_followups_free(heed_followup *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		heed_followup_clear(&v[i]);
	free(v);
}

static heed_time col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

static void read_row(sqlite3_stmt *st, heed_followup *f)
{
	f->id = sqlite3_column_int64(st, 0);
	f->contact = sqlite3_column_int64(st, 1);
	char **strs[] = { &f->key, &f->policy, &f->action, &f->tmpl, &f->title, &f->payload, &f->tz,
		          &f->status, &f->last_error, &f->result, &f->claimed_by };
	for (int i = 0; i < 11; i++)
		*strs[i] = heed_store_col_text(st, 2 + i);
	f->due_at = col_time(st, 13);
	f->claimed_at = col_time(st, 14);
	f->lease_until = col_time(st, 15);
	f->created_at = col_time(st, 16);
	f->finished_at = col_time(st, 17);
	f->attempts = sqlite3_column_int(st, 18);
	f->depth = sqlite3_column_int(st, 19);
}

/* Step st to the end, collecting rows. */
static int read_rows(heed_store *s, sqlite3_stmt *st, const char *what, heed_followup **v, size_t *n,
                     char **err)
{
	size_t cap = 0;
	int r, rc = HEED_OK;
	*v = NULL;
	*n = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*v = xrealloc(*v, cap * sizeof **v);
		}
		read_row(st, &(*v)[(*n)++]);
	}
	if (r != SQLITE_DONE) {
		rc = heed_store_fail(s, what, err);
		heed_followups_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int heed_store_fu_add(heed_store *s, const heed_followup *f, int *created, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = fu_stmt(s, FU_ADD, &rc, err);
	*created = 0;
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, f->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->policy, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->contact);
	sqlite3_bind_text(st, 4, f->action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, f->due_at);
	heed_store_bind_text(st, 6, f->tz);
	heed_store_bind_text(st, 7, f->tmpl);
	heed_store_bind_text(st, 8, f->title);
	heed_store_bind_text(st, 9, f->payload);
	sqlite3_bind_int(st, 10, f->depth);
	sqlite3_bind_int64(st, 11, f->created_at ? f->created_at : heed_time_now());
	heed_store_step_done(s, st, "add follow-up", &rc, err);
	if (rc == HEED_OK)
		*created = sqlite3_changes(s->db) > 0;
	return rc;
}

void heed_fu_refs_free(heed_fu_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
	}
	free(v);
}

int heed_store_fu_refs(heed_store *s, int64_t lo, int64_t hi, heed_fu_ref **v, size_t *n, char **err)
{
	int rc = HEED_OK, r;
	size_t cap = 0;
	sqlite3_stmt *st = fu_stmt(s, FU_PENDING, &rc, err);
	*v = NULL;
	*n = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*v = xrealloc(*v, cap * sizeof **v);
		}
		heed_fu_ref *x = &(*v)[(*n)++];
		x->id = sqlite3_column_int64(st, 0);
		x->contact = sqlite3_column_int64(st, 1);
		x->key = heed_store_col_text(st, 2);
		x->pending = sqlite3_column_int(st, 3);
	}
	if (r != SQLITE_DONE) {
		rc = heed_store_fail(s, "read follow-ups", err);
		heed_fu_refs_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int heed_store_fu_cancel(heed_store *s, int64_t id, const char *reason, heed_time at, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = fu_stmt(s, FU_CANCEL, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	heed_store_bind_text(st, 2, reason);
	sqlite3_bind_int64(st, 3, at);
	heed_store_step_done(s, st, "cancel follow-up", &rc, err);
	return rc;
}

static int by_due(const void *a, const void *b)
{
	const heed_followup *x = a, *y = b;
	if (x->due_at != y->due_at)
		return x->due_at < y->due_at ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int heed_store_fu_claim(heed_store *s, const char *who, heed_time now, heed_time lease, long limit,
                        heed_followup **v, size_t *n, char **err)
{
	*v = NULL;
	*n = 0;
	int rc = heed_store_begin(s, err);
	sqlite3_stmt *st = fu_stmt(s, FU_CLAIM, &rc, err);
	if (st) {
		sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, lease);
		sqlite3_bind_int64(st, 4, limit);
		rc = read_rows(s, st, "claim follow-ups", v, n, err);
	}
	if (rc == HEED_OK)
		rc = heed_store_commit(s, err);
	else if (s->in_txn)
		heed_store_rollback(s);
	if (rc != HEED_OK) {
		heed_followups_free(*v, *n);
		*v = NULL;
		*n = 0;
		return rc;
	}
	if (*n > 1)
		qsort(*v, *n, sizeof **v, by_due);
	return HEED_OK;
}

int heed_store_fu_finish(heed_store *s, int64_t id, const char *who, const char *status,
                         const char *error, const char *result, heed_time at, heed_time retry_at,
                         int *mine, char **err)
{
	int rc = HEED_OK, retry = strcmp(status, "pending") == 0;
	sqlite3_stmt *st = fu_stmt(s, retry ? FU_RETRY : FU_FINISH, &rc, err);
	*mine = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	heed_store_bind_text(st, 4, error);
	heed_store_bind_text(st, 5, result);
	sqlite3_bind_int64(st, 6, retry ? retry_at : at);
	heed_store_step_done(s, st, "finish follow-up", &rc, err);
	if (rc == HEED_OK)
		*mine = sqlite3_changes(s->db) > 0;
	return rc;
}

int heed_store_fu_release(heed_store *s, const char *who, long *n, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = fu_stmt(s, FU_RELEASE, &rc, err);
	*n = 0;
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
	heed_store_step_done(s, st, "release follow-ups", &rc, err);
	if (rc == HEED_OK)
		*n = (long)sqlite3_changes(s->db);
	return rc;
}

int heed_store_fu_list(heed_store *s, heed_time until, const char *status, long limit,
                       heed_followup **v, size_t *n, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = fu_stmt(s, status ? FU_STATUS : FU_DUE, &rc, err);
	*v = NULL;
	*n = 0;
	if (!st)
		return rc;
	if (status)
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, until);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	return read_rows(s, st, "list follow-ups", v, n, err);
}

static const char *const statuses[6] = { "pending", "claimed", "done", "failed", "cancelled", "skipped" };

int heed_store_fu_counts(heed_store *s, long counts[6], char **err)
{
	int rc = HEED_OK, r;
	sqlite3_stmt *st = fu_stmt(s, FU_COUNTS, &rc, err);
	memset(counts, 0, 6 * sizeof counts[0]);
	if (!st)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		for (int i = 0; i < 6; i++)
			if (k && strcmp(k, statuses[i]) == 0)
				counts[i] = (long)sqlite3_column_int64(st, 1);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "count follow-ups", err);
	sqlite3_reset(st);
	return rc;
}
