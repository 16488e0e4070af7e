/* store_int: internals shared by the store's source files (store.c for the
 * connection and schema, store_write.c for writes, store_query.c for reads). */
#ifndef HEED_STORE_INT_H
#define HEED_STORE_INT_H

#include <signal.h>
#include <sqlite3.h>

#include "store.h"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_ORG_BY_KEY,
	ST_ORG_INSERT,
	ST_ORG_FILL,
	ST_CONTACT_INSERT,
	ST_FIND_EXT,
	ST_FIND_EMAIL,
	ST_FIND_ID,
	ST_FIND_EXT_ANY,
	ST_LOAD_CONTACT,
	ST_LOAD_ACTS,
	ST_LOAD_HIST,
	ST_ACT_INSERT,
	ST_STAGE_GET,
	ST_COUNT_ADD,
	ST_DEAL_UPSERT,
	ST_MOVE,
	ST_MOVE_PROB,
	ST_HIST_INSERT,
	ST_SCORE,
	ST_SCORES,
	ST_TOUCH,
	ST_EACH,
	ST_EACH_STAGE,
	ST_EACH_BARE,       /* ST_EACH and ST_EACH_STAGE without the organisation join: */
	ST_EACH_STAGE_BARE, /* its columns are NULL, filled from the scan's cache */
	ST_EACH_ACTS,
	ST_IDS,
	ST_IDS_STAGE,
	ST_FUNNEL_COUNTS,
	ST_FUNNEL_LEFT,
	ST_FUNNEL_EVER,
	ST_FUNNEL_MEDIAN,
	ST_FORECAST,
	ST_JSON_PATCH,
	ST_ATTR_DIFF,
	ST_ORG_SET,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_SETTING_GET,
	ST_SETTING_SET,
	ST_SETTING_DEL,
	ST_PSET_FIND, /* plugin version sets and the key-value store: store_plugin.c */
	ST_PSET_ADD,
	ST_PSET_MARK,
	ST_PSET_OF,
	ST_KV_GET,
	ST_KV_SET,
	ST_KV_DEL,
	ST_ORG_BY_DOMAIN,
	ST_ID_FLOOR,
	ST_ORG_ANY_DOMAIN,
	ST_COUNT
};

/* Organisation ids by match key, so an import does not query per row.
 * facts: bit per known fact (domain, industry, employees, country). */
struct orgslot {
	char *key;
	int64_t id;
	unsigned facts;
};

enum { COUNT_STAGES = 6, COUNT_PEAKS = 5 }; /* peaks -1..3 */
enum { STORE_NMAIL = 20 }; /* room for the statements of store_mail.c (checked there) */

struct heed_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
	int in_txn;
	int64_t id_floor; /* merged-away ids reach up to here: -1 = not read yet (store_write.c) */
	int64_t counts[COUNT_STAGES][COUNT_PEAKS]; /* pending stage_counts deltas */
	struct orgslot *orgs; /* open addressing, power-of-two size */
	size_t norgs, orgcap;
	int domains_known;    /* 1: the cache holds every organisation domain ("\1" + domain
	                       * keys), so a miss means none; 2: it does not; 0: not checked */
	const heed_score *batch; /* the scores heed_store_set_scores is writing */
	size_t nbatch, batch_at;
	struct fu_stmts *fu;     /* the follow-up ledger's statements (store_followup.c) */
	sqlite3_stmt *mst[STORE_NMAIL]; /* store_mail.c's, prepared on first use */
	int64_t score_set; /* the plugin version set scores written now record; 0 = none */
	/* heed_store_bulk_scores: armed, the (stage, score) index dropped, and
	 * how many scores may be written before it is */
	int rank_armed, rank_dropped;
	int64_t rank_left;
	sqlite3_stmt *rows_insert; /* heed_store_insert_rows's, prepared on first use */
	volatile sig_atomic_t stop; /* heed_store_interrupt was called: commits fail */
	struct heed_scanorgs *scanorgs; /* heed_store_scan_orgs (store_scanorg.c); NULL = join */
};

/* Before a chunk is read on s: with an organisation cache in use, open the
 * chunk's read transaction and bring the cache up to date (OUT: *use = 1;
 * heed_store_scanorgs_end closes it); else *use = 0 and the scan joins. */
int heed_store_scanorgs_begin(heed_store *s, int *use, char **err);
void heed_store_scanorgs_end(heed_store *s);
/* The organisation org->id from the scan cache into org; its text stays with
 * the connection. Reads it from the store when the cache has not seen it. */
int heed_store_scanorg_fill(heed_store *s, heed_org *org, char **err);
void heed_store_scanorgs_free(heed_store *s);

void heed_store_orgcache_clear(heed_store *s);
void heed_store_fu_close(heed_store *s); /* finalize the ledger's statements */
/* A score was written alone: the next score --all must mark every score again. */
int heed_store_score_marks_stale(heed_store *s, char **err);
/* Count n scores about to be written; drops the (stage, score) index once an
 * armed bulk pass has written enough (see heed_store_bulk_scores). Runs inside
 * the caller's write transaction. */
int heed_store_rank_note(heed_store *s, size_t n, char **err);

/* The writer's page cache: 32 MB, so a 1M-row email index stays mostly in cache. */
#define HEED_STORE_CACHE "-32000"

/* The contacts' unique keys (migrations 1 and 8), dropped and built again by
 * an import into an empty store (heed_store_bulk_keys). */
#define HEED_EMAIL_INDEX_SQL "CREATE UNIQUE INDEX contacts_email ON contacts(email)"
#define HEED_EXTERNAL_INDEX_SQL                                                            \
	"CREATE UNIQUE INDEX contacts_external ON contacts(external_id, source)"              \
	" WHERE external_id IS NOT NULL"

/* The index `list` by stage and score uses (migration 5; rebuilt after bulk
 * score writes, see heed_store_bulk_scores). */
#define HEED_RANK_INDEX_SQL                                                                \
	"CREATE INDEX IF NOT EXISTS contacts_stage_score ON contacts(stage, score)"            \
	" WHERE score IS NOT NULL"

/* The prepared statement `id` (prepared on first use, reset and cleared of
 * bindings). Sets *rc and *err and returns NULL on failure; does nothing once
 * *rc is set (sticky error). */
sqlite3_stmt *heed_store_stmt(heed_store *s, int id, int *rc, char **err);
/* 1 (with *rc and *err set) when the write transaction s is in is gone or
 * must stop: heed_store_interrupt was called, or SQLite rolled it back. Every
 * statement of a transaction checks it first (heed_store_stmt does). */
int heed_store_txn_lost(heed_store *s, int *rc, char **err);
/* Run sql (statements without results) on s; on failure *err says
 * "store PATH: what: SQLite's message" (or that the store is busy). */
int heed_store_exec(heed_store *s, const char *sql, const char *what, char **err);
/* Record a SQLite failure of the connection as a heed error. */
int heed_store_fail(heed_store *s, const char *what, char **err);

/* Step a statement that returns no rows; sets *rc and *err on failure, does
 * nothing once *rc is set. */
void heed_store_step_done(heed_store *s, sqlite3_stmt *st, const char *what, int *rc, char **err);
/* Count one contact in or out of (stage, peak); written at commit, or at once
 * outside a transaction. */
void heed_store_count_add(heed_store *s, const char *stage, int peak, int delta);

/* Binding helpers: NULL/empty text and NaN bind as SQL NULL. */
void heed_store_bind_text(sqlite3_stmt *st, int i, const char *v);
void heed_store_bind_real(sqlite3_stmt *st, int i, double v);
void heed_store_bind_time(sqlite3_stmt *st, int i, heed_time v); /* 0 = NULL */
char *heed_store_col_text(sqlite3_stmt *st, int i);   /* copy or NULL; caller frees */
double heed_store_col_real(sqlite3_stmt *st, int i);  /* NaN for NULL */

#endif
