/* test_store: the contact store — the schema version after open and an
 * idempotent reopen, the compare-and-set stage move, merge's field_change
 * activities, deal probabilities across moves, organisation matching, and
 * chunked scans with batched score writes, and scans that take organisations
 * from memory. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmpstore.h"
#include "contact.h"
#include "htime.h"
#include "stage.h"
#include "store.h"
#include "util.h"

#define NOW "2026-12-03T09:00:00Z"
#define DAY 86400

/* The number of schema migrations heed ships (core/store.c, `migrations`).
 * Adding a migration means raising this number. */
enum { MIGRATIONS = 9 }; /* one per entry of store.c's migrations array */

static char *fresh_db(const char *name)
{
	return tmp_fresh_db("store", name);
}

static heed_store *open_store(const char *path)
{
	heed_store *s = NULL;
	char *err = NULL;
	int rc = heed_store_open(path, &s, &err);
	CHECK_INT(rc, HEED_OK);
	if (rc != HEED_OK)
		fprintf(stderr, "  open %s: %s\n", path, err ? err : "");
	free(err);
	return rc == HEED_OK ? s : NULL;
}

/* One integer from a query on a separate, plain SQLite connection (-1 on error). */
static long long q_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "  query '%s': %s\n", sql, db ? sqlite3_errmsg(db) : "no db");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* One text from a query (caller frees; NULL for SQL NULL or an error). */
static char *q_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		v = t ? xstrdup((const char *)t) : NULL;
	} else {
		fprintf(stderr, "  query '%s': %s\n", sql, db ? sqlite3_errmsg(db) : "no db");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int64_t new_contact(heed_store *s, const char *email, const char *title)
{
	heed_contact c;
	heed_contact_init(&c);
	c.email = xstrdup(email);
	c.title = xstrdup(title);
	c.first_name = xstrdup("Ada");
	strcpy(c.stage, "lead");
	c.created_at = c.updated_at = c.stage_changed_at = heed_time_now() - 5 * DAY;
	char *err = NULL;
	int rc = heed_store_insert(s, &c, &err);
	CHECK_INT(rc, HEED_OK);
	if (err)
		fprintf(stderr, "  insert %s: %s\n", email, err);
	free(err);
	int64_t id = c.id;
	heed_contact_clear(&c);
	return id;
}

/* ---- schema ---- */

static void test_schema(void)
{
	char *path = fresh_db("schema");
	heed_store *s = open_store(path);
	if (!s) {
		free(path);
		return;
	}
	CHECK_INT(heed_store_version(s), MIGRATIONS);
	CHECK_INT(new_contact(s, "kept@store.example", "CTO") > 0, 1);
	heed_store_close(s);

	CHECK_INT(q_int(path, "PRAGMA user_version"), MIGRATIONS);
	const char *tables[] = { "organisations", "contacts", "activities", "deals", "stage_history" };
	for (int i = 0; i < 5; i++) {
		char *sql = xasprintf("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
		                      tables[i]);
		CHECK_INT(q_int(path, sql), 1);
		free(sql);
	}
	char *schema = q_text(path, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY name)");
	long long objects = q_int(path, "SELECT count(*) FROM sqlite_master");

	/* Reopening (twice) migrates nothing and keeps everything. */
	for (int round = 0; round < 2; round++) {
		s = open_store(path);
		if (!s)
			break;
		CHECK_INT(heed_store_version(s), MIGRATIONS);
		int64_t id = 0;
		char *err = NULL;
		CHECK_INT(heed_store_resolve(s, "kept@store.example", &id, &err), HEED_OK);
		CHECK_INT(id, 1);
		free(err);
		heed_store_close(s);
		CHECK_INT(q_int(path, "PRAGMA user_version"), MIGRATIONS);
		CHECK_INT(q_int(path, "SELECT count(*) FROM sqlite_master"), objects);
		CHECK_INT(q_int(path, "SELECT count(*) FROM contacts"), 1);
		char *again = q_text(path, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY name)");
		CHECK_STR(again, schema);
		free(again);
	}
	free(schema);

	/* A store from a newer heed (a higher version) is refused, not touched. */
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) == SQLITE_OK)
		sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	heed_store *newer = NULL;
	char *err = NULL;
	CHECK(heed_store_open(path, &newer, &err) != HEED_OK);
	CHECK(newer == NULL);
	CHECK(err && strstr(err, "99"));
	free(err);
	heed_store_close(newer);
	CHECK_INT(q_int(path, "PRAGMA user_version"), 99);
	free(path);
}

/* ---- compare-and-set moves ---- */

static int64_t history_rows(const char *path, int64_t id)
{
	char *sql = xasprintf("SELECT count(*) FROM stage_history WHERE contact_id = %lld", (long long)id);
	long long n = q_int(path, sql);
	free(sql);
	return n;
}

static void test_cas(void)
{
	char *path = fresh_db("cas");
	heed_store *s1 = open_store(path), *s2 = open_store(path);
	if (!s1 || !s2) {
		heed_store_close(s1);
		heed_store_close(s2);
		free(path);
		return;
	}
	int64_t id = new_contact(s1, "race@store.example", "CFO");
	heed_time now = heed_time_now();
	heed_move m = { .id = id, .from = "lead", .to = "prospect", .at = now, .actor = "advance",
		            .reason = "criteria passed", .plugins = "qualify@1.0.0", .forced = 0,
		            .peak = heed_stage_rank(HEED_PROSPECT), .stage_prob = NAN };
	char *err = NULL;

	/* The first move from lead wins. */
	CHECK_INT(heed_store_begin(s1, &err), HEED_OK);
	CHECK_INT(heed_store_move(s1, &m, &err), HEED_OK);
	CHECK_INT(heed_store_commit(s1, &err), HEED_OK);
	free(err);
	err = NULL;

	/* A second move from the old stage, on the other connection: a conflict. */
	CHECK_INT(heed_store_begin(s2, &err), HEED_OK);
	CHECK_INT(heed_store_move(s2, &m, &err), HEED_ECONFLICT);
	CHECK(err && strstr(err, "prospect"));
	heed_store_rollback(s2);
	free(err);
	err = NULL;

	/* …and on the same connection. */
	CHECK_INT(heed_store_begin(s1, &err), HEED_OK);
	CHECK_INT(heed_store_move(s1, &m, &err), HEED_ECONFLICT);
	heed_store_rollback(s1);
	free(err);
	err = NULL;

	/* Through the stage machine, in its own transaction: the same. */
	heed_stage_req r = { id, HEED_LEAD, HEED_PROSPECT, now, "advance", "again", NULL, 0 };
	CHECK_INT(heed_stage_move(s2, &r, 0, &err), HEED_ECONFLICT);
	free(err);
	err = NULL;

	CHECK_INT(history_rows(path, id), 1);
	char *sql = xasprintf("SELECT stage FROM contacts WHERE id = %lld", (long long)id);
	char *stage = q_text(path, sql);
	CHECK_STR(stage, "prospect");
	free(stage);
	free(sql);

	/* A move of a contact that does not exist. */
	heed_move ghost = m;
	ghost.id = 9999;
	CHECK_INT(heed_store_begin(s1, &err), HEED_OK);
	CHECK_INT(heed_store_move(s1, &ghost, &err), HEED_ENOTFOUND);
	heed_store_rollback(s1);
	free(err);
	CHECK_INT(q_int(path, "SELECT count(*) FROM stage_history"), 1);

	heed_store_close(s1);
	heed_store_close(s2);
	free(path);
}

/* ---- merge ---- */

static void test_merge(void)
{
	char *path = fresh_db("merge");
	heed_store *s = open_store(path);
	if (!s) {
		free(path);
		return;
	}
	int64_t id = new_contact(s, "merge@store.example", "Analyst");
	heed_time at = heed_time_now();
	char *err = NULL;

	heed_contact upd;
	heed_contact_init(&upd);
	upd.title = xstrdup("CFO");
	upd.first_name = xstrdup("Ada"); /* unchanged: no activity */
	int changed = -1;
	CHECK_INT(heed_store_merge(s, id, &upd, at, &changed, &err), HEED_OK);
	CHECK_INT(changed, 1);
	heed_contact_clear(&upd);

	heed_contact c;
	heed_contact_init(&c);
	CHECK_INT(heed_store_load(s, id, 0, &c, &err), HEED_OK);
	CHECK_STR(c.title, "CFO");
	CHECK_STR(c.first_name, "Ada");
	CHECK_INT(c.nacts, 1);
	if (c.nacts == 1) {
		CHECK_STR(c.acts[0].kind, "field_change");
		CHECK_INT(c.acts[0].at, at);
		CHECK(c.acts[0].data && strstr(c.acts[0].data, "\"field\":\"title\""));
		CHECK(c.acts[0].data && strstr(c.acts[0].data, "\"old\":\"Analyst\""));
		CHECK(c.acts[0].data && strstr(c.acts[0].data, "\"new\":\"CFO\""));
	}
	heed_contact_clear(&c);
	CHECK_INT(q_int(path, "SELECT count(*) FROM activities WHERE kind = 'field_change'"
	                      " AND json_extract(data, '$.field') = 'title'"
	                      " AND json_extract(data, '$.old') = 'Analyst'"
	                      " AND json_extract(data, '$.new') = 'CFO'"),
	          1);

	/* The same values again, or empty ones: nothing changes, nothing is recorded. */
	heed_contact_init(&upd);
	upd.title = xstrdup("CFO");
	changed = -1;
	CHECK_INT(heed_store_merge(s, id, &upd, at + 60, &changed, &err), HEED_OK);
	CHECK_INT(changed, 0);
	heed_contact_clear(&upd);
	heed_contact_init(&upd);
	upd.title = xstrdup("");
	changed = -1;
	CHECK_INT(heed_store_merge(s, id, &upd, at + 60, &changed, &err), HEED_OK);
	CHECK_INT(changed, 0);
	heed_contact_clear(&upd);
	CHECK_INT(q_int(path, "SELECT count(*) FROM activities"), 1);
	char *title = q_text(path, "SELECT title FROM contacts WHERE email = 'merge@store.example'");
	CHECK_STR(title, "CFO");
	free(title);

	free(err);
	heed_store_close(s);
	free(path);
}

/* ---- deal probability across moves ---- */

static double probability(const char *path, int64_t id, int *user)
{
	char *sql = xasprintf("SELECT probability_user FROM deals WHERE contact_id = %lld", (long long)id);
	*user = (int)q_int(path, sql);
	free(sql);
	sql = xasprintf("SELECT printf('%%.6f', probability) FROM deals WHERE contact_id = %lld", (long long)id);
	char *t = q_text(path, sql);
	free(sql);
	double p = t ? atof(t) : NAN;
	free(t);
	return p;
}

static void walk(heed_store *s, int64_t id, int from, int to)
{
	char *err = NULL;
	heed_stage_req r = { id, from, to, heed_time_now(), "test", NULL, NULL, 0 };
	CHECK_INT(heed_stage_move(s, &r, 0, &err), HEED_OK);
	if (err)
		fprintf(stderr, "  move: %s\n", err);
	free(err);
}

static void test_probability(void)
{
	char *path = fresh_db("probability");
	heed_store *s = open_store(path);
	if (!s) {
		free(path);
		return;
	}
	char *err = NULL;
	int64_t u = new_contact(s, "user@store.example", "CTO");    /* a user said 0.8 */
	int64_t n = new_contact(s, "none@store.example", "CTO");    /* nobody said */
	int64_t i = new_contact(s, "import@store.example", "CTO");  /* a value that came with data */
	heed_deal du = { 1, 1000, NULL, 0, NULL, 0.8, 1 };
	heed_deal dn = { 1, 2000, NULL, 0, NULL, NAN, 0 };
	heed_deal di = { 1, 3000, NULL, 0, NULL, 0.6, 0 };
	CHECK_INT(heed_store_set_deal(s, u, &du, &err), HEED_OK);
	CHECK_INT(heed_store_set_deal(s, n, &dn, &err), HEED_OK);
	CHECK_INT(heed_store_set_deal(s, i, &di, &err), HEED_OK);
	free(err);
	int user;
	CHECK_NEAR(probability(path, u, &user), 0.8, 1e-9);
	CHECK_INT(user, 1);
	CHECK_NEAR(probability(path, i, &user), 0.6, 1e-9);
	CHECK_INT(user, 0);

	int64_t ids[3] = { u, n, i };
	for (int k = 0; k < 3; k++) {
		walk(s, ids[k], HEED_LEAD, HEED_PROSPECT);
		walk(s, ids[k], HEED_PROSPECT, HEED_OPPORTUNITY);
	}
	CHECK_NEAR(probability(path, u, &user), 0.8, 1e-9);
	CHECK_INT(user, 1);
	CHECK_NEAR(probability(path, n, &user), heed_stage_prob(HEED_OPPORTUNITY), 1e-9);
	CHECK_INT(user, 0);
	CHECK_NEAR(probability(path, i, &user), heed_stage_prob(HEED_OPPORTUNITY), 1e-9);
	CHECK_INT(user, 0);

	walk(s, u, HEED_OPPORTUNITY, HEED_WON);
	walk(s, n, HEED_OPPORTUNITY, HEED_WON);
	walk(s, i, HEED_OPPORTUNITY, HEED_LOST);
	CHECK_NEAR(probability(path, u, &user), 0.8, 1e-9);
	CHECK_INT(user, 1);
	CHECK_NEAR(probability(path, n, &user), 1.0, 1e-9);
	CHECK_NEAR(probability(path, i, &user), 0.0, 1e-9);

	/* A later deal update without a probability keeps the user's mark. */
	heed_deal later = { 1, 1500, NULL, 0, NULL, NAN, 0 };
	err = NULL;
	CHECK_INT(heed_store_set_deal(s, u, &later, &err), HEED_OK);
	free(err);
	CHECK_NEAR(probability(path, u, &user), 0.8, 1e-9);
	CHECK_INT(user, 1);

	/* heed_store_move itself: a default is written only where no user set one. */
	heed_move m = { .id = u, .from = "won", .to = "opportunity", .at = heed_time_now(),
		            .actor = "test", .reason = "reopened", .forced = 1,
		            .peak = heed_stage_rank(HEED_OPPORTUNITY), .stage_prob = 0.5 };
	err = NULL;
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	CHECK_INT(heed_store_move(s, &m, &err), HEED_OK);
	CHECK_INT(heed_store_commit(s, &err), HEED_OK);
	free(err);
	CHECK_NEAR(probability(path, u, &user), 0.8, 1e-9);

	heed_store_close(s);
	free(path);
}

/* ---- organisations ---- */

static void test_org(void)
{
	char *path = fresh_db("org");
	heed_store *s = open_store(path);
	if (!s) {
		free(path);
		return;
	}
	char *err = NULL;
	heed_org a = { 0 }, b = { 0 }, other = { 0 };
	a.name = xstrdup("Harbour's Edge Ltd");
	a.employees = -1;
	b.name = xstrdup("HARBOUR\xe2\x80\x99S EDGE LTD"); /* U+2019 apostrophe, upper case */
	b.employees = 75;
	b.country = xstrdup("BE");
	other.name = xstrdup("Harbour Lights Ltd");
	other.employees = -1;

	CHECK_INT(heed_store_org_ensure(s, &a, &err), HEED_OK);
	CHECK_INT(heed_store_org_ensure(s, &b, &err), HEED_OK);
	CHECK_INT(heed_store_org_ensure(s, &other, &err), HEED_OK);
	free(err);
	err = NULL;
	CHECK(a.id > 0);
	CHECK_INT(b.id, a.id);
	CHECK(other.id != a.id);
	CHECK_INT(q_int(path, "SELECT count(*) FROM organisations"), 2);
	char *sql = xasprintf("SELECT name FROM organisations WHERE id = %lld", (long long)a.id);
	char *name = q_text(path, sql);
	CHECK_STR(name, "Harbour's Edge Ltd"); /* the first spelling is kept for display */
	free(name);
	free(sql);
	/* b's facts filled what a's organisation lacked */
	sql = xasprintf("SELECT employees || ' ' || country FROM organisations WHERE id = %lld", (long long)a.id);
	char *facts = q_text(path, sql);
	CHECK_STR(facts, "75 BE");
	free(facts);
	free(sql);
	int64_t first = a.id;
	heed_org_clear(&a);
	heed_org_clear(&b);
	heed_org_clear(&other);
	heed_store_close(s);

	/* A new connection (nothing cached) finds the same organisation, and does not
	 * overwrite facts it already has. */
	s = open_store(path);
	if (s) {
		heed_org c = { 0 };
		c.name = xstrdup("harbour\xe2\x80\x99s edge ltd");
		c.employees = 9000;
		c.country = xstrdup("NL");
		CHECK_INT(heed_store_org_ensure(s, &c, &err), HEED_OK);
		free(err);
		CHECK_INT(c.id, first);
		heed_org_clear(&c);
		heed_store_close(s);
	}
	CHECK_INT(q_int(path, "SELECT count(*) FROM organisations"), 2);
	sql = xasprintf("SELECT employees || ' ' || country FROM organisations WHERE id = %lld", (long long)first);
	facts = q_text(path, sql);
	CHECK_STR(facts, "75 BE");
	free(facts);
	free(sql);
	free(path);
}

/* ---- scans and score batches ---- */

static int count_visit(void *ud, heed_contact *c)
{
	(void)c;
	(*(long *)ud)++;
	return 0;
}

/* Chunked scans (more contacts than one chunk holds) load every field, in id
 * order, through the store or a read-only second connection that reads beside
 * an open write transaction; score batches write exactly the listed contacts. */
static void test_scan(void)
{
	char *path = fresh_db("scan");
	heed_store *s = open_store(path);
	if (!s) {
		free(path);
		return;
	}
	enum { N = 4100 }; /* one full chunk of 4096 and a few more */
	char *err = NULL;
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	heed_org o = { .name = xstrdup("Acme GmbH"), .industry = xstrdup("software"), .employees = 250 };
	CHECK_INT(heed_store_org_ensure(s, &o, &err), HEED_OK);
	for (int i = 1; i <= N; i++) {
		heed_contact c;
		heed_contact_init(&c);
		c.email = xasprintf("c%d@scan.example", i);
		c.title = xstrdup(i % 2 ? "CEO" : "Engineer");
		c.attrs = xasprintf("{\"visits\":\"%d\"}", i);
		c.org.id = i % 3 == 0 ? o.id : 0;
		strcpy(c.stage, "lead");
		c.created_at = c.updated_at = c.stage_changed_at = heed_time_now() - DAY;
		CHECK_INT(heed_store_insert(s, &c, &err), HEED_OK);
		if (i == 4098) {
			CHECK_INT(heed_store_add_activity(s, c.id, "visit", heed_time_now() - 10, NULL, &err), HEED_OK);
			CHECK_INT(heed_store_add_activity(s, c.id, "call", heed_time_now() - 20, "{\"min\":5}", &err),
			          HEED_OK);
			heed_deal d = { .present = 1, .value = 900, .probability = NAN, .currency = "EUR" };
			CHECK_INT(heed_store_set_deal(s, c.id, &d, &err), HEED_OK);
		}
		heed_contact_clear(&c);
	}
	CHECK_INT(heed_store_commit(s, &err), HEED_OK);
	heed_org_clear(&o);

	/* the main connection holds an uncommitted change while the reader scans */
	heed_store *r = NULL;
	CHECK_INT(heed_store_open_reader(s, &r, &err), HEED_OK);
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	CHECK_INT(heed_store_set_score(s, 1, 99, "[]", &err), HEED_OK);
	heed_chunk *ch = heed_chunk_new();
	heed_scan scan = { 0 };
	size_t seen = 0, loads = 0;
	int64_t last = 0, ordered = 1;
	while (r && heed_store_scan(r, &scan, ch, &err) == HEED_OK && heed_chunk_count(ch)) {
		loads++;
		for (size_t i = 0; i < heed_chunk_count(ch); i++) {
			heed_contact *c = heed_chunk_at(ch, i);
			ordered &= c->id > last;
			last = c->id;
			seen++;
			if (c->id == 1) /* not committed yet: the reader does not see it */
				CHECK(isnan(c->score));
			if (c->id == 4098) {
				CHECK_STR(c->email, "c4098@scan.example");
				CHECK_STR(c->title, "Engineer");
				CHECK_STR(c->attrs, "{\"visits\":\"4098\"}");
				CHECK_STR(c->org.name, "Acme GmbH");
				CHECK_INT(c->org.employees, 250);
				CHECK_STR(c->stage, "lead");
				CHECK_INT(c->nacts, 2);
				if (c->nacts == 2) {
					CHECK_STR(c->acts[0].kind, "call"); /* oldest first */
					CHECK_STR(c->acts[0].data, "{\"min\":5}");
					CHECK(c->acts[1].data == NULL);
				}
				CHECK(c->deal.present);
				CHECK_NEAR(c->deal.value, 900, 0);
				CHECK_STR(c->deal.currency, "EUR");
			}
			if (c->id == 4099) /* no org: its fields are unknown */
				CHECK(c->org.id == 0 && c->org.name == NULL && c->org.employees == -1);
		}
	}
	CHECK_INT(seen, N);
	CHECK_INT(loads, 2);
	CHECK(ordered);
	CHECK(scan.done);
	CHECK_INT(heed_store_scan(r, &scan, ch, &err), HEED_OK); /* past the end: nothing */
	CHECK_INT(heed_chunk_count(ch), 0);
	heed_store_rollback(s);

	/* a stage filter */
	heed_scan leads = { .stage = "prospect" };
	CHECK_INT(heed_store_scan(s, &leads, ch, &err), HEED_OK);
	CHECK_INT(heed_chunk_count(ch), 0);

	/* a batch writes the listed contacts only; NaN and "" store NULL */
	heed_score v[] = {
		{ 2, 12.5, "[{\"plugin\":\"t\",\"name\":\"a\",\"points\":12.5,\"reason\":\"\"}]" },
		{ 5, NAN, "" },
		{ 4099, -1, "[]" },
	};
	CHECK_INT(heed_store_set_score(s, 3, 7, "[]", &err), HEED_OK);
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	CHECK_INT(heed_store_set_scores(s, v, 3, &err), HEED_OK);
	CHECK_INT(heed_store_commit(s, &err), HEED_OK);
	CHECK_INT(q_int(path, "SELECT count(*) FROM contacts WHERE score IS NOT NULL"), 3);
	CHECK_INT(q_int(path, "SELECT score * 10 FROM contacts WHERE id = 2"), 125);
	CHECK_INT(q_int(path, "SELECT score FROM contacts WHERE id = 3"), 7); /* in the range, not listed */
	CHECK_INT(q_int(path, "SELECT score IS NULL AND score_parts IS NULL FROM contacts WHERE id = 5"), 1);
	CHECK_INT(q_int(path, "SELECT score FROM contacts WHERE id = 4099"), -1);
	char *parts = q_text(path, "SELECT score_parts FROM contacts WHERE id = 2");
	CHECK_STR(parts, v[0].parts_json);
	free(parts);

	/* the reader cannot write */
	CHECK(heed_store_set_scores(r, v, 1, &err) != HEED_OK);
	free(err);
	err = NULL;

	/* heed_store_each visits every contact, in write mode too */
	long visits = 0;
	CHECK_INT(heed_store_each(s, NULL, 1, count_visit, &visits, &err), HEED_OK);
	CHECK_INT(visits, N);
	free(err);
	heed_chunk_free(ch);
	heed_store_close(r);
	heed_store_close(s);
	free(path);
}

/* A scan whose connection holds the organisations in memory (score --all's
 * reader) loads each contact's organisation exactly as the join does, finds
 * an organisation created after the load, keeps to a stage filter, sees an
 * organisation changed after the load, and takes an org_id that is not an
 * integer as the join does. */
static void test_scan_orgs(void)
{
	char *path = fresh_db("scan_orgs");
	heed_store *s = open_store(path);
	if (!s) {
		free(path);
		return;
	}
	enum { N = 4200, NORG = 37 };
	char *err = NULL;
	int64_t org_ids[NORG];
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	for (int k = 0; k < NORG; k++) {
		heed_org o = { .name = xasprintf("Org %d Ltd", k), .employees = k % 4 ? 10 * k : -1 };
		o.industry = k % 5 ? xstrdup(k % 2 ? "software" : "health") : NULL;
		o.country = k % 3 ? xstrdup("DE") : NULL;
		o.domain = k % 7 ? xasprintf("org%d.example", k) : NULL;
		CHECK_INT(heed_store_org_ensure(s, &o, &err), HEED_OK);
		org_ids[k] = o.id;
		heed_org_clear(&o);
	}
	for (int i = 1; i <= N; i++) {
		heed_contact c;
		heed_contact_init(&c);
		c.email = xasprintf("o%d@orgs.example", i);
		c.org.id = i % 11 == 0 ? 0 : org_ids[i % NORG];
		strcpy(c.stage, i % 10 == 0 ? "prospect" : "lead");
		c.created_at = c.updated_at = c.stage_changed_at = heed_time_now() - DAY;
		CHECK_INT(heed_store_insert(s, &c, &err), HEED_OK);
		heed_contact_clear(&c);
	}
	CHECK_INT(heed_store_commit(s, &err), HEED_OK);

	heed_store *joined = NULL, *cached = NULL;
	CHECK_INT(heed_store_open_reader(s, &joined, &err), HEED_OK);
	CHECK_INT(heed_store_open_reader(s, &cached, &err), HEED_OK);
	CHECK_INT(heed_store_scan_orgs(cached, &err), HEED_OK);
	if (!joined || !cached) {
		heed_store_close(joined);
		heed_store_close(cached);
		heed_store_close(s);
		free(path);
		return;
	}

	/* an organisation and a contact created after the cache was filled */
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	heed_org late = { .name = xstrdup("Late Arrival BV"), .industry = xstrdup("finance"), .employees = 640,
	                  .country = xstrdup("NL") };
	CHECK_INT(heed_store_org_ensure(s, &late, &err), HEED_OK);
	heed_contact lc;
	heed_contact_init(&lc);
	lc.email = xstrdup("late@orgs.example");
	lc.org.id = late.id;
	strcpy(lc.stage, "prospect");
	lc.created_at = lc.updated_at = lc.stage_changed_at = heed_time_now();
	CHECK_INT(heed_store_insert(s, &lc, &err), HEED_OK);
	int64_t late_contact = lc.id;
	heed_contact_clear(&lc);
	heed_org_clear(&late);
	CHECK_INT(heed_store_commit(s, &err), HEED_OK);

	for (int pass = 0; pass < 2; pass++) {
		const char *stage = pass ? "prospect" : NULL;
		heed_scan sj = { .stage = stage }, sc = { .stage = stage };
		heed_chunk *a = heed_chunk_new(), *b = heed_chunk_new();
		size_t seen = 0, same = 0, with_org = 0;
		int saw_late = 0;
		while (heed_store_scan(joined, &sj, a, &err) == HEED_OK &&
		       heed_store_scan(cached, &sc, b, &err) == HEED_OK && heed_chunk_count(a)) {
			CHECK_INT(heed_chunk_count(b), heed_chunk_count(a));
			for (size_t i = 0; i < heed_chunk_count(a) && i < heed_chunk_count(b); i++) {
				const heed_org *x = &heed_chunk_at(a, i)->org, *y = &heed_chunk_at(b, i)->org;
				seen++;
				with_org += x->id != 0;
				same += x->id == y->id && heed_streq(x->name, y->name) && heed_streq(x->key, y->key) &&
				        heed_streq(x->domain, y->domain) && heed_streq(x->industry, y->industry) &&
				        heed_streq(x->country, y->country) && x->employees == y->employees;
				if (heed_chunk_at(b, i)->id == late_contact) {
					saw_late = 1;
					CHECK_STR(y->name, "Late Arrival BV");
					CHECK_STR(y->industry, "finance");
					CHECK_INT(y->employees, 640);
				}
			}
		}
		CHECK_INT(seen, pass ? N / 10 + 1 : N + 1);
		CHECK_INT(same, seen);
		CHECK(with_org > seen / 2);
		CHECK(saw_late);
		heed_chunk_free(a);
		heed_chunk_free(b);
	}
	heed_store_close(cached);

	/* An organisation changed or given a bad org_id after the load: the next
	 * chunk sees it as the join does, and the chunk read before keeps its text. */
	cached = NULL;
	CHECK_INT(heed_store_open_reader(s, &cached, &err), HEED_OK);
	CHECK_INT(heed_store_scan_orgs(cached, &err), HEED_OK);
	heed_scan first = { 0 };
	heed_chunk *before = heed_chunk_new(), *after = heed_chunk_new();
	CHECK_INT(heed_store_scan(cached, &first, before, &err), HEED_OK);
	CHECK_INT(heed_chunk_count(before), 4096);
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	char *sql = xasprintf("UPDATE organisations SET industry = 'finance', name = 'Renamed AG' WHERE id = %lld;"
	                      " PRAGMA foreign_keys = OFF; UPDATE contacts SET org_id = '%lldabc' WHERE id = 4103",
	                      (long long)org_ids[4100 % NORG], (long long)org_ids[4103 % NORG]);
	CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	sqlite3_close(db);
	CHECK_INT(heed_store_scan(cached, &first, after, &err), HEED_OK);
	int renamed = 0, bad_id = 0;
	for (size_t i = 0; i < heed_chunk_count(after); i++) {
		const heed_contact *c = heed_chunk_at(after, i);
		if (c->id == 4100) {
			renamed = 1;
			CHECK_STR(c->org.name, "Renamed AG");
			CHECK_STR(c->org.industry, "finance");
		}
		if (c->id == 4103) { /* '<id>abc' matches no organisation in the join */
			bad_id = 1;
			CHECK(c->org.name == NULL && c->org.industry == NULL && c->org.employees == -1);
		}
	}
	CHECK(renamed && bad_id);
	size_t intact = 0;
	for (size_t i = 0; i < heed_chunk_count(before); i++) { /* read after the cache was filled again */
		const heed_contact *c = heed_chunk_at(before, i);
		if (c->org.id) {
			char *want = xasprintf("Org %d Ltd", (int)(c->id % NORG));
			intact += heed_streq(c->org.name, want);
			free(want);
		} else {
			intact++;
		}
	}
	CHECK_INT(intact, 4096);
	heed_chunk_free(before);
	heed_chunk_free(after);
	free(err);
	heed_store_close(joined);
	heed_store_close(cached);
	heed_store_close(s);
	free(path);
}

int main(void)
{
	char *err = NULL;
	setenv("HEED_NOW", NOW, 1);
	if (heed_time_init(&err) != HEED_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	test_schema();
	test_cas();
	test_merge();
	test_probability();
	test_org();
	test_scan();
	test_scan_orgs();
	return check_done("store");
}
