/* store_write: the store's contact writes — resolving references, finding
 * and creating organisations, inserting and merging contacts, activities,
 * deals, stage moves and scores (see store.h). The connection, schema and
 * transactions are in store.c; reads and reports in store_query.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store_int.h"
#include "util.h"

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
	s->domains_known = 0;
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

/* The organisation with match key `key`. OUT: *id (0 = none), *facts. */
static int org_lookup(heed_store *s, const char *key, int64_t *id, unsigned *facts, char **err)
{
	int rc = HEED_OK;
	*id = 0;
	*facts = 0;
	sqlite3_stmt *st = heed_store_stmt(s, ST_ORG_BY_KEY, &rc, err);
	if (!st)
		return rc;
	heed_store_bind_text(st, 1, key);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		for (int i = 0; i < 4; i++)
			*facts |= sqlite3_column_int(st, 1 + i) ? 1u << i : 0;
	} else if (r != SQLITE_DONE) {
		rc = heed_store_fail(s, "organisation lookup", err);
	}
	sqlite3_reset(st);
	return rc;
}

static void domain_remember(heed_store *s, const char *domain, int64_t id);

/* Insert organisation o (key set) and remember it. Sets o->id. */
static int org_insert(heed_store *s, heed_org *o, unsigned have, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_ORG_INSERT, &rc, err);
	if (!st)
		return rc;
	heed_store_bind_text(st, 1, o->name);
	heed_store_bind_text(st, 2, o->key);
	bind_org_facts(st, o, 3);
	sqlite3_bind_int64(st, 7, heed_time_now());
	heed_store_step_done(s, st, "organisation insert", &rc, err);
	if (rc != HEED_OK)
		return rc;
	o->id = sqlite3_last_insert_rowid(s->db);
	org_remember(s, o->key, o->id, have);
	domain_remember(s, o->domain, o->id);
	return HEED_OK;
}

/* Set o->key from o->name (as written when it folds to nothing). */
static void org_keyed(heed_org *o)
{
	if (!o->key)
		o->key = heed_org_key(o->name);
	if (heed_empty(o->key)) { /* a name of punctuation only: match it as written */
		free(o->key);
		o->key = xstrdup(o->name);
	}
}

static int org_ensure_at(heed_store *s, heed_org *o, struct orgslot *slot, char **err);

int heed_store_org_ensure(heed_store *s, heed_org *o, char **err)
{
	if (heed_empty(o->name)) {
		o->id = 0;
		return HEED_OK;
	}
	org_keyed(o);
	return org_ensure_at(s, o, org_slot(s, o->key), err);
}

/* heed_store_org_ensure with o keyed and slot = org_slot(s, o->key), already looked up. */
static int org_ensure_at(heed_store *s, heed_org *o, struct orgslot *slot, char **err)
{
	int rc = HEED_OK;
	unsigned have = org_facts(o);
	if (slot && slot->key) {
		o->id = slot->id;
		if ((have & ~slot->facts) == 0)
			return HEED_OK;
	} else {
		unsigned facts;
		if ((rc = org_lookup(s, o->key, &o->id, &facts, err)) != HEED_OK)
			return rc;
		if (!o->id)
			return org_insert(s, o, have, err);
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
	heed_store_step_done(s, st, "organisation update", &rc, err);
	if (rc == HEED_OK && (have & ~slot->facts & FACT_DOMAIN))
		domain_remember(s, o->domain, o->id);
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
	heed_store_step_done(s, st, "organisation update", &rc, err);
	if (rc == HEED_OK)
		*changed = sqlite3_changes(s->db);
	if (rc == HEED_OK && *changed && !heed_empty(o->domain))
		heed_store_orgcache_clear(s); /* a domain changed: what the cache knows of domains is stale */
	return rc;
}

/* ---- contacts ---- */

/* Ids name contacts in follow-up and outbox keys, merges and timelines, so an
 * id a merge took away is never given to a new contact: heed_store_fold keeps
 * the highest one as a floor when it was the store's highest id. Returns the
 * floor while no contact has passed it, else 0 (then SQLite's own choice, the
 * highest id + 1, is safe). */
/* The highest id heed gives: far below INT64_MAX, so id + 1 never overflows. */
#define ID_MAX (INT64_MAX / 2)

static int64_t id_floor(heed_store *s, int *rc, char **err)
{
	if (s->id_floor >= 0)
		return s->id_floor;
	s->id_floor = 0;
	sqlite3_stmt *st = heed_store_stmt(s, ST_ID_FLOOR, rc, err);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		s->id_floor = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	if (s->id_floor > ID_MAX) { /* only a hand-edited setting gets here */
		heed_seterr(err, "store %s: setting contacts.id_floor is %lld; new contact ids would pass"
		                 " %lld (set it lower)", s->path, (long long)s->id_floor, (long long)ID_MAX);
		*rc = HEED_EINPUT;
		s->id_floor = -1;
		return 0;
	}
	return s->id_floor;
}

/* Bind contact c's 18 stored fields to parameters at+1 .. at+18 (the order of
 * ST_CONTACT_INSERT and of each row of the batch insert). */
static void bind_contact(sqlite3_stmt *st, int at, const heed_contact *c)
{
	heed_store_bind_text(st, at + 1, c->email);
	heed_store_bind_text(st, at + 2, c->source);
	heed_store_bind_text(st, at + 3, c->external_id);
	heed_store_bind_text(st, at + 4, c->first_name);
	heed_store_bind_text(st, at + 5, c->last_name);
	heed_store_bind_text(st, at + 6, c->title);
	heed_store_bind_text(st, at + 7, c->phone);
	heed_store_bind_text(st, at + 8, c->owner);
	if (c->org.id)
		sqlite3_bind_int64(st, at + 9, c->org.id);
	heed_store_bind_text(st, at + 10, c->stage[0] ? c->stage : "lead");
	sqlite3_bind_int(st, at + 11, c->peak);
	heed_store_bind_real(st, at + 12, c->score);
	heed_store_bind_text(st, at + 13, c->score_parts);
	sqlite3_bind_int(st, at + 14, c->do_not_contact);
	heed_store_bind_text(st, at + 15, c->attrs);
	sqlite3_bind_int64(st, at + 16, c->created_at);
	sqlite3_bind_int64(st, at + 17, c->updated_at ? c->updated_at : c->created_at);
	sqlite3_bind_int64(st, at + 18, c->stage_changed_at ? c->stage_changed_at : c->created_at);
}

int heed_store_next_id(heed_store *s, int64_t *id, char **err)
{
	int rc = HEED_OK;
	int64_t floor = id_floor(s, &rc, err), max = 0;
	if (rc == HEED_OK)
		rc = heed_store_max_id(s, &max, err);
	if (rc == HEED_OK && max >= ID_MAX) {
		heed_seterr(err, "store %s: contact ids have reached %lld; no new contact can be added",
		            s->path, (long long)max);
		rc = HEED_EINPUT;
	}
	*id = (max > floor ? max : floor) + 1;
	return rc;
}

/* The statement inserting HEED_STORE_ROWS contacts with their ids. */
static sqlite3_stmt *rows_stmt(heed_store *s, int *rc, char **err)
{
	if (heed_store_txn_lost(s, rc, err))
		return NULL;
	if (s->rows_insert) {
		sqlite3_reset(s->rows_insert);
		sqlite3_clear_bindings(s->rows_insert);
		return s->rows_insert;
	}
	heed_buf b = { 0 };
	heed_buf_adds(&b, "INSERT INTO contacts(email, source, external_id, first_name, last_name, title,"
	                  " phone, owner, org_id, stage, peak, score, score_parts, do_not_contact, attrs,"
	                  " created_at, updated_at, stage_changed_at, id) VALUES ");
	for (int r = 0; r < HEED_STORE_ROWS; r++) {
		heed_buf_adds(&b, r ? ",(" : "(");
		for (int k = 1; k <= 19; k++)
			heed_buf_addf(&b, "%s?%d", k > 1 ? "," : "", r * 19 + k);
		heed_buf_addc(&b, ')');
	}
	if (sqlite3_prepare_v3(s->db, b.s, -1, SQLITE_PREPARE_PERSISTENT, &s->rows_insert, NULL) != SQLITE_OK)
		*rc = heed_store_fail(s, "preparing the contact batch insert", err);
	free(b.s);
	return *rc == HEED_OK ? s->rows_insert : NULL;
}

int heed_store_insert_rows(heed_store *s, heed_contact *const *cs, size_t n, char **err)
{
	int rc = HEED_OK;
	size_t i = 0;
	for (; n - i >= HEED_STORE_ROWS && rc == HEED_OK; i += HEED_STORE_ROWS) {
		sqlite3_stmt *st = rows_stmt(s, &rc, err);
		if (!st)
			break;
		for (int r = 0; r < HEED_STORE_ROWS; r++) {
			bind_contact(st, r * 19, cs[i + r]);
			sqlite3_bind_int64(st, r * 19 + 19, cs[i + r]->id);
		}
		heed_store_step_done(s, st, "contact insert", &rc, err);
	}
	for (; i < n && rc == HEED_OK; i++) { /* the tail, one by one */
		sqlite3_stmt *st = heed_store_stmt(s, ST_CONTACT_INSERT, &rc, err);
		if (!st)
			break;
		bind_contact(st, 0, cs[i]);
		sqlite3_bind_int64(st, 19, cs[i]->id);
		heed_store_step_done(s, st, "contact insert", &rc, err);
	}
	for (size_t k = 0; k < n && rc == HEED_OK; k++)
		heed_store_count_add(s, cs[k]->stage[0] ? cs[k]->stage : "lead", cs[k]->peak, 1);
	if (rc == HEED_OK && n)
		s->id_floor = 0; /* the highest id is past any floor now */
	return rc;
}

int heed_store_insert(heed_store *s, heed_contact *c, char **err)
{
	int rc = HEED_OK;
	int64_t floor = id_floor(s, &rc, err);
	sqlite3_stmt *st = heed_store_stmt(s, ST_CONTACT_INSERT, &rc, err);
	if (!st)
		return rc;
	if (floor > 0) {
		sqlite3_bind_int64(st, 19, floor + 1);
		s->id_floor = 0; /* from now on the highest id is past the floor */
	}
	bind_contact(st, 0, c);
	int r = sqlite3_step(st);
	if (r == SQLITE_DONE) {
		c->id = sqlite3_last_insert_rowid(s->db);
		heed_store_count_add(s, c->stage[0] ? c->stage : "lead", c->peak, 1);
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
	heed_store_step_done(s, st, "activity insert", &rc, err);
	return rc;
}

/* The rules of the merge in progress on this thread (NULL = overwrite, no
 * source): set and cleared by heed_store_merge_with around one merge. */
static _Thread_local const heed_merge_rules *merge_rules;

/* 1 if the rules say field may only be filled, not overwritten. */
static int keep_field(const char *field)
{
	for (size_t i = 0; merge_rules && i < merge_rules->nkeep; i++)
		if (strcmp(merge_rules->keep[i], field) == 0)
			return 1;
	return 0;
}

/* Record one changed field as a field_change activity: field, old, new, source. */
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
	if (merge_rules && merge_rules->source) {
		heed_buf_adds(&b, ",\"source\":");
		char *src = merge_rules->line > 0 ? xasprintf("%s:%ld", merge_rules->source, merge_rules->line)
		                                  : NULL;
		heed_json_str(&b, src ? src : merge_rules->source);
		free(src);
	}
	heed_buf_addc(&b, '}');
	*rc = heed_store_add_activity(s, id, "field_change", at, b.s, err);
	heed_buf_free(&b);
	(*changed)++;
}

/* Merge one text field: a non-empty new value replaces a different old one. */
static void merge_text(heed_store *s, int64_t id, const char *field, char **old, const char *now,
                       heed_time at, int *changed, int *rc, char **err)
{
	if (heed_empty(now) || heed_streq(*old, now) || (!heed_empty(*old) && keep_field(field)))
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

int heed_store_merge_with(heed_store *s, int64_t id, const heed_contact *upd, heed_time at,
                          const heed_merge_rules *rules, int *changed, char **err)
{
	merge_rules = rules;
	int rc = heed_store_merge(s, id, upd, at, changed, err);
	merge_rules = NULL;
	return rc;
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
	if (upd->org.id && upd->org.id != cur.org.id && !(cur.org.id && keep_field("org.name"))) {
		note_change(s, id, "organisation", cur.org.name, upd->org.name, at, changed, &rc, err);
		cur.org.id = upd->org.id;
	}
	if (upd->do_not_contact && !cur.do_not_contact) {
		note_change(s, id, "do_not_contact", "0", "1", at, changed, &rc, err);
		cur.do_not_contact = 1;
	}
	/* the same text (a re-import of the same row) changes nothing: skip the SQL */
	int attrs_new = !heed_empty(upd->attrs) && !heed_streq(upd->attrs, cur.attrs);
	if (attrs_new && rc == HEED_OK)
		note_attr_changes(s, id, cur.attrs, upd->attrs, at, changed, &rc, err);
	if (attrs_new && rc == HEED_OK) {
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
	heed_store_step_done(s, st, "deal update", &rc, err);
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
	heed_store_step_done(s, st, "stage update", &rc, err);
	if (rc == HEED_OK && sqlite3_changes(s->db) != 1) {
		heed_seterr(err, "contact %lld left %s meanwhile", (long long)m->id, m->from);
		return HEED_ECONFLICT;
	}
	heed_store_count_add(s, m->from, peak, -1);
	heed_store_count_add(s, m->to, m->peak > peak ? m->peak : peak, 1);
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
	heed_store_step_done(s, st, "history insert", &rc, err);
	if (!isnan(m->stage_prob)) {
		st = heed_store_stmt(s, ST_MOVE_PROB, &rc, err);
		if (st) {
			sqlite3_bind_int64(st, 1, m->id);
			sqlite3_bind_double(st, 2, m->stage_prob);
		}
		heed_store_step_done(s, st, "deal probability", &rc, err);
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
	if (s->score_set)
		sqlite3_bind_int64(st, 4, s->score_set);
	heed_store_step_done(s, st, "score update", &rc, err);
	if (rc == HEED_OK && s->score_set)
		rc = heed_store_score_marks_stale(s, err);
	return rc;
}

int heed_store_set_scores(heed_store *s, const heed_score *v, size_t n, char **err)
{
	int rc = HEED_OK;
	if (n == 0)
		return HEED_OK;
	if (s->rank_armed && (rc = heed_store_rank_note(s, n, err)) != HEED_OK)
		return rc;
	sqlite3_stmt *st = heed_store_stmt(s, ST_SCORES, &rc, err);
	if (!st)
		return rc;
	s->batch = v;
	s->nbatch = n;
	s->batch_at = 0;
	sqlite3_bind_int64(st, 1, v[0].id);
	sqlite3_bind_int64(st, 2, v[n - 1].id);
	if (s->score_set)
		sqlite3_bind_int64(st, 3, s->score_set);
	heed_store_step_done(s, st, "score update", &rc, err);
	s->batch = NULL;
	s->nbatch = s->batch_at = 0;
	return rc;
}

/* The cache key of a domain: "\1" + domain (no organisation key starts so). */
static char *domain_key(const char *domain, char *buf, size_t n)
{
	snprintf(buf, n, "\1%s", domain);
	return strlen(domain) + 2 <= n ? buf : NULL;
}

/* Remember that the organisation with domain is id, unless one came first. */
static void domain_remember(heed_store *s, const char *domain, int64_t id)
{
	char buf[256], *k = heed_empty(domain) ? NULL : domain_key(domain, buf, sizeof buf);
	struct orgslot *slot = k ? org_slot(s, k) : NULL;
	if (k && !(slot && slot->key))
		org_remember(s, k, id, 0);
}

/* The organisation whose domain is domain (the oldest). OUT: *id (0 = none). */
static int org_by_domain(heed_store *s, const char *domain, int64_t *id, char **err)
{
	int rc = HEED_OK;
	char buf[256], *k = domain_key(domain, buf, sizeof buf);
	struct orgslot *slot = k ? org_slot(s, k) : NULL;
	*id = 0;
	if (slot && slot->key) {
		*id = slot->id;
		return HEED_OK;
	}
	sqlite3_stmt *st;
	if (!s->domains_known) { /* no organisation has a domain yet: the cache will hold them all */
		st = heed_store_stmt(s, ST_ORG_ANY_DOMAIN, &rc, err);
		if (!st)
			return rc;
		int r = sqlite3_step(st);
		sqlite3_reset(st);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return heed_store_fail(s, "organisation domains", err);
		s->domains_known = r == SQLITE_DONE ? 1 : 2;
	}
	if (s->domains_known == 1 && k)
		return HEED_OK;
	rc = lookup_id(s, ST_ORG_BY_DOMAIN, domain, NULL, 0, id, err);
	if (rc == HEED_OK && *id)
		domain_remember(s, domain, *id);
	return rc;
}

int heed_store_org_match(heed_store *s, heed_org *o, const char *domain, char **err)
{
	int rc = HEED_OK;
	if (!domain)
		return heed_store_org_ensure(s, o, err);
	if (heed_empty(o->name))
		return org_by_domain(s, domain, &o->id, err);
	org_keyed(o);
	struct orgslot *slot = org_slot(s, o->key);
	if (slot && slot->key)
		return org_ensure_at(s, o, slot, err); /* known spelling: the cache has it */
	int64_t id;
	unsigned facts;
	if ((rc = org_lookup(s, o->key, &id, &facts, err)) != HEED_OK)
		return rc;
	if (id) {
		org_remember(s, o->key, id, facts);
		return heed_store_org_ensure(s, o, err);
	}
	if ((rc = org_by_domain(s, domain, &id, err)) != HEED_OK)
		return rc;
	if (!id)
		return org_insert(s, o, org_facts(o), err);
	org_remember(s, o->key, id, 0); /* a new spelling of a known organisation */
	o->id = id;
	return HEED_OK;
}
