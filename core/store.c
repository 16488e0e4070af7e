/* store: the connection, schema migrations, prepared statements, transactions,
 * stage counts, savepoints and settings (see store.h). Contact writes are in
 * store_write.c; reads and reports in store_query.c. */
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
	HEED_EXTERNAL_INDEX_SQL ";"
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
	/* 2 (email): the outbox (core/store_mail.c): one row per email under its idempotency
	 * key, the whole rendered message, and where its delivery stands. */
	"CREATE TABLE outbox("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	"  template TEXT NOT NULL, rcpt TEXT, sender TEXT, subject TEXT,"
	"  message TEXT, message_id TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),"
	"  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER, last_error TEXT, transport TEXT,"
	"  created_at INTEGER NOT NULL, handed_at INTEGER, done_at INTEGER);"
	"CREATE INDEX outbox_due ON outbox(status, next_at);"
	"CREATE INDEX outbox_created ON outbox(created_at);",
	/* 3 (follow-ups): the ledger. key = policy|contact|occurrence|item,
	 * so evaluating a policy again finds the row it made instead of adding one.
	 * claimed_by/lease_until: who runs it and until when; after the lease a
	 * crashed claimer's work may be claimed again. */
	"CREATE TABLE followups("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL,"
	"  policy TEXT NOT NULL,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  action TEXT NOT NULL CHECK (action = 'task' OR action = 'email' OR action = 'stage-check'"
	"    OR action = 'script'),"
	"  due_at INTEGER NOT NULL, tz TEXT, template TEXT, title TEXT, payload TEXT,"
	"  status TEXT NOT NULL DEFAULT 'pending' CHECK (status = 'pending' OR status = 'claimed'"
	"    OR status = 'done' OR status = 'failed' OR status = 'cancelled' OR status = 'skipped'),"
	"  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, result TEXT,"
	"  claimed_by TEXT, claimed_at INTEGER, lease_until INTEGER,"
	"  depth INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, finished_at INTEGER);"
	"CREATE INDEX followups_due ON followups(status, due_at);"
	/* the key is unique (it names the contact); indexed under the contact, so
	 * evaluation reads a range of contacts' keys in order */
	"CREATE UNIQUE INDEX followups_contact ON followups(contact_id, key);",
	/* 4 (plugin host): the plugin version sets that made scores, referenced by
	 * number from each contact (cheap for a million rows), and the plugins'
	 * key-value store, which outlives their reloads. */
	"CREATE TABLE plugin_sets(id INTEGER PRIMARY KEY, versions TEXT NOT NULL UNIQUE);"
	"ALTER TABLE contacts ADD COLUMN score_set INTEGER REFERENCES plugin_sets(id);"
	"CREATE TABLE plugin_kv(plugin TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL, PRIMARY KEY(plugin, key)) WITHOUT ROWID;",
	/* 5 (REPL): `list`/`.find` by stage and score, best first, without scanning
	 * every contact. Partial: an imported contact has no score yet, so an
	 * import writes nothing to it; score --all fills it. */
	HEED_RANK_INDEX_SQL ";",
	/* 6 (import, merge): `heed merge` keeps what it folded away: the merged contact as
	 * JSON, so nothing stored is lost and its old id still resolves. Imports
	 * match organisations on the domain of an email too. */
	"CREATE TABLE merges("
	"  id INTEGER PRIMARY KEY,"
	"  kept_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  merged_id INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  contact TEXT NOT NULL);"
	"CREATE INDEX merges_kept ON merges(kept_id);"
	"CREATE INDEX merges_merged ON merges(merged_id);"
	"CREATE INDEX organisations_domain ON organisations(domain);",
	/* 7 (email): the daily cap counts the day's hand-overs through this index,
	 * so checking it costs the cap at most, not the whole outbox. */
	"CREATE INDEX outbox_handed ON outbox(handed_at);",
	/* 8 (import speed): email uniqueness moves from the column's UNIQUE (an
	 * index SQLite will not drop) to a named index, so an import into an
	 * empty store can build it once at the end, sorted, instead of inserting
	 * a million emails at random (heed_store_bulk_keys). The table is rebuilt
	 * as SQLite's ALTER TABLE procedure says; migrate() turns foreign keys off. */
	"CREATE TABLE contacts_v8("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT,"
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
	"  stage_changed_at INTEGER NOT NULL,"
	"  score_set INTEGER REFERENCES plugin_sets(id));"
	"INSERT INTO contacts_v8(id, email, source, external_id, first_name, last_name, title, phone,"
	"  owner, org_id, stage, peak, score, score_parts, do_not_contact, attrs, created_at,"
	"  updated_at, stage_changed_at, score_set)"
	" SELECT id, email, source, external_id, first_name, last_name, title, phone,"
	"  owner, org_id, stage, peak, score, score_parts, do_not_contact, attrs, created_at,"
	"  updated_at, stage_changed_at, score_set FROM contacts;"
	"DROP TABLE contacts;"
	"ALTER TABLE contacts_v8 RENAME TO contacts;"
	HEED_EMAIL_INDEX_SQL ";"
	HEED_EXTERNAL_INDEX_SQL ";"
	HEED_RANK_INDEX_SQL ";",
	/* 9 (score speed): a long scan holds the organisations in memory
	 * (store_scanorg.c); this count tells it when one changed or went. */
	"INSERT OR IGNORE INTO settings(key, value) VALUES ('org_epoch', 0);"
	"CREATE TRIGGER organisations_epoch_update AFTER UPDATE ON organisations"
	" BEGIN UPDATE settings SET value = value + 1 WHERE key = 'org_epoch'; END;"
	"CREATE TRIGGER organisations_epoch_delete AFTER DELETE ON organisations"
	" BEGIN UPDATE settings SET value = value + 1 WHERE key = 'org_epoch'; END;",
};

/* The columns row_to_contact reads, in its positions: the contact's, its
 * organisation's (18-23) and its deal's, with the joins that give them. */
#define CONTACT_COLS_OWN                                                                     \
	"c.id, c.email, c.source, c.external_id, c.first_name, c.last_name, c.title, c.phone, " \
	"c.owner, c.org_id, c.stage, c.score, c.score_parts, c.do_not_contact, c.attrs, "      \
	"c.created_at, c.updated_at, c.stage_changed_at, "
#define CONTACT_COLS_DEAL                                                                    \
	"d.contact_id, d.value, d.currency, d.close_date, d.decision_makers, d.probability, "   \
	"d.probability_user, c.peak FROM contacts c "
#define CONTACT_JOIN_DEAL "LEFT JOIN deals d ON d.contact_id = c.id "
#define CONTACT_COLS                                                                         \
	CONTACT_COLS_OWN "o.name, o.key, o.domain, o.industry, o.employees, o.country, "        \
	CONTACT_COLS_DEAL "LEFT JOIN organisations o ON o.id = c.org_id " CONTACT_JOIN_DEAL
/* Without the organisation join: its columns NULL, filled from the scan's cache */
#define CONTACT_COLS_BARE                                                                    \
	CONTACT_COLS_OWN "NULL, NULL, NULL, NULL, NULL, NULL, " CONTACT_COLS_DEAL CONTACT_JOIN_DEAL

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
	                      " do_not_contact, attrs, created_at, updated_at, stage_changed_at,"
	                      " id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	                      " ?15, ?16, ?17, ?18, ?19)",
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
	[ST_SCORE] = "UPDATE contacts SET score = ?2, score_parts = ?3, score_set = ?4 WHERE id = ?1",
	[ST_SCORES] = "UPDATE contacts SET score = heed_batch(id, 1), score_parts = heed_batch(id, 2),"
	              " score_set = ?3 WHERE id BETWEEN ?1 AND ?2 AND heed_batch(id, 0)",
	[ST_PSET_FIND] = "SELECT id FROM plugin_sets WHERE versions = ?1",
	[ST_PSET_ADD] = "INSERT INTO plugin_sets(versions) VALUES (?1)",
	[ST_PSET_MARK] = "UPDATE contacts SET score_set = ?1 WHERE score_set IS NOT ?1",
	[ST_PSET_OF] = "SELECT p.versions FROM contacts c JOIN plugin_sets p ON p.id = c.score_set"
	               " WHERE c.id = ?1",
	[ST_KV_GET] = "SELECT value FROM plugin_kv WHERE plugin = ?1 AND key = ?2",
	[ST_KV_SET] = "INSERT INTO plugin_kv(plugin, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)"
	              " ON CONFLICT(plugin, key) DO UPDATE SET value = excluded.value,"
	              " updated_at = excluded.updated_at",
	[ST_KV_DEL] = "DELETE FROM plugin_kv WHERE plugin = ?1 AND key = ?2",
	[ST_TOUCH] = "UPDATE contacts SET email = ?2, source = ?3, external_id = ?4, first_name = ?5,"
	             " last_name = ?6, title = ?7, phone = ?8, owner = ?9, org_id = ?10,"
	             " do_not_contact = ?11, attrs = ?12, updated_at = ?13 WHERE id = ?1",
	[ST_EACH] = "SELECT " CONTACT_COLS "WHERE c.id > ?1 ORDER BY c.id LIMIT ?2",
	[ST_EACH_STAGE] = "SELECT " CONTACT_COLS "WHERE c.id > ?1 AND c.stage = ?3 ORDER BY c.id LIMIT ?2",
	[ST_EACH_BARE] = "SELECT " CONTACT_COLS_BARE "WHERE c.id > ?1 ORDER BY c.id LIMIT ?2",
	[ST_EACH_STAGE_BARE] = "SELECT " CONTACT_COLS_BARE "WHERE c.id > ?1 AND c.stage = ?3 ORDER BY c.id LIMIT ?2",
	[ST_EACH_ACTS] = "SELECT contact_id, id, kind, at, data FROM activities"
	                 " WHERE contact_id > ?1 AND contact_id <= ?2 ORDER BY contact_id, at, id",
	[ST_IDS] = "SELECT id FROM contacts ORDER BY id",
	[ST_IDS_STAGE] = "SELECT id FROM contacts WHERE stage = ?1 ORDER BY id",
	[ST_FUNNEL_COUNTS] = "SELECT stage, peak, n FROM stage_counts WHERE n != 0",
	[ST_FUNNEL_LEFT] = "SELECT count(*) FROM stage_history WHERE from_stage = ?1",
	/* a stage off the funnel (lost, disqualified): who left it and is elsewhere now (those
	 * in it are counted by stage_counts); from the history's from_stage index, never a scan */
	[ST_FUNNEL_EVER] = "SELECT count(DISTINCT h.contact_id) FROM stage_history h"
	                   " JOIN contacts c ON c.id = h.contact_id WHERE h.from_stage = ?1 AND c.stage <> ?1",
	[ST_FUNNEL_MEDIAN] = "SELECT days FROM stage_history WHERE from_stage = ?1"
	                     " ORDER BY days LIMIT ?2 OFFSET ?3",
	/* driven from deals (few) with a contact lookup each: contacts has no
	 * stage index, and a join may otherwise scan every contact */
	[ST_FORECAST] = "SELECT total(d.value * coalesce(d.probability, ?1)) FROM deals d"
	                " WHERE (SELECT stage FROM contacts c WHERE c.id = d.contact_id) = 'opportunity'",
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
	[ST_SETTING_DEL] = "DELETE FROM settings WHERE key = ?1",
	[ST_ATTR_DIFF] = "SELECT n.key, o.value, n.value FROM json_each(?2) n"
	                 " LEFT JOIN json_each(coalesce(?1, '{}')) o ON o.key = n.key"
	                 " WHERE o.value IS NOT n.value OR o.type IS NOT n.type ORDER BY n.key",
	[ST_JSON_PATCH] = "SELECT json_patch(coalesce(?1, '{}'), ?2)",
	[ST_ORG_BY_DOMAIN] = "SELECT id FROM organisations WHERE domain = ?1 ORDER BY id LIMIT 1",
	[ST_ID_FLOOR] = "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'contacts.id_floor'"
	                " AND CAST(value AS INTEGER) > coalesce((SELECT max(id) FROM contacts), 0)",
	[ST_ORG_ANY_DOMAIN] = "SELECT 1 FROM organisations WHERE domain IS NOT NULL LIMIT 1",
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

int heed_store_txn_lost(heed_store *s, int *rc, char **err)
{
	if (*rc != HEED_OK || !s->in_txn)
		return *rc != HEED_OK;
	if (!s->stop && !sqlite3_get_autocommit(s->db))
		return 0;
	/* Ctrl-C (REPL), or SQLite rolled the transaction back itself (an
	 * interrupted write does that): a statement now would run on its own,
	 * committed at once, outside the work it belongs to */
	heed_seterr(err, "interrupted: the command's changes are rolled back");
	*rc = HEED_ERR;
	return 1;
}

sqlite3_stmt *heed_store_stmt(heed_store *s, int id, int *rc, char **err)
{
	if (*rc != HEED_OK || (id != ST_ROLLBACK && id != ST_COMMIT && heed_store_txn_lost(s, rc, err)))
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
void heed_store_step_done(heed_store *s, sqlite3_stmt *st, const char *what, int *rc, char **err)
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

int heed_store_exec(heed_store *s, const char *sql, const char *what, char **err)
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

/* Migration 8 rebuilds contacts, and a table's own triggers and indexes go
 * with it: those a user added (CREATE TRIGGER, CREATE INDEX on contacts) are
 * read here before and made again after. OUT: *sql, *n (caller frees). */
static int contacts_extras(heed_store *s, char ***sql, size_t *n, char **err)
{
	sqlite3_stmt *st = NULL;
	*sql = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE tbl_name = 'contacts'"
	                       " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
	                       " AND name NOT IN ('contacts_email', 'contacts_external', 'contacts_stage_score')",
	                       -1, &st, NULL) != SQLITE_OK)
		return heed_store_fail(s, "migration", err);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*sql = xrealloc(*sql, (*n + 1) * sizeof **sql);
		(*sql)[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? HEED_OK : heed_store_fail(s, "migration", err);
}

static int migrate_step(heed_store *s, int v, char **err)
{
	char **extras = NULL;
	size_t nextras = 0;
	int rc = v == 7 ? contacts_extras(s, &extras, &nextras, err) : HEED_OK;
	if (rc == HEED_OK)
		rc = heed_store_exec(s, migrations[v], "migration", err);
	for (size_t i = 0; i < nextras; i++) {
		if (rc == HEED_OK)
			rc = heed_store_exec(s, extras[i], "migration (making again a trigger or index of contacts)", err);
		free(extras[i]);
	}
	free(extras);
	return rc;
}

static int migrate(heed_store *s, char **err)
{
	int n = (int)(sizeof migrations / sizeof migrations[0]);
	/* the common case reads the version only: no write lock, so opening a
	 * store never waits for (or blocks) another heed that is writing */
	int v = heed_store_version(s);
	if (v == n)
		return HEED_OK;
	/* off while migrating: rebuilding a table (8) drops the one other tables
	 * reference; it cannot change inside the transaction */
	/* legacy renames: a user's view naming contacts is left as it is (it
	 * names the rebuilt table after the rename), not checked mid-rebuild */
	int rc = heed_store_exec(s, "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON; BEGIN IMMEDIATE",
	              "migrate", err);
	if (rc != HEED_OK) {
		heed_store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF", "migrate", NULL);
		return rc;
	}
	v = heed_store_version(s);
	if (v > n) {
		heed_seterr(err, "store %s has schema version %d; this heed knows up to %d — upgrade heed",
		            s->path, v, n);
		rc = HEED_ERR;
		goto done;
	}
	for (; v < n && rc == HEED_OK; v++) {
		rc = migrate_step(s, v, err);
		if (rc == HEED_OK) {
			char pragma[48];
			snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
			rc = heed_store_exec(s, pragma, "migration", err);
		}
	}
done:
	if (rc == HEED_OK)
		rc = heed_store_exec(s, "COMMIT", "migrate", err);
	else
		heed_store_exec(s, "ROLLBACK", "migrate", NULL);
	int fk = heed_store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF", "migrate",
	              rc == HEED_OK ? err : NULL);
	return rc != HEED_OK ? rc : fk;
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
	s->id_floor = -1;
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
	rc = heed_store_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
	             " PRAGMA cache_size = " HEED_STORE_CACHE ";"
	             " PRAGMA temp_store = MEMORY",
	          "setup", err);
	/* WAL only once the file is known to be ours (or new) */
	if (rc == HEED_OK && (rc = check_ours(s, err)) == HEED_OK)
		rc = heed_store_exec(s, "PRAGMA journal_mode = WAL", "setup", err);
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
	rc = heed_store_exec(r, "PRAGMA cache_size = -8000; PRAGMA temp_store = MEMORY", "setup", err);
	if (rc != HEED_OK) {
		heed_store_close(r);
		return rc;
	}
	*out = r;
	return HEED_OK;
}

int heed_store_map(heed_store *s, int on, char **err)
{
	/* SQLite caps the size at its compiled-in limit (2 GB on Linux) */
	return heed_store_exec(s, on ? "PRAGMA mmap_size = 1099511627776" : "PRAGMA mmap_size = 0", "memory map", err);
}

void heed_store_close(heed_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (int i = 0; i < STORE_NMAIL; i++)
		sqlite3_finalize(s->mst[i]);
	sqlite3_finalize(s->rows_insert);
	heed_store_orgcache_clear(s);
	heed_store_scanorgs_free(s);
	heed_store_fu_close(s);
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
			heed_store_step_done(s, st, "stage counts", &rc, err);
			s->counts[i][k] = 0;
		}
	}
	return rc;
}

/* Count one contact in or out of (stage, peak); written at commit, or at once
 * outside a transaction. */
void heed_store_count_add(heed_store *s, const char *stage, int peak, int delta)
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
	heed_store_step_done(s, st, "begin", &rc, err);
	if (rc == HEED_OK)
		s->in_txn = 1;
	s->id_floor = -1; /* another process may have merged since */
	return rc;
}

int heed_store_commit(heed_store *s, char **err)
{
	if (s->stop) { /* Ctrl-C between statements: the command's work goes */
		heed_seterr(err, "interrupted");
		heed_store_rollback(s);
		return HEED_ERR;
	}
	int rc = counts_flush(s, err);
	sqlite3_stmt *st = heed_store_stmt(s, ST_COMMIT, &rc, err);
	heed_store_step_done(s, st, "commit", &rc, err);
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
		heed_store_step_done(s, st, "rollback", &rc, NULL);
	}
	s->in_txn = 0;
	memset(s->counts, 0, sizeof s->counts);
	heed_store_orgcache_clear(s); /* ids made in the transaction are gone */
}

/* ---- savepoints ---- */

static int run_simple(heed_store *s, int which, const char *what, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, which, &rc, err);
	heed_store_step_done(s, st, what, &rc, err);
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
	sqlite3_stmt *st = heed_store_stmt(s, heed_empty(value) ? ST_SETTING_DEL : ST_SETTING_SET, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (!heed_empty(value))
		heed_store_bind_text(st, 2, value);
	heed_store_step_done(s, st, "setting write", &rc, err);
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
