/* store_repl: what the REPL asks of the store beyond the commands: cancelling
 * a running statement, contact counts, read-only SELECTs typed by the user,
 * and contact emails and ids for tab completion (see store.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"
#include "store_int.h"
#include "util.h"

void heed_store_interrupt(heed_store *s)
{
	if (s && s->db) {
		s->stop = 1;
		sqlite3_interrupt(s->db);
	}
}

int heed_store_interrupted(const heed_store *s)
{
	return s && s->stop;
}

void heed_store_interrupt_clear(heed_store *s)
{
	if (s)
		s->stop = 0;
}

int heed_store_count(heed_store *s, const char *stage, int64_t *n, char **err)
{
	int rc = HEED_OK, r;
	*n = 0;
	/* pending deltas of an open transaction are not in the table yet */
	sqlite3_stmt *st = heed_store_stmt(s, ST_FUNNEL_COUNTS, &rc, err);
	if (!st)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (!stage || strcmp((const char *)sqlite3_column_text(st, 0), stage) == 0)
			*n += sqlite3_column_int64(st, 2);
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "count", err);
	sqlite3_reset(st);
	return rc;
}

static int rank_sql(heed_store *s, const char *sql, char **err)
{
	return heed_store_exec(s, sql, "the (stage, score) index", err);
}

int heed_store_rank_note(heed_store *s, size_t n, char **err)
{
	s->rank_left -= (int64_t)n;
	if (s->rank_dropped || s->rank_left >= 0)
		return HEED_OK;
	/* the mark goes in the same transaction as the drop */
	int rc = heed_store_set_setting(s, "rank_index_dropped", "1", err);
	if (rc == HEED_OK && (rc = rank_sql(s, "DROP INDEX IF EXISTS contacts_stage_score", err)) == HEED_OK)
		s->rank_dropped = 1;
	return rc;
}

/* The connection set up for a bulk pass (on) or back as usual. A pass reads
 * every contact page before it rewrites it: through a map, not a copy each.
 * Its WAL is checkpointed every 64 MB rather than SQLite's 4 MB: a checkpoint
 * syncs the disk twice, and the pass would make some 250 of them on 1M
 * contacts (the map also serves the index build that ends the pass).
 * Foreign keys are not checked meanwhile: the pass writes scores, their parts
 * and the plugin set just found in plugin_sets, so no reference can break,
 * and with the check SQLite updates a chunk in two passes (each row sought
 * again, its plugin set looked up): a third of the time of the update. */
static void bulk_setup(heed_store *s, int on)
{
	sqlite3_exec(s->db, on ? "PRAGMA wal_autocheckpoint = 16384; PRAGMA foreign_keys = OFF"
	                       : "PRAGMA wal_autocheckpoint = 1000; PRAGMA foreign_keys = ON",
	             NULL, NULL, NULL);
	heed_store_map(s, on, NULL);
}

int heed_store_bulk_scores(heed_store *s, int on, int64_t min, char **err)
{
	int rc = HEED_OK;
	if (on) {
		bulk_setup(s, 1);
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'index'"
		                       " AND name = 'contacts_stage_score'", -1, &st, NULL) != SQLITE_OK)
			return heed_store_fail(s, "index check", err);
		int exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		char *mark = NULL;
		s->rank_armed = exists;
		s->rank_dropped = 0;
		s->rank_left = min;
		if (!exists) { /* a pass killed before it rebuilt the index left a mark */
			rc = heed_store_setting(s, "rank_index_dropped", &mark, err);
			s->rank_dropped = rc == HEED_OK && heed_streq(mark, "1");
			free(mark);
		}
		return rc;
	}
	s->rank_armed = 0;
	if (s->rank_dropped) {
		s->rank_dropped = 0;
		/* the build sorts in 4 MB runs on worker threads: on 1M scores 1.1 s
		 * instead of 2.1 s in one 32 MB run on this thread. SQLite gives a
		 * sort no worker threads while temporary files live in memory. */
		rc = rank_sql(s, "PRAGMA temp_store = FILE; PRAGMA threads = 4; PRAGMA cache_size = -4000; " HEED_RANK_INDEX_SQL, err);
		int prc = rank_sql(s, "PRAGMA temp_store = MEMORY; PRAGMA threads = 0; PRAGMA cache_size = " HEED_STORE_CACHE, NULL);
		if (rc == HEED_OK)
			rc = prc;
		if (rc == HEED_OK)
			rc = heed_store_set_setting(s, "rank_index_dropped", NULL, err);
	}
	bulk_setup(s, 0);
	return rc;
}

/* Does sql start with SELECT, WITH or VALUES (after spaces and comments)? */
static int starts_as_query(const char *sql)
{
	for (;;) {
		while (isspace((unsigned char)*sql))
			sql++;
		if (sql[0] == '-' && sql[1] == '-') {
			sql = strchr(sql, '\n');
			if (!sql)
				return 0;
		} else if (sql[0] == '/' && sql[1] == '*') {
			sql = strstr(sql + 2, "*/");
			if (!sql)
				return 0;
			sql += 2;
		} else {
			break;
		}
	}
	static const char *const words[] = { "select", "with", "values" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i]);
		if (strncasecmp(sql, words[i], n) == 0 && !isalnum((unsigned char)sql[n]) && sql[n] != '_')
			return 1;
	}
	return 0;
}

static void select_cell(heed_table *t, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL: heed_table_str(t, NULL); break;
	case SQLITE_INTEGER: heed_table_int(t, sqlite3_column_int64(st, i)); break;
	case SQLITE_FLOAT: heed_table_num(t, sqlite3_column_double(st, i), 6); break;
	case SQLITE_BLOB: {
		char *b = xasprintf("<blob, %d bytes>", sqlite3_column_bytes(st, i));
		heed_table_str(t, b);
		free(b);
		break;
	}
	default: heed_table_str(t, (const char *)sqlite3_column_text(st, i)); break;
	}
}

int heed_store_select(heed_store *s, const char *sql, heed_table **t, char **err)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc = HEED_OK, r;
	*t = NULL;
	if (!starts_as_query(sql)) {
		heed_seterr(err, "sql: only SELECT queries are allowed (the store is opened read-only here)");
		return HEED_EUSAGE;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, &tail) != SQLITE_OK) {
		heed_seterr(err, "sql: %s", sqlite3_errmsg(s->db));
		return HEED_EUSAGE;
	}
	while (tail && (isspace((unsigned char)*tail) || *tail == ';'))
		tail++;
	if (!st || !sqlite3_stmt_readonly(st) || (tail && *tail)) {
		heed_seterr(err, "sql: give one SELECT statement%s", tail && *tail ? " (text follows the first one)" : "");
		rc = HEED_EUSAGE;
		goto done;
	}
	int ncols = sqlite3_column_count(st);
	const char **cols = xcalloc((size_t)ncols + 1, sizeof *cols);
	for (int i = 0; i < ncols; i++)
		cols[i] = sqlite3_column_name(st, i);
	*t = heed_table_new(cols, (size_t)ncols);
	free(cols);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; i < ncols; i++)
			select_cell(*t, st, i);
	if (r != SQLITE_DONE) {
		heed_seterr(err, "sql: %s", sqlite3_errmsg(s->db));
		rc = (r & 0xff) == SQLITE_INTERRUPT ? HEED_ERR : HEED_EINPUT;
		heed_table_free(*t);
		*t = NULL;
	}
done:
	sqlite3_finalize(st);
	return rc;
}

static int complete_ids(heed_store *s, const char *prefix, size_t max,
                        void (*add)(void *, const char *), void *ud, char **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM contacts WHERE id BETWEEN ?1 AND ?2 ORDER BY id"
	                       " LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
		return heed_store_fail(s, "complete", err);
	long long p = strtoll(prefix, NULL, 10), scale = 1;
	size_t found = 0;
	int rc = HEED_OK;
	/* p, then p0..p9, then p00..p99, …: each a range of the rowid */
	for (int k = 0; k < 19 - (int)strlen(prefix) && found < max && p; k++, scale *= 10) {
		sqlite3_bind_int64(st, 1, p * scale);
		sqlite3_bind_int64(st, 2, (p + 1) * scale - 1);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(max - found));
		int r;
		char buf[24];
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			snprintf(buf, sizeof buf, "%lld", (long long)sqlite3_column_int64(st, 0));
			add(ud, buf);
			found++;
		}
		if (r != SQLITE_DONE) {
			rc = heed_store_fail(s, "complete", err);
			break;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

int heed_store_complete(heed_store *s, const char *prefix, size_t max,
                        void (*add)(void *ud, const char *text), void *ud, char **err)
{
	size_t n = strlen(prefix);
	int digits = n > 0;
	for (size_t i = 0; i < n; i++)
		digits &= isdigit((unsigned char)prefix[i]) != 0;
	if (digits && prefix[0] != '0')
		return complete_ids(s, prefix, max, add, ud, err);
	/* emails are stored case-folded: a range scan of the email index */
	char *low = xstrdup(prefix);
	for (char *p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	sqlite3_stmt *st = NULL;
	int rc = HEED_OK, r;
	if (sqlite3_prepare_v2(s->db, "SELECT email FROM contacts WHERE email >= ?1"
	                       " AND email < ?1 || char(1114111) ORDER BY email LIMIT ?2",
	                       -1, &st, NULL) != SQLITE_OK) {
		rc = heed_store_fail(s, "complete", err);
		goto done;
	}
	sqlite3_bind_text(st, 1, low, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(st, 0);
		if (e && strncmp(e, low, n) == 0)
			add(ud, e);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "complete", err);
done:
	sqlite3_finalize(st);
	free(low);
	return rc;
}
