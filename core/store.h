/* store: the contact store. Owns the SQLite connection, the schema (numbered
 * migrations under PRAGMA user_version) and every SQL statement in heed; no
 * other module contains SQL. Statements are prepared once per connection.
 * Contacts, organisations, activities, deals and stage history live here. */
#ifndef HEED_STORE_H
#define HEED_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "contact.h"

typedef struct heed_store heed_store;

/* Open (creating if needed) and migrate the store at path. WAL, busy timeout,
 * foreign keys on. OUT: *out. Caller closes with heed_store_close. */
int heed_store_open(const char *path, heed_store **out, char **err);
void heed_store_close(heed_store *s);
/* A second, read-only connection to the store of s, for reading in another
 * thread while s writes (WAL lets readers run beside the writer). OUT: *out;
 * close it with heed_store_close. */
int heed_store_open_reader(heed_store *s, heed_store **out, char **err);
int heed_store_version(heed_store *s); /* schema version (user_version) */
/* Read the store file of connection s through a memory map (on) or with reads
 * (0, the default): a map saves copying every page a long scan reads. Not for
 * a connection whose memory must stay small (its RSS grows with the pages read). */
int heed_store_map(heed_store *s, int on, char **err);

/* Write transactions. begin takes the write lock at once (BEGIN IMMEDIATE). */
int heed_store_begin(heed_store *s, char **err);
int heed_store_commit(heed_store *s, char **err);
void heed_store_rollback(heed_store *s);

/* Resolve CONTACT: a numeric id, an email, or an external id (any source; an
 * external id used by two sources is reported as ambiguous). OUT: *id. */
int heed_store_resolve(heed_store *s, const char *ref, int64_t *id, char **err);
/* Find by (source, external_id) then by email; OUT: *id = 0 if none. */
int heed_store_find(heed_store *s, const char *source, const char *external_id,
                    const char *email, int64_t *id, char **err);

enum {
	HEED_LOAD_HISTORY = 1, /* also the stage history */
	HEED_LOAD_BARE = 2     /* without activities: fields, organisation and deal only */
};
/* Load contact id with its organisation, deal and activities (and history when
 * flags has HEED_LOAD_HISTORY). OUT: *c (caller clears). HEED_ENOTFOUND if absent. */
int heed_store_load(heed_store *s, int64_t id, unsigned flags, heed_contact *c, char **err);

/* Find or create the organisation o->name by its match key; fills o->id and
 * missing facts (industry, employees, country, domain) of an existing one. */
int heed_store_org_ensure(heed_store *s, heed_org *o, char **err);

/* heed_store_org_ensure, with the domain of an email (NULL = none) as a second
 * key: a contact without an organisation name joins the organisation with that
 * domain, and a name seen for the first time that matches no organisation's
 * key joins the one with that domain instead of making a new one. */
int heed_store_org_match(heed_store *s, heed_org *o, const char *domain, char **err);

/* Overwrite the facts o gives (domain, industry, employees, country) of
 * organisation o->id: a person correcting them. OUT: *changed = 1 if any changed. */
int heed_store_org_set(heed_store *s, const heed_org *o, int *changed, char **err);

/* Insert a new contact (c->org.id already resolved or 0). Sets c->id. The stage
 * is c->stage and entered at c->stage_changed_at. HEED_ECONFLICT when the email
 * or (source, external_id) already exists. */
int heed_store_insert(heed_store *s, heed_contact *c, char **err);

/* Bulk loading (see heed_store_bulk_keys): insert n contacts whose ids the
 * caller gave them, counting from heed_store_next_id, HEED_STORE_ROWS to a
 * statement (one statement a row costs SQLite ~3k instructions of set-up and
 * tear-down). No key checks: the unique indexes are down. */
enum { HEED_STORE_ROWS = 16 };
int heed_store_insert_rows(heed_store *s, heed_contact *const *cs, size_t n, char **err);
/* The id the next new contact gets (past every stored id and the merge floor). */
int heed_store_next_id(heed_store *s, int64_t *id, char **err);

/* Merge non-empty fields of upd into stored contact id; every changed field is
 * recorded as a "field_change" activity {field, old, new} at `at`.
 * OUT: *changed = number of changed fields. */
int heed_store_merge(heed_store *s, int64_t id, const heed_contact *upd, heed_time at,
                     int *changed, char **err);

/* How a merge treats fields: the source recorded with each change, and fields
 * ("title", "phone", "org.name"...) that are only filled when empty. */
typedef struct heed_merge_rules {
	const char *source;       /* e.g. "import:generic leads.csv"; NULL = none */
	long line;                /* > 0: appended as ":LINE" (formatted only when a field changes) */
	const char *const *keep;  /* never overwritten, only filled */
	size_t nkeep;
} heed_merge_rules;
/* heed_store_merge under rules (NULL = overwrite, no source). */
int heed_store_merge_with(heed_store *s, int64_t id, const heed_contact *upd, heed_time at,
                          const heed_merge_rules *rules, int *changed, char **err);

int heed_store_add_activity(heed_store *s, int64_t id, const char *kind, heed_time at,
                            const char *data_json, char **err);
/* Insert or update the deal of contact id with the known fields of d (NaN/0/NULL
 * fields keep stored values). A probability given here is marked user-set. */
int heed_store_set_deal(heed_store *s, int64_t id, const heed_deal *d, char **err);

/* One stage move, compare-and-set: only if the contact is still in `from`.
 * Writes stage, stage_changed_at, peak, history row; sets the deal probability
 * to stage_prob unless user-set or stage_prob is NaN. Must run inside a write
 * transaction. HEED_ECONFLICT if the stage was no longer `from`. */
typedef struct heed_move {
	int64_t id;
	const char *from, *to;
	heed_time at;
	const char *actor, *reason, *plugins;
	int forced;
	int peak;          /* funnel rank reached by `to` (-1 = none) */
	double stage_prob; /* default probability of `to`, NaN = leave */
} heed_move;
int heed_store_move(heed_store *s, const heed_move *m, char **err);

int heed_store_set_score(heed_store *s, int64_t id, double score, const char *parts_json,
                         char **err);

/* A score to store: parts_json is the JSON array of its parts. */
typedef struct heed_score {
	int64_t id;
	double score;
	const char *parts_json;
} heed_score;
/* Store n scores, ids ascending. Run it inside a write transaction. */
int heed_store_set_scores(heed_store *s, const heed_score *v, size_t n, char **err);

/* A chunk of contacts, fully loaded (org, deal, activities; no history). Their
 * text belongs to the chunk: read it, but do not free or replace it. It stays
 * valid until the chunk is loaded again or freed. */
typedef struct heed_chunk heed_chunk;
heed_chunk *heed_chunk_new(void);  /* free with heed_chunk_free */
void heed_chunk_free(heed_chunk *ch);
size_t heed_chunk_count(const heed_chunk *ch);
heed_contact *heed_chunk_at(heed_chunk *ch, size_t i);

/* One pass over the contacts in stage (NULL = all) in id order, a chunk at a
 * time. Zero-initialise it, then set stage. */
typedef struct heed_scan {
	const char *stage;
	int64_t after; /* the last id loaded */
	int done;      /* nothing follows `after` */
} heed_scan;
/* Load the next chunk of the scan into ch (replacing what it held); a count of
 * 0 means the scan is over. Reads need no transaction of the caller's: each
 * chunk is read on its own. */
int heed_store_scan(heed_store *s, heed_scan *scan, heed_chunk *ch, char **err);
/* For a long read-only pass on connection s (score --all's reader): read every
 * organisation once, so scans on s take each contact's organisation from
 * memory instead of a join. Each chunk is then read in one transaction that
 * first checks whether any organisation changed or went since (and reads them
 * all again if so); one created since is read when first met. A store with
 * very many organisations, or much text in them, keeps the join. Lasts until
 * s is closed. */
int heed_store_scan_orgs(heed_store *s, char **err);

/* Visit contacts in id order, fully loaded (org, deal, activities), in chunks;
 * stage NULL = all. The contact's text belongs to the store, as in a chunk.
 * The callback may write (score) but not move stages; return non-zero from it
 * to stop. When write is set each chunk runs in one write transaction. */
typedef int (*heed_store_visit)(void *ud, heed_contact *c);
int heed_store_each(heed_store *s, const char *stage, int write, heed_store_visit fn, void *ud,
                    char **err);
/* Ids of contacts in stage (NULL = all) in id order. OUT: *ids (caller frees), *n. */
int heed_store_ids(heed_store *s, const char *stage, int64_t **ids, size_t *n, char **err);

/* A row of `list`/`today`: the columns reports print. Strings owned by the row. */
typedef struct heed_listrow {
	int64_t id;
	char *email, *source, *external_id, *name, *org, *title, *stage, *owner;
	double score; /* NaN = not scored */
	heed_time created_at, updated_at, stage_changed_at, last_activity; /* 0 = none */
	char *last_kind;
	double deal_value, deal_prob;  /* NaN = none */
	heed_time close_date;
	char *decision_makers;
	int two_way; /* has a call/meeting/reply/chat activity */
} heed_listrow;

typedef struct heed_listq {
	const char *stage;     /* NULL = any */
	double min_score;      /* NaN = no limit */
	const char *order;     /* a column of heed_listrow: id, score, email, name, created_at, updated_at, stage_changed_at, stage, value */
	int desc;              /* -1 = the order's natural direction, 0 asc, 1 desc */
	long limit;            /* <= 0 = no limit */
} heed_listq;

/* Run a list query. OUT: *rows, *n (free with heed_listrows_free). */
int heed_store_list(heed_store *s, const heed_listq *q, heed_listrow **rows, size_t *n, char **err);
void heed_listrows_free(heed_listrow *rows, size_t n);
void heed_listrow_clear(heed_listrow *r); /* free one row's strings, zero it */
/* Which order names heed_store_list accepts (NULL-terminated). */
extern const char *const heed_store_orders[];

/* Funnel figures for `pipeline`, one per stage name given; rank[i] is the funnel
 * rank of stages[i] (-1: not a funnel step). forecast = sum over opportunities of
 * deal value x probability (open_prob when a deal has none). */
typedef struct heed_funnel_stage {
	long count;        /* contacts now in the stage */
	long reached;      /* contacts that ever reached it (or a later funnel stage); off the
	                    * funnel (rank -1): contacts in it now or ever moved into it */
	long left;         /* completed stints in the stage */
	double median_days; /* NaN when no stint ended */
} heed_funnel_stage;

int heed_store_funnel(heed_store *s, const char *const *stages, size_t nstages, const int *rank,
                      heed_funnel_stage *out, double open_prob, double *forecast,
                      char **err);

/* The highest contact id (0 = none): contacts made later have higher ids. */
int heed_store_max_id(heed_store *s, int64_t *id, char **err);

/* Bulk loading into an empty store, inside the caller's write transaction.
 * build 0: drop the contacts' unique indexes (email; source + external id), so
 * rows go in without a random index insert each; the caller must then keep
 * its own keys (see keyset.h), as nothing stops a duplicate. build 1: build
 * them again, sorted (and the usual page cache); it fails if a duplicate got
 * in, and the caller rolls back. Other connections see the indexes throughout
 * (they read the last commit). */
int heed_store_bulk_keys(heed_store *s, int build, char **err);
/* Memory for a bulk load, outside a transaction. on 1: a small page cache (rows
 * only append) and temporary files on disk, so building the indexes sorts in
 * bounded memory; on 0: back to the connection's usual settings. */
int heed_store_bulk_memory(heed_store *s, int on, char **err);

/* Fold contact drop into keep, inside the caller's write transaction: its
 * activities, stage history and earlier merges move to keep, its deal fills
 * the gaps of keep's, its attributes fill keep's missing keys, keep's peak
 * becomes the higher one; then drop is deleted and recorded in merges with
 * snapshot (the JSON of the whole contact). Fields and stage are the caller's. */
int heed_store_fold(heed_store *s, int64_t keep, int64_t drop, heed_time at, const char *snapshot,
                    char **err);
/* The contact that old was merged into (following one merge). OUT: *id (0 = none). */
int heed_store_merged_into(heed_store *s, int64_t old, int64_t *id, char **err);

/* Groups of likely duplicates: kind 0 = the same email trimmed and folded,
 * kind 1 = the same first and last name (folded) at the same organisation.
 * fn gets the shared key and the ids ("3 7 12"); non-zero stops. */
typedef int (*heed_store_group_fn)(void *ud, const char *key, const char *ids);
int heed_store_dupe_groups(heed_store *s, int kind, heed_store_group_fn fn, void *ud, char **err);
/* Every contact with a phone, with its organisation's country (or NULL), in id order. */
typedef int (*heed_store_phone_fn)(void *ud, int64_t id, const char *phone, const char *country);
int heed_store_phones(heed_store *s, heed_store_phone_fn fn, void *ud, char **err);

/* A savepoint inside the write transaction, for work that may have to be
 * undone alone (one import row). release(undo=1) rolls back to it first. */
int heed_store_savepoint(heed_store *s, char **err);
int heed_store_release(heed_store *s, int undo, char **err);

/* Store-wide settings (key → text). OUT: *value (caller frees; NULL if unset).
 * set: value NULL or empty deletes the key. */
int heed_store_setting(heed_store *s, const char *key, char **value, char **err);
int heed_store_set_setting(heed_store *s, const char *key, const char *value, char **err);
/* Plugin audit (store_plugin.c). The id of a plugin version set ("a@1,b@2"),
 * added when new; OUT: *id. Scores written from now on record set id (0 =
 * none); mark_scores records it on every contact (score --all, at its end:
 * the unchanged scores were made by that set too). score_versions: the set
 * behind contact id's score; OUT: *versions, NULL when unknown (caller frees). */
int heed_store_plugin_set(heed_store *s, const char *versions, int64_t *id, char **err);
void heed_store_score_set(heed_store *s, int64_t id);
int heed_store_mark_scores(heed_store *s, int64_t id, char **err);
int heed_store_score_versions(heed_store *s, int64_t id, char **versions, char **err);
/* The plugins' key-value store, bounded by a progress handler. get: OUT *value
 * (NULL when absent; caller frees). set: value NULL deletes the key. */
int heed_store_kv_get(heed_store *s, const char *plugin, const char *key, char **value, char **err);
int heed_store_kv_set(heed_store *s, const char *plugin, const char *key, const char *value, char **err);

/* Read one setting of the store at path without opening it for writing; a file
 * that is not a heed store gives HEED_EINPUT. OUT: *value (caller frees). */
int heed_store_peek_setting(const char *path, const char *key, char **value, char **err);

/* ---- for the REPL (store_repl.c) ---- */

/* Cancel the statement s is running; it fails with an "interrupted" error and
 * its transaction is rolled back. Safe to call from a signal handler. An
 * interrupt that lands between statements is not lost: until
 * heed_store_interrupt_clear, heed_store_interrupted says so and every commit
 * fails with "interrupted" (and rolls back), so a command's work is all or
 * nothing. */
void heed_store_interrupt(heed_store *s);
int heed_store_interrupted(const heed_store *s);
void heed_store_interrupt_clear(heed_store *s);
/* Contacts now in stage (NULL = all), from the stage counts. OUT: *n. */
int heed_store_count(heed_store *s, const char *stage, int64_t *n, char **err);
/* Run one SELECT (or WITH … SELECT) on s, which should be a connection from
 * heed_store_open_reader; anything that could write is refused. OUT: *t, one
 * typed cell per value (caller frees with heed_table_free). */
struct heed_table;
int heed_store_select(heed_store *s, const char *sql, struct heed_table **t, char **err);
/* Around a pass that writes many scores (score --all): on = 1 arms it, and
 * once more than min scores have been written the (stage, score) index is
 * dropped; on = 0 builds it again (one sort instead of a random index update
 * per score). Call on = 0 even when the pass failed. A process killed in
 * between leaves the index out (and a mark in the settings) until the next
 * pass builds it: `list` stays right meanwhile, only slower. An index dropped
 * by hand stays out. Meanwhile the connection reads the file through a memory
 * map (see heed_store_map), checkpoints its WAL less often and does not check
 * foreign keys (the pass writes only scores and an existing plugin set). */
int heed_store_bulk_scores(heed_store *s, int on, int64_t min, char **err);
/* Completion: up to max contact emails, or ids when prefix is all digits,
 * that start with prefix; add(ud, text) is called for each, in order. */
int heed_store_complete(heed_store *s, const char *prefix, size_t max,
                        void (*add)(void *ud, const char *text), void *ud, char **err);

#endif
