/* store: connection, schema migrations, prepared statements and every write
 * (see store.h). Reads and reports are in store_query.c. */
#include "store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* Schema as data: migration N brings user_version from N-1 to N. */
static const char *const migrations[] = {
	/* 1: the first schema. The stage CHECK is an OR chain, not IN (…): SQLite
	 * builds a temporary index for an IN list on every insert. */
	"CREATE TABLE organisations("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  key TEXT NOT NULL UNIQUE,"
	"  domain TEXT, industry TEXT, employees INTEGER, country TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE contacts("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT UNIQUE,"
	"  source TEXT, external_id TEXT,"
	"  first_name TEXT, last_name TEXT, title TEXT, phone TEXT, owner TEXT,"
	"  org_id INTEGER REFERENCES organisations(id),"
	"  stage TEXT NOT NULL CHECK (stage = 'lead' OR stage = 'prospect'"
	"    OR stage = 'opportunity' OR stage = 'won' OR stage = 'lost'"
	"    OR stage = 'disqualified'),"
	"  peak INTEGER NOT NULL DEFAULT 0,"
	"  score REAL, score_parts TEXT,"
	"  do_not_contact INTEGER NOT NULL DEFAULT 0,"
	"  attrs TEXT,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  stage_changed_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX contacts_external ON contacts(external_id, source)"
	"  WHERE external_id IS NOT NULL;"
	/* Per (stage, peak) counts for the funnel, kept by this module in the same
	 * transaction as every insert and move: an index on stage would cost each
	 * imported row another b-tree insert. */
	"CREATE TABLE stage_counts("
	"  stage TEXT NOT NULL, peak INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY (stage, peak)) WITHOUT ROWID;"
	"CREATE TABLE activities("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL, at INTEGER NOT NULL, data TEXT);"
	"CREATE INDEX activities_contact ON activities(contact_id, at);"
	"CREATE TABLE deals("
	"  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,"
	"  value REAL, currency TEXT, close_date INTEGER, decision_makers TEXT,"
	"  probability REAL, probability_user INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE stage_history("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  from_stage TEXT, to_stage TEXT NOT NULL,"
	"  at INTEGER NOT NULL, from_since INTEGER, days INTEGER,"
	"  actor TEXT NOT NULL, reason TEXT, plugins TEXT,"
	"  forced INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX history_contact ON stage_history(contact_id, at);"
	"CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE INDEX history_from ON stage_history(from_stage, days);",
};

#define CONTACT_COLS                                                                         \
	"c.id, c.email, c.source, c.external_id, c.first_name, c.last_name, c.title, c.phone, " \
	"c.owner, c.org_id, c.stage, c.score, c.score_parts, c.do_not_contact, c.attrs, "      \
	"c.created_at, c.updated_at, c.stage_changed_at, "                                     \
	"o.name, o.key, o.domain, o.industry, o.employees, o.country, "                        \
	"d.contact_id, d.value, d.currency, d.close_date, d.decision_makers, d.probability, "   \
	"d.probability_user, c.peak "                                                                \
	"FROM contacts c LEFT JOIN organisations o ON o.id = c.org_id "                        \
	"LEFT JOIN deals d ON d.contact_id = c.id "

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ORG_BY_KEY] = "SELECT id, domain IS NOT NULL, industry IS NOT NULL, employees IS NOT NULL,"
	                  " country IS NOT NULL FROM organisations WHERE key = ?1",
	[ST_ORG_INSERT] = "INSERT INTO organisations(name, key, domain, industry, employees, country,"
	                  " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_ORG_FILL] = "UPDATE organisations SET domain = coalesce(domain, ?2),"
	                " industry = coalesce(industry, ?3), employees = coalesce(employees, ?4),"
	                " country = coalesce(country, ?5) WHERE id = ?1",
	[ST_CONTACT_INSERT] = "INSERT INTO contacts(email, source, external_id, first_name, last_name,"
	                      " title, phone, owner, org_id, stage, peak, score, score_parts,"
	                      " do_not_contact, attrs, created_at, updated_at, stage_changed_at)"
	                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	                      " ?15, ?16, ?17, ?18)",
	[ST_FIND_EXT] = "SELECT id FROM contacts WHERE external_id = ?2 AND source IS ?1",
	[ST_FIND_EMAIL] = "SELECT id FROM contacts WHERE email = ?1",
	[ST_FIND_ID] = "SELECT id FROM contacts WHERE id = ?1",
	[ST_FIND_EXT_ANY] = "SELECT id, source FROM contacts WHERE external_id = ?1 LIMIT 2",
	[ST_LOAD_CONTACT] = "SELECT " CONTACT_COLS "WHERE c.id = ?1",
	[ST_LOAD_ACTS] = "SELECT id, kind, at, data FROM activities WHERE contact_id = ?1"
	                 " ORDER BY at, id",
	[ST_LOAD_HIST] = "SELECT id, from_stage, to_stage, at, from_since, actor, reason, plugins,"
	                 " forced FROM stage_history WHERE contact_id = ?1 ORDER BY at, id",
	[ST_ACT_INSERT] = "INSERT INTO activities(contact_id, kind, at, data) VALUES (?1, ?2, ?3, ?4)",
	[ST_STAGE_GET] = "SELECT stage, stage_changed_at, peak FROM contacts WHERE id = ?1",
	[ST_COUNT_ADD] = "INSERT INTO stage_counts(stage, peak, n) VALUES (?1, ?2, ?3)"
	                 " ON CONFLICT(stage, peak) DO UPDATE SET n = n + excluded.n",
	[ST_DEAL_UPSERT] =
		"INSERT INTO deals(contact_id, value, currency, close_date, decision_makers, probability,"
		" probability_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT(contact_id) DO UPDATE SET value = coalesce(excluded.value, value),"
		" currency = coalesce(excluded.currency, currency),"
		" close_date = coalesce(excluded.close_date, close_date),"
		" decision_makers = coalesce(excluded.decision_makers, decision_makers),"
		" probability = coalesce(excluded.probability, probability),"
		" probability_user = max(probability_user, excluded.probability_user)",
	[ST_MOVE] = "UPDATE contacts SET stage = ?2, stage_changed_at = ?3, updated_at = ?6,"
	            " peak = max(peak, ?4) WHERE id = ?1 AND stage = ?5",
	[ST_MOVE_PROB] = "UPDATE deals SET probability = ?2 WHERE contact_id = ?1"
	                 " AND probability_user = 0",
	[ST_HIST_INSERT] = "INSERT INTO stage_history(contact_id, from_stage, to_stage, at, from_since,"
	                   " days, actor, reason, plugins, forced)"
	                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_SCORE] = "UPDATE contacts SET score = ?2, score_parts = ?3 WHERE id = ?1",
	[ST_SCORES] = "UPDATE contacts SET score = heed_batch(id, 1), score_parts = heed_batch(id, 2)"
	              " WHERE id BETWEEN ?1 AND ?2 AND heed_batch(id, 0)",
	[ST_TOUCH] = "UPDATE contacts SET email = ?2, source = ?3, external_id = ?4, first_name = ?5,"
	             " last_name = ?6, title = ?7, phone = ?8, owner = ?9, org_id = ?10,"
	             " do_not_contact = ?11, attrs = ?12, updated_at = ?13 WHERE id = ?1",
	[ST_EACH] = "SELECT " CONTACT_COLS "WHERE c.id > ?1 ORDER BY c.id LIMIT ?2",
	[ST_EACH_STAGE] = "SELECT " CONTACT_COLS "WHERE c.id > ?1 AND c.stage = ?3 ORDER BY c.id LIMIT ?2",
	[ST_EACH_ACTS] = "SELECT contact_id, id, kind, at, data FROM activities"
	                 " WHERE contact_id > ?1 AND contact_id <= ?2 ORDER BY contact_id, at, id",
	[ST_IDS] = "SELECT id FROM contacts ORDER BY id",
	[ST_IDS_STAGE] = "SELECT id FROM contacts WHERE stage = ?1 ORDER BY id",
	[ST_FUNNEL_COUNTS] = "SELECT stage, peak, n FROM stage_counts WHERE n != 0",
	[ST_FUNNEL_LEFT] = "SELECT count(*) FROM stage_history WHERE from_stage = ?1",
	[ST_FUNNEL_MEDIAN] = "SELECT days FROM stage_history WHERE from_stage = ?1"
	                     " ORDER BY days LIMIT ?2 OFFSET ?3",
	[ST_FORECAST] = "SELECT total(d.value * coalesce(d.probability, ?1)) FROM contacts c"
	                " JOIN deals d ON d.contact_id = c.id WHERE c.stage = 'opportunity'",
	[ST_ORG_SET] = "UPDATE organisations SET domain = coalesce(?2, domain),"
	               " industry = coalesce(?3, industry), employees = coalesce(?4, employees),"
	               " country = coalesce(?5, country) WHERE id = ?1"
	               " AND (domain IS NOT coalesce(?2, domain) OR industry IS NOT coalesce(?3, industry)"
	               " OR employees IS NOT coalesce(?4, employees) OR country IS NOT coalesce(?5, country))",
	[ST_SAVEPOINT] = "SAVEPOINT heed_row",
	[ST_RELEASE] = "RELEASE heed_row",
	[ST_ROLLBACK_TO] = "ROLLBACK TO heed_row",
	[ST_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[ST_SETTING_SET] = "INSERT INTO settings(key, value) VALUES (?1, ?2)"
	                   " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_ATTR_DIFF] = "SELECT n.key, o.value, n.value FROM json_each(?2) n"
	                 " LEFT JOIN json_each(coalesce(?1, '{}')) o ON o.key = n.key"
	                 " WHERE o.value IS NOT n.value OR o.type IS NOT n.type ORDER BY n.key",
	[ST_JSON_PATCH] = "SELECT json_patch(coalesce(?1, '{}'), ?2)",
};

int heed_store_fail(heed_store *s, const char *what, char **err)
{
	int code = sqlite3_errcode(s->db);
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		heed_seterr(err, "store %s is busy: another process has been writing to it for over 10 s"
		                 " (an import or score --all?); try again when it is done (%s)", s->path, what);
	heed_seterr(err, "store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	if ((code & 0xff) == SQLITE_CONSTRAINT)
		return HEED_ECONFLICT;
	return HEED_ERR;
}

sqlite3_stmt *heed_store_stmt(heed_store *s, int id, int *rc, char **err)
{
	if (*rc != HEED_OK)
		return NULL;
	sqlite3_stmt *st = s->st[id];
	if (!st) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
		    SQLITE_OK) {
			*rc = heed_store_fail(s, "prepare", err);
			return NULL;
		}
		s->st[id] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

void heed_store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (heed_empty(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

void heed_store_bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

void heed_store_bind_time(sqlite3_stmt *st, int i, heed_time v)
{
	if (v == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

char *heed_store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

double heed_store_col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Run a statement that returns no rows (or whose rows are ignored). */
static void step_done(heed_store *s, sqlite3_stmt *st, const char *what, int *rc, char **err)
{
	if (*rc != HEED_OK || !st)
		return;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (r != SQLITE_DONE)
		*rc = heed_store_fail(s, what, err);
	sqlite3_reset(st);
}

static int exec(heed_store *s, const char *sql, const char *what, char **err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int code = sqlite3_errcode(s->db) & 0xff;
		if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
			heed_seterr(err, "store %s is busy: another process has been writing to it for over"
			                 " 10 s; try again when it is done (%s)", s->path, what);
		heed_seterr(err, "store %s: %s: %s", s->path, what, msg ? msg : "failed");
		sqlite3_free(msg);
		return HEED_ERR;
	}
	return HEED_OK;
}

int heed_store_version(heed_store *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

/* 1 if the database has tables of its own but no heed schema: not ours to change. */
static int foreign_database(heed_store *s)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1", -1,
	                       &st, NULL) == SQLITE_OK) {
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return found;
}

/* Refuse a database heed must not touch: another program's, or a newer heed's. */
static int check_ours(heed_store *s, char **err)
{
	int n = (int)(sizeof migrations / sizeof migrations[0]), v = heed_store_version(s);
	if (v < 0) {
		heed_seterr(err, "cannot read %s: %s", s->path, sqlite3_errmsg(s->db));
		return HEED_EINPUT;
	}
	if (v > n) {
		heed_seterr(err, "store %s has schema version %d; this heed knows up to %d — upgrade heed",
		            s->path, v, n);
		return HEED_ERR;
	}
	if (v == 0 && foreign_database(s)) {
		heed_seterr(err, "%s is an SQLite database but not a heed store; heed leaves it alone",
		            s->path);
		return HEED_EINPUT;
	}
	return HEED_OK;
}

static int migrate(heed_store *s, char **err)
{
	int n = (int)(sizeof migrations / sizeof migrations[0]);
	/* the common case reads the version only: no write lock, so opening a
	 * store never waits for (or blocks) another heed that is writing */
	int v = heed_store_version(s);
	if (v == n)
		return HEED_OK;
	int rc = exec(s, "BEGIN IMMEDIATE", "migrate", err);
	if (rc != HEED_OK)
		return rc;
	v = heed_store_version(s);
	if (v > n) {
		heed_seterr(err, "store %s has schema version %d; this heed knows up to %d — upgrade heed",
		            s->path, v, n);
		rc = HEED_ERR;
		goto done;
	}
	for (; v < n && rc == HEED_OK; v++) {
		rc = exec(s, migrations[v], "migration", err);
		if (rc == HEED_OK) {
			char pragma[48];
			snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
			rc = exec(s, pragma, "migration", err);
		}
	}
done:
	if (rc == HEED_OK)
		return exec(s, "COMMIT", "migrate", err);
	exec(s, "ROLLBACK", "migrate", NULL);
	return rc;
}

/* Once per process, before any other SQLite call: no global memory statistics
 * (they take a mutex on every allocation). */
static void sqlite_setup(void)
{
	static int done;
	if (!done) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		done = 1;
	}
}

/* heed_batch(id, what), for ST_SCORES: the score of contact id in the batch
 * heed_store_set_scores is writing. what 0: 1 if id is in it; 1: its score;
 * 2: its parts. Ids come in ascending order, so a cursor finds them. */
static void batch_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	heed_store *s = sqlite3_user_data(ctx);
	int64_t id = sqlite3_value_int64(argv[0]);
	int what = sqlite3_value_int(argv[1]);
	size_t k = s->batch_at;
	(void)argc;
	if (k >= s->nbatch || s->batch[k].id != id) {
		size_t lo = 0, hi = s->nbatch;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->batch[mid].id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == s->nbatch || s->batch[lo].id != id) {
			sqlite3_result_int(ctx, 0);
			return;
		}
		k = s->batch_at = lo;
	}
	const heed_score *v = &s->batch[k];
	if (what == 0)
		sqlite3_result_int(ctx, 1);
	else if (what == 1 && !isnan(v->score))
		sqlite3_result_double(ctx, v->score);
	else if (what == 2 && !heed_empty(v->parts_json))
		sqlite3_result_text(ctx, v->parts_json, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

int heed_store_open(const char *path, heed_store **out, char **err)
{
	sqlite_setup();
	heed_store *s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	int rc = HEED_OK;
	/* a connection is used by one thread at a time: no per-call mutex */
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		heed_seterr(err, "cannot open store %s: %s", path,
		            s->db ? sqlite3_errmsg(s->db) : "out of memory");
		rc = HEED_ERR;
		goto done;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_create_function_v2(s->db, "heed_batch", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, s,
	                               batch_fn, NULL, NULL, NULL) != SQLITE_OK) {
		rc = heed_store_fail(s, "setup", err);
		goto done;
	}
	rc = exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
	             " PRAGMA cache_size = -32000;" /* 32 MB: a 1M-row email index stays mostly in cache */
	             " PRAGMA temp_store = MEMORY",
	          "setup", err);
	/* WAL only once the file is known to be ours (or new) */
	if (rc == HEED_OK && (rc = check_ours(s, err)) == HEED_OK)
		rc = exec(s, "PRAGMA journal_mode = WAL", "setup", err);
	if (rc == HEED_OK)
		rc = migrate(s, err);
done:
	if (rc != HEED_OK) {
		heed_store_close(s);
		return rc;
	}
	*out = s;
	return HEED_OK;
}

int heed_store_open_reader(heed_store *s, heed_store **out, char **err)
{
	heed_store *r = xcalloc(1, sizeof *r);
	r->path = xstrdup(s->path);
	int rc = HEED_OK;
	if (sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		heed_seterr(err, "cannot open store %s: %s", r->path,
		            r->db ? sqlite3_errmsg(r->db) : "out of memory");
		heed_store_close(r);
		return HEED_ERR;
	}
	sqlite3_busy_timeout(r->db, 10000);
	sqlite3_extended_result_codes(r->db, 1);
	/* 8 MB: room for the organisation pages a scan joins at random, beside
	 * the contact pages it streams through */
	rc = exec(r, "PRAGMA cache_size = -8000; PRAGMA temp_store = MEMORY", "setup", err);
	if (rc != HEED_OK) {
		heed_store_close(r);
		return rc;
	}
	*out = r;
	return HEED_OK;
}

void heed_store_close(heed_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	heed_store_orgcache_clear(s);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* ---- stage counts ---- */

/* The stages the schema's CHECK allows, in its order. */
static const char *const count_stages[COUNT_STAGES] = {
	"lead", "prospect", "opportunity", "won", "lost", "disqualified",
};

static int count_slot(const char *stage, int peak, int *si, int *pi)
{
	for (int i = 0; i < COUNT_STAGES; i++) {
		if (strcmp(stage, count_stages[i]) == 0) {
			*si = i;
			*pi = peak < -1 ? 0 : peak > COUNT_PEAKS - 2 ? COUNT_PEAKS - 2 : peak;
			(*pi)++; /* peak -1 is slot 0 */
			return 1;
		}
	}
	return 0;
}

static int counts_flush(heed_store *s, char **err)
{
	int rc = HEED_OK;
	for (int i = 0; i < COUNT_STAGES; i++) {
		for (int k = 0; k < COUNT_PEAKS && rc == HEED_OK; k++) {
			if (!s->counts[i][k])
				continue;
			sqlite3_stmt *st = heed_store_stmt(s, ST_COUNT_ADD, &rc, err);
			if (!st)
				break;
			sqlite3_bind_text(st, 1, count_stages[i], -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, k - 1);
			sqlite3_bind_int64(st, 3, s->counts[i][k]);
			step_done(s, st, "stage counts", &rc, err);
			s->counts[i][k] = 0;
		}
	}
	return rc;
}

/* Count one contact in or out of (stage, peak); written at commit, or at once
 * outside a transaction. */
static void count_add(heed_store *s, const char *stage, int peak, int delta)
{
	int si, pi;
	if (!count_slot(stage, peak, &si, &pi))
		return;
	s->counts[si][pi] += delta;
	if (!s->in_txn)
		counts_flush(s, NULL);
}

int heed_store_begin(heed_store *s, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_BEGIN, &rc, err);
	step_done(s, st, "begin", &rc, err);
	if (rc == HEED_OK)
		s->in_txn = 1;
	return rc;
}

int heed_store_commit(heed_store *s, char **err)
{
	int rc = counts_flush(s, err);
	sqlite3_stmt *st = heed_store_stmt(s, ST_COMMIT, &rc, err);
	step_done(s, st, "commit", &rc, err);
	if (rc == HEED_OK)
		s->in_txn = 0;
	else
		heed_store_rollback(s);
	return rc;
}

void heed_store_rollback(heed_store *s)
{
	int rc = HEED_OK;
	if (sqlite3_get_autocommit(s->db) == 0) {
		sqlite3_stmt *st = heed_store_stmt(s, ST_ROLLBACK, &rc, NULL);
		step_done(s, st, "rollback", &rc, NULL);
	}
	s->in_txn = 0;
	memset(s->counts, 0, sizeof s->counts);
	heed_store_orgcache_clear(s); /* ids made in the transaction are gone */
}

/* Run a one-id query bound with text (or an int when text is NULL). OUT: *id (0 none). */
static int lookup_id(heed_store *s, int which, const char *a, const char *b, int64_t n,
                     int64_t *id, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, which, &rc, err);
	*id = 0;
	if (!st)
		return rc;
	if (which == ST_FIND_ID)
		sqlite3_bind_int64(st, 1, n);
	else
		heed_store_bind_text(st, 1, a);
	if (b)
		heed_store_bind_text(st, 2, b);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "lookup", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_find(heed_store *s, const char *source, const char *external_id,
                    const char *email, int64_t *id, char **err)
{
	int rc = HEED_OK;
	*id = 0;
	if (!heed_empty(external_id))
		rc = lookup_id(s, ST_FIND_EXT, source, external_id, 0, id, err);
	if (rc == HEED_OK && *id == 0 && !heed_empty(email))
		rc = lookup_id(s, ST_FIND_EMAIL, email, NULL, 0, id, err);
	return rc;
}

/* One way of reading a reference: which contact it names (0 = none). */
struct reading {
	const char *how;
	int64_t id;
};

static int read_as_id(heed_store *s, const char *ref, struct reading *r, char **err)
{
	size_t len = strlen(ref);
	if (len == 0 || len > 18 || strspn(ref, "0123456789") != len)
		return HEED_OK; /* digits only: " 3" and "+3" are not ids */
	return lookup_id(s, ST_FIND_ID, NULL, NULL, strtoll(ref, NULL, 10), &r->id, err);
}

static int read_as_email(heed_store *s, const char *ref, struct reading *r, char **err)
{
	char *email = heed_email_norm(ref);
	int rc = email ? lookup_id(s, ST_FIND_EMAIL, email, NULL, 0, &r->id, err) : HEED_OK;
	free(email);
	return rc;
}

static int read_as_external(heed_store *s, const char *ref, struct reading *r, char **err)
{
	int rc = HEED_OK, found = 0, rr;
	sqlite3_stmt *st = heed_store_stmt(s, ST_FIND_EXT_ANY, &rc, err);
	if (!st)
		return rc;
	heed_store_bind_text(st, 1, ref);
	while ((rr = sqlite3_step(st)) == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		found++;
	}
	if (rr != SQLITE_DONE)
		rc = heed_store_fail(s, "resolve", err);
	sqlite3_reset(st);
	if (rc == HEED_OK && found > 1) {
		heed_seterr(err, "contact '%s' is ambiguous: that external id exists in several sources;"
		                 " use the numeric id or the email", ref);
		rc = HEED_EUSAGE;
	}
	return rc;
}

int heed_store_resolve(heed_store *s, const char *ref, int64_t *id, char **err)
{
	static const struct {
		const char *prefix, *how;
		int (*read)(heed_store *, const char *, struct reading *, char **);
	} kinds[] = {
		{ "id:", "id", read_as_id },
		{ "email:", "email", read_as_email },
		{ "ext:", "external id", read_as_external },
	};
	enum { NKINDS = sizeof kinds / sizeof kinds[0] };
	struct reading r[NKINDS] = { { NULL, 0 } };
	int rc = HEED_OK, explicit = -1;
	*id = 0;
	if (heed_empty(ref)) {
		heed_seterr(err, "empty contact reference");
		return HEED_EUSAGE;
	}
	for (int k = 0; k < NKINDS; k++)
		if (strncmp(ref, kinds[k].prefix, strlen(kinds[k].prefix)) == 0)
			explicit = k;
	for (int k = 0; k < NKINDS && rc == HEED_OK; k++) {
		r[k].how = kinds[k].how;
		if (explicit < 0)
			rc = kinds[k].read(s, ref, &r[k], err);
		else if (explicit == k)
			rc = kinds[k].read(s, ref + strlen(kinds[k].prefix), &r[k], err);
	}
	if (rc != HEED_OK)
		return rc;
	/* every reading that names a contact must name the same one */
	for (int k = 0; k < NKINDS; k++) {
		if (!r[k].id)
			continue;
		if (*id && *id != r[k].id) {
			heed_buf b = { 0 };
			for (int j = 0; j < NKINDS; j++)
				if (r[j].id)
					heed_buf_addf(&b, "%scontact %lld (as %s)", b.len ? " or " : "",
					              (long long)r[j].id, r[j].how);
			heed_seterr(err, "'%s' could be %s; say id:%s, email:%s or ext:%s", ref, b.s, ref, ref, ref);
			heed_buf_free(&b);
			*id = 0;
			return HEED_EUSAGE;
		}
		*id = r[k].id;
	}
	if (!*id) {
		heed_seterr(err, "no contact '%s' (looked for %s)", ref,
		            explicit >= 0 ? kinds[explicit].how : "an id, an email and an external id");
		return HEED_ENOTFOUND;
	}
	return HEED_OK;
}

/* ---- organisations ---- */

enum { FACT_DOMAIN = 1, FACT_INDUSTRY = 2, FACT_EMPLOYEES = 4, FACT_COUNTRY = 8 };

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void heed_store_orgcache_clear(heed_store *s)
{
	for (size_t i = 0; i < s->orgcap; i++)
		free(s->orgs[i].key);
	free(s->orgs);
	s->orgs = NULL;
	s->norgs = s->orgcap = 0;
}

static struct orgslot *org_slot(heed_store *s, const char *key)
{
	if (!s->orgcap)
		return NULL;
	size_t mask = s->orgcap - 1, i = (size_t)hash_str(key) & mask;
	while (s->orgs[i].key && strcmp(s->orgs[i].key, key) != 0)
		i = (i + 1) & mask;
	return &s->orgs[i];
}

static void org_remember(heed_store *s, const char *key, int64_t id, unsigned facts)
{
	if (s->norgs * 2 >= s->orgcap) {
		if (s->orgcap >= (1u << 20)) { /* bound the memory an import may use */
			heed_store_orgcache_clear(s);
		}
		struct orgslot *old = s->orgs;
		size_t oldcap = s->orgcap;
		s->orgcap = oldcap ? oldcap * 2 : 1024;
		s->orgs = xcalloc(s->orgcap, sizeof *s->orgs);
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].key)
				*org_slot(s, old[i].key) = old[i];
		free(old);
	}
	struct orgslot *slot = org_slot(s, key);
	if (!slot->key) {
		slot->key = xstrdup(key);
		s->norgs++;
	}
	slot->id = id;
	slot->facts = facts;
}

static unsigned org_facts(const heed_org *o)
{
	return (heed_empty(o->domain) ? 0 : FACT_DOMAIN) | (heed_empty(o->industry) ? 0 : FACT_INDUSTRY) |
	       (o->employees >= 0 ? FACT_EMPLOYEES : 0) | (heed_empty(o->country) ? 0 : FACT_COUNTRY);
}

static void bind_org_facts(sqlite3_stmt *st, const heed_org *o, int first)
{
	heed_store_bind_text(st, first, o->domain);
	heed_store_bind_text(st, first + 1, o->industry);
	if (o->employees >= 0)
		sqlite3_bind_int64(st, first + 2, o->employees);
	else
		sqlite3_bind_null(st, first + 2);
	heed_store_bind_text(st, first + 3, o->country);
}

int heed_store_org_ensure(heed_store *s, heed_org *o, char **err)
{
	int rc = HEED_OK;
	if (heed_empty(o->name)) {
		o->id = 0;
		return HEED_OK;
	}
	if (!o->key)
		o->key = heed_org_key(o->name);
	if (heed_empty(o->key)) { /* a name of punctuation only: match it as written */
		free(o->key);
		o->key = xstrdup(o->name);
	}
	unsigned have = org_facts(o);
	struct orgslot *slot = org_slot(s, o->key);
	if (slot && slot->key) {
		o->id = slot->id;
		if ((have & ~slot->facts) == 0)
			return HEED_OK;
	} else {
		sqlite3_stmt *st = heed_store_stmt(s, ST_ORG_BY_KEY, &rc, err);
		if (!st)
			return rc;
		heed_store_bind_text(st, 1, o->key);
		int r = sqlite3_step(st);
		o->id = 0;
		unsigned facts = 0;
		if (r == SQLITE_ROW) {
			o->id = sqlite3_column_int64(st, 0);
			for (int i = 0; i < 4; i++)
				facts |= sqlite3_column_int(st, 1 + i) ? 1u << i : 0;
		} else if (r != SQLITE_DONE) {
			rc = heed_store_fail(s, "organisation lookup", err);
		}
		sqlite3_reset(st);
		if (rc != HEED_OK)
			return rc;
		if (!o->id) {
			st = heed_store_stmt(s, ST_ORG_INSERT, &rc, err);
			if (!st)
				return rc;
			heed_store_bind_text(st, 1, o->name);
			heed_store_bind_text(st, 2, o->key);
			bind_org_facts(st, o, 3);
			sqlite3_bind_int64(st, 7, heed_time_now());
			step_done(s, st, "organisation insert", &rc, err);
			if (rc != HEED_OK)
				return rc;
			o->id = sqlite3_last_insert_rowid(s->db);
			org_remember(s, o->key, o->id, have);
			return HEED_OK;
		}
		org_remember(s, o->key, o->id, facts);
		slot = org_slot(s, o->key);
		if ((have & ~facts) == 0)
			return HEED_OK;
	}
	/* fill facts the stored organisation lacks; never overwrite known ones */
	sqlite3_stmt *st = heed_store_stmt(s, ST_ORG_FILL, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, o->id);
	bind_org_facts(st, o, 2);
	step_done(s, st, "organisation update", &rc, err);
	if (rc == HEED_OK)
		slot->facts |= have;
	return rc;
}

int heed_store_org_set(heed_store *s, const heed_org *o, int *changed, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_ORG_SET, &rc, err);
	*changed = 0;
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, o->id);
	bind_org_facts(st, o, 2);
	step_done(s, st, "organisation update", &rc, err);
	if (rc == HEED_OK)
		*changed = sqlite3_changes(s->db);
	return rc;
}

/* ---- contacts ---- */

int heed_store_insert(heed_store *s, heed_contact *c, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_CONTACT_INSERT, &rc, err);
	if (!st)
		return rc;
	heed_store_bind_text(st, 1, c->email);
	heed_store_bind_text(st, 2, c->source);
	heed_store_bind_text(st, 3, c->external_id);
	heed_store_bind_text(st, 4, c->first_name);
	heed_store_bind_text(st, 5, c->last_name);
	heed_store_bind_text(st, 6, c->title);
	heed_store_bind_text(st, 7, c->phone);
	heed_store_bind_text(st, 8, c->owner);
	if (c->org.id)
		sqlite3_bind_int64(st, 9, c->org.id);
	heed_store_bind_text(st, 10, c->stage[0] ? c->stage : "lead");
	sqlite3_bind_int(st, 11, c->peak);
	heed_store_bind_real(st, 12, c->score);
	heed_store_bind_text(st, 13, c->score_parts);
	sqlite3_bind_int(st, 14, c->do_not_contact);
	heed_store_bind_text(st, 15, c->attrs);
	sqlite3_bind_int64(st, 16, c->created_at);
	sqlite3_bind_int64(st, 17, c->updated_at ? c->updated_at : c->created_at);
	sqlite3_bind_int64(st, 18, c->stage_changed_at ? c->stage_changed_at : c->created_at);
	int r = sqlite3_step(st);
	if (r == SQLITE_DONE) {
		c->id = sqlite3_last_insert_rowid(s->db);
		count_add(s, c->stage[0] ? c->stage : "lead", c->peak, 1);
	} else if ((r & 0xff) == SQLITE_CONSTRAINT) {
		heed_seterr(err, "contact already exists (%s)", sqlite3_errmsg(s->db));
		rc = HEED_ECONFLICT;
	} else {
		rc = heed_store_fail(s, "contact insert", err);
	}
	sqlite3_reset(st);
	return rc;
}

int heed_store_add_activity(heed_store *s, int64_t id, const char *kind, heed_time at,
                            const char *data_json, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_ACT_INSERT, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	heed_store_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, at);
	heed_store_bind_text(st, 4, data_json);
	step_done(s, st, "activity insert", &rc, err);
	return rc;
}

/* Record one changed field as a field_change activity. */
static void note_change(heed_store *s, int64_t id, const char *field, const char *old,
                        const char *now, heed_time at, int *changed, int *rc, char **err)
{
	if (*rc != HEED_OK)
		return;
	heed_buf b = { 0 };
	heed_buf_adds(&b, "{\"field\":");
	heed_json_str(&b, field);
	heed_buf_adds(&b, ",\"old\":");
	heed_json_str(&b, old);
	heed_buf_adds(&b, ",\"new\":");
	heed_json_str(&b, now);
	heed_buf_addc(&b, '}');
	*rc = heed_store_add_activity(s, id, "field_change", at, b.s, err);
	heed_buf_free(&b);
	(*changed)++;
}

/* Merge one text field: a non-empty new value replaces a different old one. */
static void merge_text(heed_store *s, int64_t id, const char *field, char **old, const char *now,
                       heed_time at, int *changed, int *rc, char **err)
{
	if (heed_empty(now) || heed_streq(*old, now))
		return;
	note_change(s, id, field, *old, now, at, changed, rc, err);
	free(*old);
	*old = xstrdup(now);
}

/* Record each attribute whose value the update changes as a field_change. */
static void note_attr_changes(heed_store *s, int64_t id, const char *old, const char *now,
                              heed_time at, int *changed, int *rc, char **err)
{
	sqlite3_stmt *st = heed_store_stmt(s, ST_ATTR_DIFF, rc, err);
	if (!st)
		return;
	heed_store_bind_text(st, 1, old);
	heed_store_bind_text(st, 2, now);
	int r, n = 0;
	struct diff {
		char *key, *old, *now;
	} *d = NULL;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		d = xrealloc(d, (size_t)(n + 1) * sizeof *d);
		d[n].key = xasprintf("attrs.%s", (const char *)sqlite3_column_text(st, 0));
		d[n].old = heed_store_col_text(st, 1);
		d[n++].now = heed_store_col_text(st, 2);
	}
	if (r != SQLITE_DONE)
		*rc = heed_store_fail(s, "attribute diff", err);
	sqlite3_reset(st); /* before writing: the diff statement reads nothing of ours */
	for (int i = 0; i < n; i++) {
		note_change(s, id, d[i].key, d[i].old, d[i].now, at, changed, rc, err);
		free(d[i].key), free(d[i].old), free(d[i].now);
	}
	free(d);
}

int heed_store_merge(heed_store *s, int64_t id, const heed_contact *upd, heed_time at,
                     int *changed, char **err)
{
	heed_contact cur;
	heed_contact_init(&cur);
	*changed = 0;
	int rc = heed_store_load(s, id, HEED_LOAD_BARE, &cur, err);
	if (rc != HEED_OK)
		goto done;
	merge_text(s, id, "email", &cur.email, upd->email, at, changed, &rc, err);
	if (heed_empty(cur.external_id) && !heed_empty(upd->external_id)) {
		merge_text(s, id, "source", &cur.source, upd->source, at, changed, &rc, err);
		merge_text(s, id, "external_id", &cur.external_id, upd->external_id, at, changed, &rc, err);
	}
	merge_text(s, id, "first_name", &cur.first_name, upd->first_name, at, changed, &rc, err);
	merge_text(s, id, "last_name", &cur.last_name, upd->last_name, at, changed, &rc, err);
	merge_text(s, id, "title", &cur.title, upd->title, at, changed, &rc, err);
	merge_text(s, id, "phone", &cur.phone, upd->phone, at, changed, &rc, err);
	merge_text(s, id, "owner", &cur.owner, upd->owner, at, changed, &rc, err);
	if (upd->org.id && upd->org.id != cur.org.id) {
		note_change(s, id, "organisation", cur.org.name, upd->org.name, at, changed, &rc, err);
		cur.org.id = upd->org.id;
	}
	if (upd->do_not_contact && !cur.do_not_contact) {
		note_change(s, id, "do_not_contact", "0", "1", at, changed, &rc, err);
		cur.do_not_contact = 1;
	}
	if (!heed_empty(upd->attrs) && rc == HEED_OK)
		note_attr_changes(s, id, cur.attrs, upd->attrs, at, changed, &rc, err);
	if (!heed_empty(upd->attrs) && rc == HEED_OK) {
		sqlite3_stmt *st = heed_store_stmt(s, ST_JSON_PATCH, &rc, err);
		if (st) {
			heed_store_bind_text(st, 1, cur.attrs);
			heed_store_bind_text(st, 2, upd->attrs);
			if (sqlite3_step(st) == SQLITE_ROW) {
				char *merged = heed_store_col_text(st, 0);
				if (!heed_streq(merged, cur.attrs ? cur.attrs : "{}")) {
					free(cur.attrs);
					cur.attrs = merged;
				} else {
					free(merged);
				}
			} else {
				rc = heed_store_fail(s, "attribute merge", err);
			}
			sqlite3_reset(st);
		}
	}
	if (rc != HEED_OK || *changed == 0)
		goto done;
	sqlite3_stmt *st = heed_store_stmt(s, ST_TOUCH, &rc, err);
	if (!st)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	heed_store_bind_text(st, 2, cur.email);
	heed_store_bind_text(st, 3, cur.source);
	heed_store_bind_text(st, 4, cur.external_id);
	heed_store_bind_text(st, 5, cur.first_name);
	heed_store_bind_text(st, 6, cur.last_name);
	heed_store_bind_text(st, 7, cur.title);
	heed_store_bind_text(st, 8, cur.phone);
	heed_store_bind_text(st, 9, cur.owner);
	if (cur.org.id)
		sqlite3_bind_int64(st, 10, cur.org.id);
	sqlite3_bind_int(st, 11, cur.do_not_contact);
	heed_store_bind_text(st, 12, cur.attrs);
	sqlite3_bind_int64(st, 13, at);
	int r = sqlite3_step(st);
	if (r != SQLITE_DONE && (r & 0xff) == SQLITE_CONSTRAINT) {
		heed_seterr(err, "contact %lld cannot take email %s or external id %s: another contact"
		                 " has it", (long long)id, cur.email ? cur.email : "-",
		            cur.external_id ? cur.external_id : "-");
		rc = HEED_ECONFLICT;
	} else if (r != SQLITE_DONE) {
		rc = heed_store_fail(s, "contact update", err);
	}
	sqlite3_reset(st);
done:
	heed_contact_clear(&cur);
	return rc;
}

int heed_store_set_deal(heed_store *s, int64_t id, const heed_deal *d, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_DEAL_UPSERT, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	heed_store_bind_real(st, 2, d->value);
	heed_store_bind_text(st, 3, d->currency);
	heed_store_bind_time(st, 4, d->close_date);
	heed_store_bind_text(st, 5, d->decision_makers);
	heed_store_bind_real(st, 6, d->probability);
	sqlite3_bind_int(st, 7, !isnan(d->probability) && d->probability_user);
	step_done(s, st, "deal update", &rc, err);
	return rc;
}

int heed_store_move(heed_store *s, const heed_move *m, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_STAGE_GET, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, m->id);
	int r = sqlite3_step(st);
	char *stage = NULL;
	heed_time since = 0;
	int peak = 0;
	if (r == SQLITE_ROW) {
		stage = heed_store_col_text(st, 0);
		since = sqlite3_column_int64(st, 1);
		peak = sqlite3_column_int(st, 2);
	} else if (r == SQLITE_DONE) {
		heed_seterr(err, "no contact %lld", (long long)m->id);
		rc = HEED_ENOTFOUND;
	} else {
		rc = heed_store_fail(s, "stage read", err);
	}
	sqlite3_reset(st);
	if (rc == HEED_OK && !heed_streq(stage, m->from)) {
		heed_seterr(err, "contact %lld is now %s, not %s (changed meanwhile)", (long long)m->id,
		            stage, m->from);
		rc = HEED_ECONFLICT;
	}
	free(stage);
	if (rc != HEED_OK)
		return rc;
	st = heed_store_stmt(s, ST_MOVE, &rc, err);
	if (st) {
		sqlite3_bind_int64(st, 1, m->id);
		sqlite3_bind_text(st, 2, m->to, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, m->at);
		sqlite3_bind_int(st, 4, m->peak);
		sqlite3_bind_text(st, 5, m->from, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, heed_time_now()); /* the record changed now, whatever `at` says */
	}
	step_done(s, st, "stage update", &rc, err);
	if (rc == HEED_OK && sqlite3_changes(s->db) != 1) {
		heed_seterr(err, "contact %lld left %s meanwhile", (long long)m->id, m->from);
		return HEED_ECONFLICT;
	}
	count_add(s, m->from, peak, -1);
	count_add(s, m->to, m->peak > peak ? m->peak : peak, 1);
	st = heed_store_stmt(s, ST_HIST_INSERT, &rc, err);
	if (st) {
		sqlite3_bind_int64(st, 1, m->id);
		sqlite3_bind_text(st, 2, m->from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->to, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, m->at);
		sqlite3_bind_int64(st, 5, since);
		sqlite3_bind_int64(st, 6, heed_time_days(since, m->at));
		heed_store_bind_text(st, 7, heed_empty(m->actor) ? "heed" : m->actor);
		heed_store_bind_text(st, 8, m->reason);
		heed_store_bind_text(st, 9, m->plugins);
		sqlite3_bind_int(st, 10, m->forced);
	}
	step_done(s, st, "history insert", &rc, err);
	if (!isnan(m->stage_prob)) {
		st = heed_store_stmt(s, ST_MOVE_PROB, &rc, err);
		if (st) {
			sqlite3_bind_int64(st, 1, m->id);
			sqlite3_bind_double(st, 2, m->stage_prob);
		}
		step_done(s, st, "deal probability", &rc, err);
	}
	return rc;
}

int heed_store_set_score(heed_store *s, int64_t id, double score, const char *parts_json,
                         char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_SCORE, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	heed_store_bind_real(st, 2, score);
	heed_store_bind_text(st, 3, parts_json);
	step_done(s, st, "score update", &rc, err);
	return rc;
}

/* ---- savepoints ---- */

static int run_simple(heed_store *s, int which, const char *what, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, which, &rc, err);
	step_done(s, st, what, &rc, err);
	return rc;
}

int heed_store_savepoint(heed_store *s, char **err)
{
	return run_simple(s, ST_SAVEPOINT, "savepoint", err);
}

int heed_store_release(heed_store *s, int undo, char **err)
{
	int rc = undo ? run_simple(s, ST_ROLLBACK_TO, "rollback to savepoint", err) : HEED_OK;
	if (rc == HEED_OK)
		rc = run_simple(s, ST_RELEASE, "release savepoint", err);
	return rc;
}

/* ---- settings ---- */

int heed_store_setting(heed_store *s, const char *key, char **value, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_SETTING_GET, &rc, err);
	*value = NULL;
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*value = heed_store_col_text(st, 0);
	else if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "setting read", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_set_setting(heed_store *s, const char *key, const char *value, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_SETTING_SET, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	heed_store_bind_text(st, 2, value);
	step_done(s, st, "setting write", &rc, err);
	return rc;
}

int heed_store_peek_setting(const char *path, const char *key, char **value, char **err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = HEED_OK;
	*value = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT value FROM settings WHERE key = ?1", -1, &st, NULL) != SQLITE_OK) {
		heed_seterr(err, "%s is not a heed store (%s)", path, db ? sqlite3_errmsg(db) : "out of memory");
		rc = HEED_EINPUT;
		goto done;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*value = heed_store_col_text(st, 0);
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int heed_store_set_scores(heed_store *s, const heed_score *v, size_t n, char **err)
{
	int rc = HEED_OK;
	if (n == 0)
		return HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_SCORES, &rc, err);
	if (!st)
		return rc;
	s->batch = v;
	s->nbatch = n;
	s->batch_at = 0;
	sqlite3_bind_int64(st, 1, v[0].id);
	sqlite3_bind_int64(st, 2, v[n - 1].id);
	step_done(s, st, "score update", &rc, err);
	s->batch = NULL;
	s->nbatch = s->batch_at = 0;
	return rc;
}
