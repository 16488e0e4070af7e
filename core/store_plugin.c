/* store_plugin: what the store keeps for the plugin host: the plugin version
 * sets that made each score (a small table, referenced by number from each
 * contact) and the plugins' key-value store, which survives their reloads.
 * SQLite work a plugin starts (the key-value calls) runs under a progress
 * handler, so it is bounded however large the store grows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htime.h"
#include "store_int.h"
#include "util.h"

enum {
	KV_PROGRESS_STEP = 1000,  /* VM steps between progress calls */
	KV_PROGRESS_CALLS = 1000, /* calls before a key-value statement is interrupted (1M steps) */
};

int heed_store_plugin_set(heed_store *s, const char *versions, int64_t *id, char **err)
{
	int rc = HEED_OK;
	*id = 0;
	sqlite3_stmt *st = heed_store_stmt(s, ST_PSET_FIND, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, versions, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "plugin set lookup", err);
	sqlite3_reset(st);
	if (rc != HEED_OK || *id)
		return rc;
	st = heed_store_stmt(s, ST_PSET_ADD, &rc, err);
	if (st)
		sqlite3_bind_text(st, 1, versions, -1, SQLITE_STATIC);
	heed_store_step_done(s, st, "plugin set insert", &rc, err);
	if (rc == HEED_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

void heed_store_score_set(heed_store *s, int64_t id)
{
	s->score_set = id;
}

/* The setting naming the set every score was last marked with, so a run with
 * the same plugins skips the full-table pass; writing one score clears it. */
#define MARKED_BY "scores_marked_by"

int heed_store_mark_scores(heed_store *s, int64_t id, char **err)
{
	char *was = NULL, now[32];
	snprintf(now, sizeof now, "%lld", (long long)id);
	int rc = heed_store_setting(s, MARKED_BY, &was, err);
	int same = rc == HEED_OK && heed_streq(was, now);
	free(was);
	if (rc != HEED_OK || same)
		return rc;
	sqlite3_stmt *st = heed_store_stmt(s, ST_PSET_MARK, &rc, err);
	if (st)
		sqlite3_bind_int64(st, 1, id);
	heed_store_step_done(s, st, "score audit", &rc, err);
	if (rc == HEED_OK)
		rc = heed_store_set_setting(s, MARKED_BY, now, err);
	return rc;
}

int heed_store_score_marks_stale(heed_store *s, char **err)
{
	return heed_store_set_setting(s, MARKED_BY, "0", err);
}

/* One text column of the single row a statement returns, or NULL. */
static int one_text(heed_store *s, sqlite3_stmt *st, const char *what, char **out, char **err)
{
	int rc = HEED_OK;
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*out = heed_store_col_text(st, 0);
	else if (r != SQLITE_DONE)
		rc = heed_store_fail(s, what, err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_score_versions(heed_store *s, int64_t id, char **versions, char **err)
{
	int rc = HEED_OK;
	*versions = NULL;
	sqlite3_stmt *st = heed_store_stmt(s, ST_PSET_OF, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return one_text(s, st, "score audit read", versions, err);
}

/* ---- key-value ---- */

static int kv_progress(void *arg)
{
	int *calls = arg;
	return ++*calls > KV_PROGRESS_CALLS;
}

/* Run st (bound) under the progress handler; OUT: *value for a read. */
static int kv_run(heed_store *s, sqlite3_stmt *st, const char *plugin, const char *what, char **value,
                  char **err)
{
	int calls = 0, rc = HEED_OK;
	sqlite3_progress_handler(s->db, KV_PROGRESS_STEP, kv_progress, &calls);
	if (value)
		rc = one_text(s, st, what, value, err);
	else
		heed_store_step_done(s, st, what, &rc, err);
	sqlite3_progress_handler(s->db, 0, NULL, NULL);
	if (rc != HEED_OK && calls > KV_PROGRESS_CALLS) {
		free(*err);
		*err = NULL;
		heed_seterr(err, "plugin '%s': %s stopped: it ran past its SQLite budget (%d steps)", plugin, what,
		            KV_PROGRESS_STEP * KV_PROGRESS_CALLS);
	}
	return rc;
}

int heed_store_kv_get(heed_store *s, const char *plugin, const char *key, char **value, char **err)
{
	int rc = HEED_OK;
	*value = NULL;
	sqlite3_stmt *st = heed_store_stmt(s, ST_KV_GET, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return kv_run(s, st, plugin, "key-value read", value, err);
}

int heed_store_kv_set(heed_store *s, const char *plugin, const char *key, const char *value, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, value ? ST_KV_SET : ST_KV_DEL, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (value) {
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)heed_time_now());
	}
	return kv_run(s, st, plugin, value ? "key-value write" : "key-value delete", NULL, err);
}
