/* test_store_repl: what the REPL asks of the store (store_repl.c): counts per
 * stage, read-only SELECTs, completion of emails and ids, and the list query
 * the (stage, score) index serves. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "report.h"
#include "store.h"
#include "tmpstore.h"

enum { N = 120 };

static heed_store *filled(const char *name)
{
	char *path = tmp_fresh_db("store_repl", name), *err = NULL;
	heed_store *s = NULL;
	CHECK_INT(heed_store_open(path, &s, &err), HEED_OK);
	free(path);
	free(err);
	if (!s)
		return NULL;
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	for (int i = 1; i <= N; i++) {
		heed_contact c;
		heed_contact_init(&c);
		c.email = xasprintf("p%03d@%s.example", i, i % 2 ? "odd" : "even");
		strcpy(c.stage, i % 3 == 0 ? "prospect" : "lead");
		c.created_at = c.updated_at = c.stage_changed_at = 1000;
		CHECK_INT(heed_store_insert(s, &c, &err), HEED_OK);
		if (i % 4) /* every fourth contact stays unscored */
			CHECK_INT(heed_store_set_score(s, c.id, (double)(i % 50), NULL, &err), HEED_OK);
		heed_contact_clear(&c);
	}
	CHECK_INT(heed_store_commit(s, &err), HEED_OK);
	free(err);
	return s;
}

static void test_count(heed_store *s)
{
	int64_t n = -1;
	char *err = NULL;
	CHECK_INT(heed_store_count(s, NULL, &n, &err), HEED_OK);
	CHECK_INT(n, N);
	CHECK_INT(heed_store_count(s, "prospect", &n, &err), HEED_OK);
	CHECK_INT(n, N / 3);
	CHECK_INT(heed_store_count(s, "won", &n, &err), HEED_OK);
	CHECK_INT(n, 0);
	free(err);
}

static void test_select(heed_store *s)
{
	heed_store *r = NULL;
	heed_table *t = NULL;
	char *err = NULL;
	CHECK_INT(heed_store_open_reader(s, &r, &err), HEED_OK);
	if (!r)
		return;
	CHECK_INT(heed_store_select(r, "  -- a comment\n SELECT stage, count(*) AS n FROM contacts"
	                               " GROUP BY stage ORDER BY stage", &t, &err), HEED_OK);
	CHECK_INT(t ? (long long)heed_table_rows(t) : -1, 2);
	heed_table_free(t);
	static const char *const refused[] = {
		"DELETE FROM contacts", "UPDATE contacts SET score = 0", "PRAGMA user_version = 9",
		"SELECT 1; DELETE FROM contacts", "ATTACH 'x.db' AS x", "WITH x AS (SELECT 1) DELETE FROM contacts",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		t = NULL;
		CHECK(heed_store_select(r, refused[i], &t, &err) != HEED_OK);
		CHECK(t == NULL);
		CHECK(err != NULL);
		free(err);
		err = NULL;
	}
	int64_t n = 0;
	CHECK_INT(heed_store_count(s, NULL, &n, &err), HEED_OK);
	CHECK_INT(n, N);
	CHECK(heed_store_select(r, "SELECT nosuch FROM contacts", &t, &err) != HEED_OK);
	CHECK(err && strstr(err, "nosuch"));
	free(err);
	heed_store_close(r);
}

struct got {
	char v[200][64];
	int n;
};

static void add(void *ud, const char *text)
{
	struct got *g = ud;
	if (g->n < 200)
		snprintf(g->v[g->n++], sizeof g->v[0], "%s", text);
}

static void test_complete(heed_store *s)
{
	struct got g = { .n = 0 };
	char *err = NULL;
	CHECK_INT(heed_store_complete(s, "P01", 100, add, &g, &err), HEED_OK);
	CHECK_INT(g.n, 10); /* p010..p019, case folded */
	CHECK_STR(g.n ? g.v[0] : "", "p010@even.example");
	g.n = 0;
	CHECK_INT(heed_store_complete(s, "p007@", 100, add, &g, &err), HEED_OK);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.n ? g.v[0] : "", "p007@odd.example");
	g.n = 0;
	CHECK_INT(heed_store_complete(s, "1", 100, add, &g, &err), HEED_OK);
	/* ids 1, 10..19, 100..120 */
	CHECK_INT(g.n, 1 + 10 + 21);
	CHECK_STR(g.n ? g.v[0] : "", "1");
	CHECK_STR(g.n > 1 ? g.v[1] : "", "10");
	g.n = 0;
	CHECK_INT(heed_store_complete(s, "1", 5, add, &g, &err), HEED_OK);
	CHECK_INT(g.n, 5);
	g.n = 0;
	CHECK_INT(heed_store_complete(s, "zz", 100, add, &g, &err), HEED_OK);
	CHECK_INT(g.n, 0);
	free(err);
}

/* list by stage and score: best first, unscored last, the filters honoured */
static void test_list_order(heed_store *s)
{
	heed_listq q = { .stage = "prospect", .min_score = NAN, .order = "score", .desc = -1, .limit = 0 };
	heed_listrow *rows;
	size_t n;
	char *err = NULL;
	CHECK_INT(heed_store_list(s, &q, &rows, &n, &err), HEED_OK);
	CHECK_INT((long long)n, N / 3);
	int sorted = 1, nulls_last = 1, stage_ok = 1;
	for (size_t i = 0; i + 1 < n; i++) {
		if (!isnan(rows[i].score) && !isnan(rows[i + 1].score) && rows[i].score < rows[i + 1].score)
			sorted = 0;
		if (isnan(rows[i].score) && !isnan(rows[i + 1].score))
			nulls_last = 0;
	}
	for (size_t i = 0; i < n; i++)
		stage_ok &= strcmp(rows[i].stage, "prospect") == 0;
	CHECK(sorted);
	CHECK(nulls_last);
	CHECK(stage_ok);
	heed_listrows_free(rows, n);

	q.min_score = 40;
	q.limit = 3;
	CHECK_INT(heed_store_list(s, &q, &rows, &n, &err), HEED_OK);
	CHECK_INT((long long)n, 3);
	/* prospects (i % 3 == 0) with a score (i % 4 != 0) of i % 50 >= 40, best
	 * first: i = 99 (49), 45 (45), 93 (43) */
	CHECK_NEAR(n ? rows[0].score : 0, 49, 1e-9);
	CHECK_INT(n ? rows[0].id : 0, 99);
	CHECK_NEAR(n > 1 ? rows[1].score : 0, 45, 1e-9);
	CHECK_NEAR(n > 2 ? rows[2].score : 0, 43, 1e-9);
	heed_listrows_free(rows, n);

	q.order = "score";
	q.desc = 0; /* ascending: unscored still last */
	q.min_score = NAN;
	q.limit = 0;
	CHECK_INT(heed_store_list(s, &q, &rows, &n, &err), HEED_OK);
	CHECK(n > 0 && isnan(rows[n - 1].score));
	CHECK(n > 0 && !isnan(rows[0].score));
	heed_listrows_free(rows, n);
	free(err);
}

/* Score of contact i as filled() set it; NaN for the unscored. */
static double score_of(int i)
{
	return i % 4 ? (double)(i % 50) : NAN;
}

/* list over all stages by score: the same rows as sorting every contact */
static void test_list_all_stages(heed_store *s)
{
	int want[N], nw = 0;
	for (int i = 1; i <= N; i++)
		if (!isnan(score_of(i)))
			want[nw++] = i;
	for (int a = 0; a < nw; a++) /* by score desc, id asc: a plain insertion sort */
		for (int b = a; b > 0; b--) {
			double x = score_of(want[b - 1]), y = score_of(want[b]);
			if (x > y || (x == y && want[b - 1] < want[b]))
				break;
			int t = want[b];
			want[b] = want[b - 1];
			want[b - 1] = t;
		}
	heed_listq q = { .stage = NULL, .min_score = NAN, .order = "score", .desc = -1, .limit = 7 };
	heed_listrow *rows;
	size_t n;
	char *err = NULL;
	CHECK_INT(heed_store_list(s, &q, &rows, &n, &err), HEED_OK);
	CHECK_INT((long long)n, 7);
	for (size_t i = 0; i < n && i < 7; i++)
		CHECK_INT(rows[i].id, want[i]);
	heed_listrows_free(rows, n);

	q.min_score = 45;
	q.limit = 1000;
	int over = 0;
	for (int i = 0; i < nw; i++)
		over += score_of(want[i]) >= 45;
	CHECK_INT(heed_store_list(s, &q, &rows, &n, &err), HEED_OK);
	CHECK_INT((long long)n, over);
	CHECK(n > 0 && rows[n - 1].score >= 45);
	heed_listrows_free(rows, n);

	q.min_score = NAN; /* more than the scored: the unscored follow */
	q.limit = nw + 3;
	CHECK_INT(heed_store_list(s, &q, &rows, &n, &err), HEED_OK);
	CHECK_INT((long long)n, nw + 3);
	CHECK(n == (size_t)nw + 3 && isnan(rows[nw].score) && !isnan(rows[nw - 1].score));
	CHECK_INT(n > (size_t)nw ? rows[nw].id : 0, 4); /* the first unscored, by id */
	heed_listrows_free(rows, n);
	free(err);
}

static int has_rank_index(heed_store *s)
{
	heed_store *r = NULL;
	heed_table *t = NULL;
	char *err = NULL;
	int n = -1;
	if (heed_store_open_reader(s, &r, &err) == HEED_OK &&
	    heed_store_select(r, "SELECT name FROM sqlite_master WHERE name = 'contacts_stage_score'",
	                      &t, &err) == HEED_OK)
		n = (int)heed_table_rows(t);
	heed_table_free(t);
	heed_store_close(r);
	free(err);
	return n;
}

/* 1 if connection s checks foreign keys. */
static int checks_keys(heed_store *s)
{
	heed_table *t = NULL;
	char *err = NULL;
	int n = -1;
	if (heed_store_select(s, "SELECT 1 FROM pragma_foreign_keys WHERE foreign_keys = 1", &t, &err) == HEED_OK)
		n = (int)heed_table_rows(t);
	heed_table_free(t);
	free(err);
	return n;
}

/* Write scores for contacts 1..n in one transaction, as score --all does. */
static void write_scores(heed_store *s, int n)
{
	heed_score v[N];
	char *err = NULL;
	for (int i = 0; i < n; i++)
		v[i] = (heed_score){ .id = i + 1, .score = 99 - i, .parts_json = "[]" };
	CHECK_INT(heed_store_begin(s, &err), HEED_OK);
	CHECK_INT(heed_store_set_scores(s, v, (size_t)n, &err), HEED_OK);
	CHECK_INT(heed_store_commit(s, &err), HEED_OK);
	free(err);
}

static heed_store *reopen(const char *name)
{
	char *path = xasprintf("%s/store_repl/%s.db", tmp_root(), name), *err = NULL;
	heed_store *s = NULL;
	CHECK_INT(heed_store_open(path, &s, &err), HEED_OK);
	free(path);
	free(err);
	return s;
}

/* A pass writing many scores drops the (stage, score) index and builds it after */
static void test_bulk_scores(void)
{
	heed_store *s = filled("bulk");
	char *err = NULL;
	if (!s)
		return;
	CHECK_INT(has_rank_index(s), 1);
	CHECK_INT(heed_store_bulk_scores(s, 1, 50, &err), HEED_OK); /* few writes: kept */
	write_scores(s, 30);
	CHECK_INT(has_rank_index(s), 1);
	CHECK_INT(heed_store_bulk_scores(s, 0, 0, &err), HEED_OK);
	CHECK_INT(has_rank_index(s), 1);
	CHECK_INT(heed_store_bulk_scores(s, 1, 50, &err), HEED_OK); /* many: out, then back */
	CHECK_INT(checks_keys(s), 0); /* the pass writes nothing a key could refuse */
	write_scores(s, 40);
	CHECK_INT(has_rank_index(s), 1);
	write_scores(s, 40);
	CHECK_INT(has_rank_index(s), 0);
	CHECK_INT(heed_store_bulk_scores(s, 0, 0, &err), HEED_OK);
	CHECK_INT(has_rank_index(s), 1);
	CHECK_INT(checks_keys(s), 1); /* back as usual after it */
	write_scores(s, 80); /* not armed: the index stays */
	CHECK_INT(has_rank_index(s), 1);

	/* killed between the two: the next pass builds it */
	CHECK_INT(heed_store_bulk_scores(s, 1, 10, &err), HEED_OK);
	write_scores(s, 20);
	heed_store_close(s);
	if (!(s = reopen("bulk")))
		return;
	CHECK_INT(has_rank_index(s), 0);
	CHECK_INT(heed_store_bulk_scores(s, 1, 10, &err), HEED_OK);
	CHECK_INT(heed_store_bulk_scores(s, 0, 0, &err), HEED_OK);
	CHECK_INT(has_rank_index(s), 1);
	heed_store_close(s);

	/* dropped by hand: stays away */
	char *path = xasprintf("%s/store_repl/bulk.db", tmp_root());
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP INDEX contacts_stage_score", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
	if (!(s = reopen("bulk")))
		return;
	CHECK_INT(heed_store_bulk_scores(s, 1, 10, &err), HEED_OK);
	write_scores(s, 20);
	CHECK_INT(heed_store_bulk_scores(s, 0, 0, &err), HEED_OK);
	CHECK_INT(has_rank_index(s), 0);
	heed_store_close(s);
	free(err);
}

int main(void)
{
	heed_store *s = filled("repl");
	if (s) {
		test_count(s);
		test_select(s);
		test_complete(s);
		test_list_order(s);
		test_list_all_stages(s);
		heed_store_close(s);
	}
	test_bulk_scores();
	return check_done("test_store_repl");
}
