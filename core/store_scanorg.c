/* store_scanorg: the organisations a long scan meets, held in memory for its
 * connection (see heed_store_scan_orgs in store.h). A scan then reads contacts
 * without joining organisations, and each contact's organisation comes from a
 * table keyed by id: one seek in the organisations B-tree per contact was a
 * third of the time score --all spent reading. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* Above this many organisations the scan keeps its join: the cache would cost
 * more memory than the seeks cost time (most contacts their own company). */
enum { SCANORG_MAX = 250000 };

struct scanorg {
	int64_t id; /* 0 = empty slot */
	const char *name, *key, *domain, *industry, *country;
	int64_t employees;
};

struct heed_scanorgs {
	struct scanorg *v; /* open addressing, power-of-two size, at most half full */
	size_t n, cap;
	heed_text text;    /* never moves: contacts point into it */
	sqlite3_stmt *one;          /* an organisation the load did not see */
};

static const char *keep_text(struct heed_scanorgs *c, const unsigned char *t, int len)
{
	return t ? heed_text_copy(&c->text, (const char *)t, (size_t)len) : NULL;
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

/* Add the organisation in st's columns first.. (id, name, key, domain,
 * industry, employees, country); returns its entry. */
static const struct scanorg *add_row(struct heed_scanorgs *c, sqlite3_stmt *st, int first)
{
	if ((c->n + 1) * 2 > c->cap)
		grow(c);
	int64_t id = sqlite3_column_int64(st, first);
	struct scanorg *o = &c->v[slot_of(c, id)];
	if (o->id == 0)
		c->n++;
	o->id = id;
	o->name = keep_text(c, sqlite3_column_text(st, first + 1), sqlite3_column_bytes(st, first + 1));
	o->key = keep_text(c, sqlite3_column_text(st, first + 2), sqlite3_column_bytes(st, first + 2));
	o->domain = keep_text(c, sqlite3_column_text(st, first + 3), sqlite3_column_bytes(st, first + 3));
	o->industry = keep_text(c, sqlite3_column_text(st, first + 4), sqlite3_column_bytes(st, first + 4));
	o->employees = sqlite3_column_type(st, first + 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, first + 5);
	o->country = keep_text(c, sqlite3_column_text(st, first + 6), sqlite3_column_bytes(st, first + 6));
	return o;
}

void heed_store_scanorgs_free(heed_store *s)
{
	struct heed_scanorgs *c = s->scanorgs;
	if (!c)
		return;
	sqlite3_finalize(c->one);
	heed_text_free(&c->text);
	free(c->v);
	free(c);
	s->scanorgs = NULL;
}

#define ORG_COLS "id, name, key, domain, industry, employees, country FROM organisations"

int heed_store_scan_orgs(heed_store *s, char **err)
{
	heed_store_scanorgs_free(s);
	sqlite3_stmt *st = NULL;
	int rc = HEED_OK, r;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM organisations", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = heed_store_fail(s, "organisation count", err);
		goto done;
	}
	if (sqlite3_column_int64(st, 0) > SCANORG_MAX)
		goto done; /* scans keep joining */
	sqlite3_finalize(st);
	st = NULL;
	struct heed_scanorgs *c = xcalloc(1, sizeof *c);
	s->scanorgs = c;
	if (sqlite3_prepare_v2(s->db, "SELECT " ORG_COLS, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT " ORG_COLS " WHERE id = ?1", -1, &c->one, NULL) != SQLITE_OK) {
		rc = heed_store_fail(s, "organisation load", err);
		goto done;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		add_row(c, st, 0);
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "organisation load", err);
done:
	sqlite3_finalize(st);
	if (rc != HEED_OK)
		heed_store_scanorgs_free(s);
	return rc;
}

int heed_store_scanorg_fill(heed_store *s, heed_org *org, char **err)
{
	struct heed_scanorgs *c = s->scanorgs;
	const struct scanorg *o = &c->v[slot_of(c, org->id)];
	if (o->id == 0) { /* created after the load */
		sqlite3_bind_int64(c->one, 1, org->id);
		int r = sqlite3_step(c->one);
		o = r == SQLITE_ROW ? add_row(c, c->one, 0) : NULL;
		sqlite3_reset(c->one);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return heed_store_fail(s, "organisation read", err);
		if (!o) /* gone meanwhile: its fields unknown, as the join shows it */
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
