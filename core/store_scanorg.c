/* store_scanorg: the organisations a long scan meets, held in memory for its
 * connection (see heed_store_scan_orgs in store.h). A scan then reads contacts
 * without joining organisations, and each contact's organisation comes from a
 * table keyed by id: one seek in the organisations B-tree per contact was a
 * third of the time score --all spent reading.
 *
 * The cache stays true to the store: each chunk is read in one transaction
 * that first compares the org_epoch setting (raised by a trigger on every
 * change or removal of an organisation, migration 9) with the one the cache
 * was filled at, and fills it again when they differ. An organisation created
 * since is read when first met. Text from an earlier filling is kept until
 * the connection closes, because chunks handed on may still point into it. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* Above this many organisations, or this much of their text, the scan keeps
 * its join: the cache would cost more memory than the seeks cost time. A pass
 * that has to fill it again this often (organisations changing under it all
 * the time) goes back to the join too. */
enum { SCANORG_MAX = 250000, SCANORG_MAX_TEXT = 32 << 20, SCANORG_MAX_FILLS = 4 };

struct scanorg {
	int64_t id; /* 0 = empty slot */
	const char *name, *key, *domain, *industry, *country;
	int64_t employees;
};

struct heed_scanorgs {
	struct scanorg *v; /* open addressing, power-of-two size, at most half full */
	size_t n, cap;
	heed_text text;    /* never moves: contacts point into it */
	size_t text_bytes; /* copied into text by the current filling */
	int64_t epoch;     /* org_epoch when it was filled */
	int fills;
	int off;           /* gave up: scans join again (the text stays until close) */
	sqlite3_stmt *all, *one, *epoch_st;
};

static const char *keep_text(struct heed_scanorgs *c, const unsigned char *t, int len)
{
	if (!t)
		return NULL;
	c->text_bytes += (size_t)len + 1;
	return heed_text_copy(&c->text, (const char *)t, (size_t)len);
}

static size_t slot_of(const struct heed_scanorgs *c, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u;
	size_t i = (size_t)(h >> 17) & (c->cap - 1);
	while (c->v[i].id && c->v[i].id != id)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static void grow(struct heed_scanorgs *c)
{
	struct scanorg *old = c->v;
	size_t oldcap = c->cap;
	c->cap = oldcap ? oldcap * 2 : 1024;
	c->v = xcalloc(c->cap, sizeof *c->v);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].id)
			c->v[slot_of(c, old[i].id)] = old[i];
	free(old);
}

/* Add the organisation in st's columns (id, name, key, domain, industry,
 * employees, country); returns its entry. */
static const struct scanorg *add_row(struct heed_scanorgs *c, sqlite3_stmt *st)
{
	if ((c->n + 1) * 2 > c->cap)
		grow(c);
	int64_t id = sqlite3_column_int64(st, 0);
	struct scanorg *o = &c->v[slot_of(c, id)];
	if (o->id == 0)
		c->n++;
	o->id = id;
	o->name = keep_text(c, sqlite3_column_text(st, 1), sqlite3_column_bytes(st, 1));
	o->key = keep_text(c, sqlite3_column_text(st, 2), sqlite3_column_bytes(st, 2));
	o->domain = keep_text(c, sqlite3_column_text(st, 3), sqlite3_column_bytes(st, 3));
	o->industry = keep_text(c, sqlite3_column_text(st, 4), sqlite3_column_bytes(st, 4));
	o->employees = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
	o->country = keep_text(c, sqlite3_column_text(st, 6), sqlite3_column_bytes(st, 6));
	return o;
}

void heed_store_scanorgs_free(heed_store *s)
{
	struct heed_scanorgs *c = s->scanorgs;
	if (!c)
		return;
	sqlite3_finalize(c->all);
	sqlite3_finalize(c->one);
	sqlite3_finalize(c->epoch_st);
	heed_text_free(&c->text);
	free(c->v);
	free(c);
	s->scanorgs = NULL;
}

static int read_epoch(heed_store *s, struct heed_scanorgs *c, int64_t *epoch, char **err)
{
	int r = sqlite3_step(c->epoch_st);
	*epoch = r == SQLITE_ROW ? sqlite3_column_int64(c->epoch_st, 0) : -1;
	sqlite3_reset(c->epoch_st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? HEED_OK : heed_store_fail(s, "organisation epoch", err);
}

/* (Re)fill the table from every organisation, inside the caller's read
 * transaction. Past a limit, sets c->off instead. */
static int fill(heed_store *s, struct heed_scanorgs *c, char **err)
{
	int rc = read_epoch(s, c, &c->epoch, err), r;
	memset(c->v, 0, c->cap * sizeof *c->v);
	c->n = 0;
	c->text_bytes = 0;
	c->fills++;
	while (rc == HEED_OK && !c->off && (r = sqlite3_step(c->all)) == SQLITE_ROW) {
		add_row(c, c->all);
		c->off = c->n > SCANORG_MAX || c->text_bytes > SCANORG_MAX_TEXT;
	}
	if (rc == HEED_OK && !c->off && r != SQLITE_DONE)
		rc = heed_store_fail(s, "organisation load", err);
	sqlite3_reset(c->all);
	return rc;
}

#define ORG_COLS "id, name, key, domain, industry, employees, country FROM organisations"

int heed_store_scan_orgs(heed_store *s, char **err)
{
	heed_store_scanorgs_free(s);
	struct heed_scanorgs *c = xcalloc(1, sizeof *c);
	s->scanorgs = c;
	int rc = HEED_OK;
	if (sqlite3_prepare_v2(s->db, "SELECT " ORG_COLS, -1, &c->all, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT " ORG_COLS " WHERE id = ?1", -1, &c->one, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT value FROM settings WHERE key = 'org_epoch'", -1, &c->epoch_st,
	                       NULL) != SQLITE_OK)
		rc = heed_store_fail(s, "organisation load", err);
	if (rc == HEED_OK)
		rc = heed_store_exec(s, "BEGIN", "organisation load", err);
	if (rc == HEED_OK) {
		grow(c);
		rc = fill(s, c, err);
		heed_store_exec(s, "COMMIT", "organisation load", NULL);
	}
	if (rc != HEED_OK || c->off) /* nothing points into it yet */
		heed_store_scanorgs_free(s);
	return rc;
}

int heed_store_scanorgs_begin(heed_store *s, int *use, char **err)
{
	struct heed_scanorgs *c = s->scanorgs;
	*use = 0;
	if (!c || c->off)
		return HEED_OK;
	int64_t epoch;
	int rc = heed_store_exec(s, "BEGIN", "contact scan", err);
	if (rc == HEED_OK)
		rc = read_epoch(s, c, &epoch, err);
	if (rc == HEED_OK && epoch != c->epoch) {
		c->off = c->fills >= SCANORG_MAX_FILLS;
		if (!c->off)
			rc = fill(s, c, err);
	}
	if (rc != HEED_OK)
		heed_store_exec(s, "ROLLBACK", "contact scan", NULL);
	*use = rc == HEED_OK && !c->off;
	if (rc == HEED_OK && !*use) /* the join reads on its own */
		rc = heed_store_exec(s, "COMMIT", "contact scan", err);
	return rc;
}

void heed_store_scanorgs_end(heed_store *s)
{
	heed_store_exec(s, "COMMIT", "contact scan", NULL);
}

int heed_store_scanorg_fill(heed_store *s, heed_org *org, char **err)
{
	struct heed_scanorgs *c = s->scanorgs;
	const struct scanorg *o = &c->v[slot_of(c, org->id)];
	if (o->id == 0) { /* created after the filling */
		sqlite3_bind_int64(c->one, 1, org->id);
		int r = sqlite3_step(c->one);
		o = r == SQLITE_ROW ? add_row(c, c->one) : NULL;
		sqlite3_reset(c->one);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return heed_store_fail(s, "organisation read", err);
		if (!o) /* no such organisation: its fields unknown, as the join shows it */
			return HEED_OK;
	}
	/* the text stays with the connection, like a chunk's (const by contract) */
	org->name = (char *)o->name;
	org->key = (char *)o->key;
	org->domain = (char *)o->domain;
	org->industry = (char *)o->industry;
	org->employees = o->employees;
	org->country = (char *)o->country;
	return HEED_OK;
}
