/* store_mail: the outbox table's statements (see store_mail.h). Part of the
 * store module: prepared once per connection in s->mst, finalized at close. */
#include "store_mail.h"

#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

enum {
	MS_BY_KEY,
	MS_BY_ID,
	MS_INSERT,
	MS_CLAIM,
	MS_FINISH,
	MS_COUNT_DAY,
	MS_DUE,
	MS_LIST,
	MS_LIST_STATUS,
	MS_BLOCK,
	MS_SKIP,
	MS_COUNTS,
	MS_REQUEUE,
	MS_DEFER,
	MS_DEFER_DUE,
	MS_N
};

_Static_assert((int)MS_N <= (int)STORE_NMAIL, "store_int.h: STORE_NMAIL must hold every statement of store_mail.c");

#define OUT_COLS "id, coalesce(contact_id, 0), key, template, rcpt, sender, subject, message," \
	" message_id, status, last_error, transport, attempts, next_at, created_at, handed_at, done_at"
#define OUT_COLS_BARE "id, coalesce(contact_id, 0), key, template, rcpt, sender, subject, NULL," \
	" message_id, status, last_error, transport, attempts, next_at, created_at, handed_at, done_at"

static const char *const mail_sql[MS_N] = {
	[MS_BY_KEY] = "SELECT " OUT_COLS " FROM outbox WHERE key = ?1",
	[MS_BY_ID] = "SELECT " OUT_COLS " FROM outbox WHERE id = ?1",
	[MS_INSERT] = "INSERT INTO outbox(key, contact_id, template, rcpt, sender, subject, message,"
	              " message_id, status, attempts, next_at, last_error, created_at, done_at)"
	              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, ?12, ?13)",
	/* the cap's count and the claim are one statement, so processes sending at
	 * once respect the cap together; outbox_handed keeps the count to the
	 * day's hand-overs (at most the cap), however long the queue is */
	[MS_CLAIM] = "UPDATE outbox SET status = 'sending', attempts = attempts + 1, handed_at = ?2,"
	             " transport = ?3, next_at = NULL WHERE id = ?1 AND status = 'queued'"
	             " AND (?4 <= 0 OR (SELECT count(*) FROM outbox WHERE handed_at >= ?5"
	             "   AND handed_at < ?5 + 86400) < ?4)",
	[MS_FINISH] = "UPDATE outbox SET status = ?2, done_at = ?3, next_at = ?4, last_error = ?5"
	              " WHERE id = ?1",
	[MS_COUNT_DAY] = "SELECT count(*) FROM outbox WHERE handed_at >= ?1 AND handed_at < ?2",
	[MS_DUE] = "SELECT id FROM outbox WHERE status = 'queued' AND next_at <= ?1"
	           " ORDER BY next_at, id LIMIT ?2",
	[MS_LIST] = "SELECT " OUT_COLS_BARE " FROM outbox ORDER BY id DESC LIMIT ?1",
	[MS_LIST_STATUS] = "SELECT " OUT_COLS_BARE " FROM outbox WHERE status = ?2 ORDER BY id DESC LIMIT ?1",
	[MS_BLOCK] = "SELECT c.email, c.do_not_contact, a.kind, a.at FROM contacts c"
	             " LEFT JOIN (SELECT kind, at FROM activities WHERE contact_id = ?1"
	             "   AND kind IN ('unsubscribe', 'bounce', 'subscribe') ORDER BY at DESC, id DESC LIMIT 1) a"
	             " WHERE c.id = ?1",
	[MS_SKIP] = "UPDATE outbox SET status = 'skipped', done_at = ?2, next_at = NULL, last_error = ?3"
	            " WHERE id = ?1 AND status = 'queued'",
	[MS_COUNTS] = "SELECT status, count(*) FROM outbox GROUP BY status",
	[MS_REQUEUE] = "UPDATE outbox SET status = 'queued', next_at = ?2, done_at = NULL,"
	               " last_error = 'put back in the queue by hand (it was ' || status"
	               "   || coalesce(': ' || last_error, '') || ')'"
	               " WHERE id = ?1 AND status IN ('sending', 'failed')",
	[MS_DEFER] = "UPDATE outbox SET next_at = ?2, last_error = ?3 WHERE id = ?1 AND status = 'queued'",
	[MS_DEFER_DUE] = "UPDATE outbox SET next_at = ?2, last_error = ?3"
	                 " WHERE status = 'queued' AND next_at <= ?1",
};

static sqlite3_stmt *mstmt(heed_store *s, int id, int *rc, char **err)
{
	if (*rc != HEED_OK)
		return NULL;
	sqlite3_stmt *st = s->mst[id];
	if (!st) {
		if (sqlite3_prepare_v3(s->db, mail_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
		    SQLITE_OK) {
			*rc = heed_store_fail(s, "prepare outbox statement", err);
			return NULL;
		}
		s->mst[id] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

void heed_outmsg_clear(heed_outmsg *m)
{
	free(m->key);
	free(m->tmpl);
	free(m->rcpt);
	free(m->sender);
	free(m->subject);
	free(m->message);
	free(m->message_id);
	free(m->status);
	free(m->last_error);
	free(m->transport);
	memset(m, 0, sizeof *m);
}

void heed_outmsgs_free(heed_outmsg *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		heed_outmsg_clear(&v[i]);
	free(v);
}

static heed_time col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

static void read_row(sqlite3_stmt *st, heed_outmsg *m)
{
	m->id = sqlite3_column_int64(st, 0);
	m->contact = sqlite3_column_int64(st, 1);
	m->key = heed_store_col_text(st, 2);
	m->tmpl = heed_store_col_text(st, 3);
	m->rcpt = heed_store_col_text(st, 4);
	m->sender = heed_store_col_text(st, 5);
	m->subject = heed_store_col_text(st, 6);
	m->message = heed_store_col_text(st, 7);
	m->message_id = heed_store_col_text(st, 8);
	m->status = heed_store_col_text(st, 9);
	m->last_error = heed_store_col_text(st, 10);
	m->transport = heed_store_col_text(st, 11);
	m->attempts = sqlite3_column_int(st, 12);
	m->next_at = col_time(st, 13);
	m->created_at = col_time(st, 14);
	m->handed_at = col_time(st, 15);
	m->done_at = col_time(st, 16);
}

static int get_one(heed_store *s, sqlite3_stmt *st, heed_outmsg *m, int rc, char **err)
{
	memset(m, 0, sizeof *m);
	if (!st)
		return rc;
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		read_row(st, m);
	else if (r == SQLITE_DONE)
		rc = HEED_ENOTFOUND;
	else
		rc = heed_store_fail(s, "outbox read", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_outbox_by_key(heed_store *s, const char *key, heed_outmsg *m, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_BY_KEY, &rc, err);
	if (st)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return get_one(s, st, m, rc, err);
}

int heed_store_outbox_get(heed_store *s, int64_t id, heed_outmsg *m, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_BY_ID, &rc, err);
	if (st)
		sqlite3_bind_int64(st, 1, id);
	rc = get_one(s, st, m, rc, err);
	if (rc == HEED_ENOTFOUND)
		heed_seterr(err, "outbox: no message %lld", (long long)id);
	return rc;
}

int heed_store_outbox_insert(heed_store *s, heed_outmsg *m, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_INSERT, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, m->key, -1, SQLITE_STATIC);
	if (m->contact > 0)
		sqlite3_bind_int64(st, 2, m->contact);
	sqlite3_bind_text(st, 3, m->tmpl, -1, SQLITE_STATIC);
	heed_store_bind_text(st, 4, m->rcpt);
	heed_store_bind_text(st, 5, m->sender);
	heed_store_bind_text(st, 6, m->subject);
	heed_store_bind_text(st, 7, m->message);
	heed_store_bind_text(st, 8, m->message_id);
	sqlite3_bind_text(st, 9, m->status, -1, SQLITE_STATIC);
	heed_store_bind_time(st, 10, m->next_at);
	heed_store_bind_text(st, 11, m->last_error);
	sqlite3_bind_int64(st, 12, m->created_at);
	heed_store_bind_time(st, 13, m->done_at);
	heed_store_step_done(s, st, "outbox insert", &rc, err);
	if (rc == HEED_OK)
		m->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int heed_store_outbox_claim(heed_store *s, int64_t id, heed_time at, const char *transport,
                            long cap, heed_time day, int *claimed, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_CLAIM, &rc, err);
	*claimed = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	heed_store_bind_text(st, 3, transport);
	sqlite3_bind_int64(st, 4, cap);
	sqlite3_bind_int64(st, 5, day);
	heed_store_step_done(s, st, "outbox claim", &rc, err);
	if (rc == HEED_OK)
		*claimed = sqlite3_changes(s->db) == 1;
	return rc;
}

int heed_store_outbox_finish(heed_store *s, int64_t id, const char *status, heed_time at,
                             heed_time next_at, const char *error, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_FINISH, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	if (strcmp(status, "queued") != 0)
		sqlite3_bind_int64(st, 3, at);
	heed_store_bind_time(st, 4, next_at);
	heed_store_bind_text(st, 5, error);
	heed_store_step_done(s, st, "outbox finish", &rc, err);
	return rc;
}

int heed_store_outbox_skip(heed_store *s, int64_t id, heed_time at, const char *reason, int *done,
                           char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_SKIP, &rc, err);
	*done = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	heed_store_bind_text(st, 3, reason);
	heed_store_step_done(s, st, "outbox skip", &rc, err);
	if (rc == HEED_OK)
		*done = sqlite3_changes(s->db) == 1;
	return rc;
}

int heed_store_outbox_defer(heed_store *s, int64_t id, heed_time at, heed_time next_at,
                             const char *reason, long *n, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, id > 0 ? MS_DEFER : MS_DEFER_DUE, &rc, err);
	*n = 0;
	if (!st)
		return rc;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	else
		sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int64(st, 2, next_at);
	heed_store_bind_text(st, 3, reason);
	heed_store_step_done(s, st, "outbox defer", &rc, err);
	if (rc == HEED_OK)
		*n = (long)sqlite3_changes(s->db);
	return rc;
}

int heed_store_outbox_requeue(heed_store *s, int64_t id, heed_time at, int *done, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_REQUEUE, &rc, err);
	*done = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	heed_store_step_done(s, st, "outbox requeue", &rc, err);
	if (rc == HEED_OK)
		*done = sqlite3_changes(s->db) == 1;
	return rc;
}

int heed_store_outbox_counts(heed_store *s, long counts[5], char **err)
{
	static const char *const names[5] = { "queued", "sending", "sent", "failed", "skipped" };
	int rc = HEED_OK, r;
	sqlite3_stmt *st = mstmt(s, MS_COUNTS, &rc, err);
	memset(counts, 0, 5 * sizeof counts[0]);
	if (!st)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 0);
		for (int i = 0; i < 5; i++)
			if (status && strcmp(status, names[i]) == 0)
				counts[i] = (long)sqlite3_column_int64(st, 1);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "outbox counts", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_outbox_count(heed_store *s, heed_time from, heed_time to, long *n, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_COUNT_DAY, &rc, err);
	*n = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	else
		rc = heed_store_fail(s, "outbox count", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_outbox_due(heed_store *s, heed_time now, long limit, int64_t **ids, size_t *n,
                          char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_DUE, &rc, err);
	*ids = NULL;
	*n = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	size_t cap = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*ids = xrealloc(*ids, cap * sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "outbox due", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_outbox_list(heed_store *s, const char *status, long limit, heed_outmsg **v,
                           size_t *n, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, status ? MS_LIST_STATUS : MS_LIST, &rc, err);
	*v = NULL;
	*n = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	if (status)
		sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	size_t cap = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*v = xrealloc(*v, cap * sizeof **v);
		}
		read_row(st, &(*v)[(*n)++]);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "outbox list", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_mail_block(heed_store *s, int64_t id, char **email, int *dnc, const char **block,
                          heed_time *block_at, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = mstmt(s, MS_BLOCK, &rc, err);
	*email = NULL;
	*dnc = 0;
	*block = NULL;
	*block_at = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*email = heed_store_col_text(st, 0);
		*dnc = sqlite3_column_int(st, 1) != 0;
		const char *kind = (const char *)sqlite3_column_text(st, 2);
		if (kind && strcmp(kind, "unsubscribe") == 0)
			*block = "unsubscribe";
		else if (kind && strcmp(kind, "bounce") == 0)
			*block = "bounce";
		if (*block)
			*block_at = col_time(st, 3);
	} else if (r == SQLITE_DONE) {
		heed_seterr(err, "no contact %lld", (long long)id);
		rc = HEED_ENOTFOUND;
	} else {
		rc = heed_store_fail(s, "contact mail block", err);
	}
	sqlite3_reset(st);
	return rc;
}

int heed_store_in_txn(const heed_store *s)
{
	return s->in_txn;
}

char *heed_store_dir(heed_store *s)
{
	const char *slash = strrchr(s->path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == s->path)
		return xstrdup("/");
	return xstrndup(s->path, (size_t)(slash - s->path));
}

char *heed_store_stem(heed_store *s)
{
	const char *slash = strrchr(s->path, '/');
	const char *base = slash ? slash + 1 : s->path;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	return n ? xstrndup(base, n) : xstrdup("heed");
}
