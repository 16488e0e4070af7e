/* store_query: the store's reads — loading contacts, visiting them in chunks,
 * list queries and funnel figures (see store.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* ---- chunks ---- */

enum { CHUNK = 4096 };

struct heed_chunk {
	heed_contact *v; /* CHUNK of them */
	size_t n;
	heed_text text; /* the contacts' text; a new load reuses it from the start */
};

heed_chunk *heed_chunk_new(void)
{
	heed_chunk *ch = xcalloc(1, sizeof *ch);
	ch->v = xcalloc(CHUNK, sizeof *ch->v);
	return ch;
}

/* Release the contacts (their text is in the blocks; only activity arrays are
 * allocated apart) and rewind the text blocks. The contacts are left as they
 * are: count them as gone. */
static void chunk_empty(heed_chunk *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->v[i].acts); /* a load initialises each contact it fills */
	ch->n = 0;
	heed_text_rewind(&ch->text);
}

void heed_chunk_free(heed_chunk *ch)
{
	if (!ch)
		return;
	chunk_empty(ch);
	heed_text_free(&ch->text);
	free(ch->v);
	free(ch);
}

size_t heed_chunk_count(const heed_chunk *ch)
{
	return ch->n;
}

heed_contact *heed_chunk_at(heed_chunk *ch, size_t i)
{
	return &ch->v[i];
}

/* Column i as text: copied into ch when given, else allocated (caller frees). NULL for NULL. */
static char *col_text(sqlite3_stmt *st, int i, heed_chunk *ch)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return NULL;
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	return ch ? heed_text_copy(&ch->text, (const char *)t, n) : xstrndup((const char *)t, n);
}

/* Fill c from a row of CONTACT_COLS; its text goes into ch when given. */
static void row_to_contact(sqlite3_stmt *st, heed_contact *c, heed_chunk *ch)
{
	c->id = sqlite3_column_int64(st, 0);
	c->email = col_text(st, 1, ch);
	c->source = col_text(st, 2, ch);
	c->external_id = col_text(st, 3, ch);
	c->first_name = col_text(st, 4, ch);
	c->last_name = col_text(st, 5, ch);
	c->title = col_text(st, 6, ch);
	c->phone = col_text(st, 7, ch);
	c->owner = col_text(st, 8, ch);
	c->org.id = sqlite3_column_int64(st, 9);
	const char *stage = (const char *)sqlite3_column_text(st, 10);
	size_t slen = stage ? (size_t)sqlite3_column_bytes(st, 10) : 0;
	if (!stage || slen >= sizeof c->stage)
		stage = "lead", slen = 4; /* the schema allows only the six stage names */
	memcpy(c->stage, stage, slen + 1);
	c->score = heed_store_col_real(st, 11);
	c->score_parts = col_text(st, 12, ch);
	c->do_not_contact = sqlite3_column_int(st, 13);
	c->attrs = col_text(st, 14, ch);
	c->created_at = sqlite3_column_int64(st, 15);
	c->updated_at = sqlite3_column_int64(st, 16);
	c->stage_changed_at = sqlite3_column_int64(st, 17);
	if (c->org.id) {
		c->org.name = col_text(st, 18, ch);
		c->org.key = col_text(st, 19, ch);
		c->org.domain = col_text(st, 20, ch);
		c->org.industry = col_text(st, 21, ch);
		c->org.employees = sqlite3_column_type(st, 22) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 22);
		c->org.country = col_text(st, 23, ch);
	}
	if (sqlite3_column_type(st, 24) != SQLITE_NULL) {
		c->deal.present = 1;
		c->deal.value = heed_store_col_real(st, 25);
		c->deal.currency = col_text(st, 26, ch);
		c->deal.close_date = sqlite3_column_int64(st, 27);
		c->deal.decision_makers = col_text(st, 28, ch);
		c->deal.probability = heed_store_col_real(st, 29);
		c->deal.probability_user = sqlite3_column_int(st, 30);
	}
	c->peak = sqlite3_column_int(st, 31);
}

/* Add the activity in the row's columns first.. (id, kind, at, data); rows
 * arrive in (at, id) order, so it goes last. Its text goes into ch when given. */
static void push_activity(heed_contact *c, sqlite3_stmt *st, int first, heed_chunk *ch)
{
	if (!ch) {
		heed_activity_add(c, (const char *)sqlite3_column_text(st, first + 1),
		                  sqlite3_column_int64(st, first + 2),
		                  (const char *)sqlite3_column_text(st, first + 3));
		c->acts[c->nacts - 1].id = sqlite3_column_int64(st, first);
		return;
	}
	if ((c->nacts & (c->nacts - 1)) == 0) /* grow at 0, 1, 2, 4, 8... */
		c->acts = xrealloc(c->acts, (c->nacts ? c->nacts * 2 : 1) * sizeof *c->acts);
	c->acts[c->nacts++] = (heed_activity){
		.id = sqlite3_column_int64(st, first),
		.kind = col_text(st, first + 1, ch),
		.at = sqlite3_column_int64(st, first + 2),
		.data = col_text(st, first + 3, ch),
	};
}

static int load_history(heed_store *s, heed_contact *c, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_LOAD_HIST, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, c->id);
	int r;
	size_t cap = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (c->nhist == cap) {
			cap = cap ? cap * 2 : 8;
			c->hist = xrealloc(c->hist, cap * sizeof *c->hist);
		}
		heed_history *h = &c->hist[c->nhist++];
		h->id = sqlite3_column_int64(st, 0);
		h->from = heed_store_col_text(st, 1);
		h->to = heed_store_col_text(st, 2);
		h->at = sqlite3_column_int64(st, 3);
		h->from_since = sqlite3_column_int64(st, 4);
		h->actor = heed_store_col_text(st, 5);
		h->reason = heed_store_col_text(st, 6);
		h->plugins = heed_store_col_text(st, 7);
		h->forced = sqlite3_column_int(st, 8);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "history read", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_load(heed_store *s, int64_t id, unsigned flags, heed_contact *c, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, ST_LOAD_CONTACT, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		row_to_contact(st, c, NULL);
	} else if (r == SQLITE_DONE) {
		heed_seterr(err, "no contact %lld", (long long)id);
		rc = HEED_ENOTFOUND;
	} else {
		rc = heed_store_fail(s, "contact read", err);
	}
	sqlite3_reset(st);
	if (rc != HEED_OK)
		return rc;
	if (flags & HEED_LOAD_BARE)
		return rc;
	st = heed_store_stmt(s, ST_LOAD_ACTS, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		push_activity(c, st, 0, NULL);
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "activity read", err);
	sqlite3_reset(st);
	if (rc == HEED_OK && (flags & HEED_LOAD_HISTORY))
		rc = load_history(s, c, err);
	return rc;
}

/* The chunk's contacts after scan->after; with bare, without the organisation
 * join, each organisation taken from the connection's cache (only for an
 * org_id that is an integer: the join matches no other). */
static int read_contacts(heed_store *s, const heed_scan *scan, heed_chunk *ch, int bare, char **err)
{
	int rc = HEED_OK, r;
	sqlite3_stmt *st = heed_store_stmt(s, scan->stage ? (bare ? ST_EACH_STAGE_BARE : ST_EACH_STAGE)
	                                                  : (bare ? ST_EACH_BARE : ST_EACH), &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, scan->after);
	sqlite3_bind_int(st, 2, CHUNK);
	if (scan->stage)
		sqlite3_bind_text(st, 3, scan->stage, -1, SQLITE_STATIC);
	while (rc == HEED_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
		heed_contact *c = &ch->v[ch->n++];
		heed_contact_init(c);
		row_to_contact(st, c, ch);
		if (bare && c->org.id && sqlite3_column_type(st, 9) == SQLITE_INTEGER)
			rc = heed_store_scanorg_fill(s, &c->org, err);
	}
	if (rc == HEED_OK && r != SQLITE_DONE)
		rc = heed_store_fail(s, "contact scan", err);
	sqlite3_reset(st);
	return rc;
}

/* Add the activities of the chunk's contacts, both sides in id order. */
static int read_activities(heed_store *s, int64_t after, heed_chunk *ch, char **err)
{
	int rc = HEED_OK, r;
	sqlite3_stmt *st = heed_store_stmt(s, ST_EACH_ACTS, &rc, err);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, ch->v[ch->n - 1].id);
	size_t i = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t cid = sqlite3_column_int64(st, 0);
		while (i < ch->n && ch->v[i].id < cid)
			i++;
		if (i < ch->n && ch->v[i].id == cid)
			push_activity(&ch->v[i], st, 1, ch);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "activity scan", err);
	sqlite3_reset(st);
	return rc;
}

int heed_store_scan(heed_store *s, heed_scan *scan, heed_chunk *ch, char **err)
{
	chunk_empty(ch);
	if (scan->done)
		return HEED_OK;
	int bare = 0; /* the organisation cache: the chunk is then read in one transaction */
	int rc = heed_store_scanorgs_begin(s, &bare, err);
	if (rc == HEED_OK)
		rc = read_contacts(s, scan, ch, bare, err);
	if (rc == HEED_OK && ch->n > 0)
		rc = read_activities(s, scan->after, ch, err);
	if (bare)
		heed_store_scanorgs_end(s);
	if (rc != HEED_OK) {
		chunk_empty(ch);
		return rc;
	}
	if (ch->n > 0)
		scan->after = ch->v[ch->n - 1].id;
	scan->done = ch->n < CHUNK;
	return HEED_OK;
}

int heed_store_each(heed_store *s, const char *stage, int write, heed_store_visit fn, void *ud,
                    char **err)
{
	heed_chunk *ch = heed_chunk_new();
	heed_scan scan = {.stage = stage};
	int rc = HEED_OK, stop = 0;
	while (rc == HEED_OK && !stop && !scan.done) {
		if (write && (rc = heed_store_begin(s, err)) != HEED_OK)
			break;
		rc = heed_store_scan(s, &scan, ch, err);
		for (size_t i = 0; rc == HEED_OK && !stop && i < ch->n; i++)
			stop = fn(ud, &ch->v[i]);
		if (write) {
			if (rc == HEED_OK)
				rc = heed_store_commit(s, err);
			else
				heed_store_rollback(s);
		}
	}
	heed_chunk_free(ch);
	return rc;
}

int heed_store_ids(heed_store *s, const char *stage, int64_t **ids, size_t *n, char **err)
{
	int rc = HEED_OK;
	sqlite3_stmt *st = heed_store_stmt(s, stage ? ST_IDS_STAGE : ST_IDS, &rc, err);
	*ids = NULL;
	*n = 0;
	if (!st)
		return rc;
	if (stage)
		sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
	size_t cap = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*ids = xrealloc(*ids, cap * sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "id scan", err);
	sqlite3_reset(st);
	return rc;
}

/* ---- list ---- */

/* Accepted --order names and the SQL terms each sorts by, separated by ';'. */
static const struct order {
	const char *name, *sql;
	int desc;
} orders[] = {
	{ "id", "c.id", 0 },
	{ "score", "c.score IS NULL; c.score", 1 },
	{ "email", "c.email IS NULL; c.email", 0 },
	{ "name", "c.last_name IS NULL; c.last_name; c.first_name", 0 },
	{ "created_at", "c.created_at", 1 },
	{ "updated_at", "c.updated_at", 1 },
	{ "stage_changed_at", "c.stage_changed_at", 1 },
	{ "stage", "c.stage", 0 },
	{ "value", "d.value IS NULL; d.value * coalesce(d.probability, 1)", 1 },
	{ "close_date", "d.close_date IS NULL; d.close_date", 0 },
	{ "last_activity", "last_at IS NULL; last_at", 1 },
};

const char *const heed_store_orders[] = {
	"id", "score", "email", "name", "created_at", "updated_at", "stage_changed_at", "stage",
	"value", "close_date", "last_activity", NULL,
};

static const struct order *find_order(const char *name)
{
	for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++)
		if (heed_streq(orders[i].name, name))
			return &orders[i];
	return NULL;
}

void heed_listrow_clear(heed_listrow *r)
{
	free(r->email), free(r->source), free(r->external_id), free(r->name), free(r->org);
	free(r->title), free(r->stage), free(r->owner), free(r->last_kind);
	free(r->decision_makers);
	memset(r, 0, sizeof *r);
}

void heed_listrows_free(heed_listrow *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		heed_listrow_clear(&rows[i]);
	free(rows);
}

/* Append the rows of one list query to *rows: filters of q, the score term
 * given (it must mention ?2), ordered by order, at most limit rows (<= 0: all). */
static int list_pass(heed_store *s, const heed_listq *q, const char *order, int last_activity,
                     const char *score_term, long limit, heed_listrow **rows, size_t *n,
                     size_t *cap, char **err)
{
	/* The page's ids first (filter, order, limit), then the columns of those
	 * rows only: the activity subqueries cost a lookup per row they run on. */
	char *sql = xasprintf(
		"WITH page AS (SELECT c.id%s FROM contacts c LEFT JOIN deals d ON d.contact_id = c.id"
		"   WHERE %s AND %s ORDER BY %s LIMIT ?3)"
		" SELECT c.id, c.email, c.source, c.external_id,"
		" trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), o.name, c.title,"
		" c.stage, c.owner, c.score, c.created_at, c.updated_at, c.stage_changed_at,"
		" (SELECT max(at) FROM activities a WHERE a.contact_id = c.id) AS last_at,"
		" (SELECT kind FROM activities a WHERE a.contact_id = c.id ORDER BY at DESC, id DESC LIMIT 1),"
		" d.value, d.probability, d.close_date, d.decision_makers,"
		" EXISTS (SELECT 1 FROM activities a WHERE a.contact_id = c.id"
		"   AND a.kind IN ('call', 'meeting', 'reply', 'chat'))"
		" FROM page JOIN contacts c ON c.id = page.id LEFT JOIN organisations o ON o.id = c.org_id"
		" LEFT JOIN deals d ON d.contact_id = c.id"
		" ORDER BY %s",
		last_activity
			? ", (SELECT max(at) FROM activities a WHERE a.contact_id = c.id) AS last_at" : "",
		/* only the filters given: an "?1 IS NULL OR" term hides the index */
		q->stage ? "c.stage = ?1" : "?1 IS NULL", score_term, order, order);
	sqlite3_stmt *st = NULL;
	int rc = HEED_OK, r;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = heed_store_fail(s, "list", err);
		goto done;
	}
	heed_store_bind_text(st, 1, q->stage);
	heed_store_bind_real(st, 2, q->min_score);
	sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*rows = xrealloc(*rows, *cap * sizeof **rows);
		}
		heed_listrow *w = &(*rows)[(*n)++];
		memset(w, 0, sizeof *w);
		w->id = sqlite3_column_int64(st, 0);
		w->email = heed_store_col_text(st, 1);
		w->source = heed_store_col_text(st, 2);
		w->external_id = heed_store_col_text(st, 3);
		w->name = heed_store_col_text(st, 4);
		w->org = heed_store_col_text(st, 5);
		w->title = heed_store_col_text(st, 6);
		w->stage = heed_store_col_text(st, 7);
		w->owner = heed_store_col_text(st, 8);
		w->score = heed_store_col_real(st, 9);
		w->created_at = sqlite3_column_int64(st, 10);
		w->updated_at = sqlite3_column_int64(st, 11);
		w->stage_changed_at = sqlite3_column_int64(st, 12);
		w->last_activity = sqlite3_column_int64(st, 13);
		w->last_kind = heed_store_col_text(st, 14);
		w->deal_value = heed_store_col_real(st, 15);
		w->deal_prob = heed_store_col_real(st, 16);
		w->close_date = sqlite3_column_int64(st, 17);
		w->decision_makers = heed_store_col_text(st, 18);
		w->two_way = sqlite3_column_int(st, 19);
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "list", err);
done:
	sqlite3_finalize(st);
	free(sql);
	return rc;
}

static int by_score_desc(const void *a, const void *b)
{
	const heed_listrow *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* The best `limit` scored contacts of every stage: one index walk per stage
 * (the schema's stages), merged. The caller adds unscored ones if room is left. */
static int list_scored_all_stages(heed_store *s, const heed_listq *q, const char *order,
                                  heed_listrow **rows, size_t *n, size_t *cap, char **err)
{
	static const char *const stages[] = { "lead", "prospect", "opportunity", "won", "lost",
		                                  "disqualified" };
	heed_listq one = *q;
	int rc = HEED_OK;
	for (size_t i = 0; i < sizeof stages / sizeof stages[0] && rc == HEED_OK; i++) {
		one.stage = stages[i];
		rc = list_pass(s, &one, order, 0, isnan(q->min_score) ? "c.score IS NOT NULL AND ?2 IS NULL"
		                                                      : "c.score >= ?2",
		               q->limit, rows, n, cap, err);
	}
	if (rc != HEED_OK || !*n)
		return rc;
	qsort(*rows, *n, sizeof **rows, by_score_desc);
	while ((long)*n > q->limit)
		heed_listrow_clear(&(*rows)[--*n]);
	return HEED_OK;
}

int heed_store_list(heed_store *s, const heed_listq *q, heed_listrow **rows, size_t *n, char **err)
{
	const struct order *o = find_order(q->order ? q->order : "id");
	*rows = NULL;
	*n = 0;
	if (!o) {
		heed_seterr(err, "unknown order '%s'", q->order);
		return HEED_EUSAGE;
	}
	/* The key set decides the direction: "x IS NULL" terms always sort nulls last. */
	int desc = q->desc >= 0 ? (q->desc ? 1 : 0) : o->desc;
	heed_buf order = { 0 };
	const char *p = o->sql;
	while (*p) {
		const char *comma = strchr(p, ';');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int isnull = len > 8 && strncmp(p + len - 8, " IS NULL", 8) == 0;
		/* descending order puts NULLs last by itself: without the IS NULL
		 * term the (stage, score) index gives the order */
		if (!(isnull && desc)) {
			heed_buf_add(&order, p, len);
			heed_buf_adds(&order, !isnull && desc ? " DESC, " : ", ");
		}
		p += len;
		while (*p == ';' || *p == ' ')
			p++;
	}
	heed_buf_adds(&order, "c.id");
	int last = strcmp(o->name, "last_activity") == 0, rc;
	size_t cap = 0;
	int by_score = strcmp(o->name, "score") == 0 && desc;
	if (by_score && !q->stage && q->limit > 0) {
		/* a top-N over all stages: the index is by stage first */
		rc = list_scored_all_stages(s, q, order.s, rows, n, &cap, err);
		if (rc == HEED_OK && isnan(q->min_score) && (long)*n < q->limit)
			rc = list_pass(s, q, order.s, last, "c.score IS NULL AND ?2 IS NULL",
			               q->limit - (long)*n, rows, n, &cap, err);
	} else if (by_score && isnan(q->min_score)) {
		/* best first, unscored last: the scored ones come from the partial
		 * (stage, score) index, then the rest fill the page */
		rc = list_pass(s, q, order.s, last, "c.score IS NOT NULL AND ?2 IS NULL", q->limit, rows, n,
		               &cap, err);
		if (rc == HEED_OK && (q->limit <= 0 || (long)*n < q->limit))
			rc = list_pass(s, q, order.s, last, "c.score IS NULL AND ?2 IS NULL",
			               q->limit > 0 ? q->limit - (long)*n : 0, rows, n, &cap, err);
	} else {
		rc = list_pass(s, q, order.s, last, isnan(q->min_score) ? "?2 IS NULL" : "c.score >= ?2",
		               q->limit, rows, n, &cap, err);
	}
	heed_buf_free(&order);
	if (rc != HEED_OK) {
		heed_listrows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- funnel ---- */

static int64_t one_int(heed_store *s, sqlite3_stmt *st, int *rc, char **err)
{
	int64_t v = 0;
	if (!st)
		return 0;
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (r != SQLITE_DONE)
		*rc = heed_store_fail(s, "funnel", err);
	sqlite3_reset(st);
	return v;
}

int heed_store_funnel(heed_store *s, const char *const *stages, size_t nstages, const int *rank,
                      heed_funnel_stage *out, double open_prob, double *forecast,
                      char **err)
{
	int rc = HEED_OK;
	memset(out, 0, nstages * sizeof *out);
	sqlite3_stmt *st = heed_store_stmt(s, ST_FUNNEL_COUNTS, &rc, err);
	if (!st)
		return rc;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *stage = (const char *)sqlite3_column_text(st, 0);
		int peak = sqlite3_column_int(st, 1);
		long count = (long)sqlite3_column_int64(st, 2);
		for (size_t i = 0; i < nstages; i++) {
			if (heed_streq(stage, stages[i]))
				out[i].count += count;
			if (rank[i] >= 0 && peak >= rank[i])
				out[i].reached += count;
		}
	}
	if (r != SQLITE_DONE)
		rc = heed_store_fail(s, "funnel", err);
	sqlite3_reset(st);
	for (size_t i = 0; i < nstages && rc == HEED_OK; i++) {
		if (rank[i] < 0) { /* peak says nothing of it: the history does */
			st = heed_store_stmt(s, ST_FUNNEL_EVER, &rc, err);
			if (st)
				sqlite3_bind_text(st, 1, stages[i], -1, SQLITE_STATIC);
			out[i].reached = out[i].count + (long)one_int(s, st, &rc, err);
			if (rc != HEED_OK)
				break;
		}
		st = heed_store_stmt(s, ST_FUNNEL_LEFT, &rc, err);
		if (st)
			sqlite3_bind_text(st, 1, stages[i], -1, SQLITE_STATIC);
		out[i].left = (long)one_int(s, st, &rc, err);
		out[i].median_days = NAN;
		if (out[i].left == 0 || rc != HEED_OK)
			continue;
		/* the middle one or two of the sorted durations, read off the index */
		long two = out[i].left % 2 ? 1 : 2;
		st = heed_store_stmt(s, ST_FUNNEL_MEDIAN, &rc, err);
		if (!st)
			break;
		sqlite3_bind_text(st, 1, stages[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, two);
		sqlite3_bind_int64(st, 3, (out[i].left - 1) / 2);
		double sum = 0;
		long got = 0;
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			sum += sqlite3_column_double(st, 0);
			got++;
		}
		if (r != SQLITE_DONE)
			rc = heed_store_fail(s, "funnel", err);
		sqlite3_reset(st);
		if (got)
			out[i].median_days = sum / (double)got;
	}
	st = heed_store_stmt(s, ST_FORECAST, &rc, err);
	if (st) {
		sqlite3_bind_double(st, 1, open_prob);
		if (sqlite3_step(st) == SQLITE_ROW)
			*forecast = sqlite3_column_double(st, 0);
		else
			rc = heed_store_fail(s, "forecast", err);
		sqlite3_reset(st);
	}
	return rc;
}
