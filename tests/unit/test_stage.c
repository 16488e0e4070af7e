/* test_stage: the stage machine — names, the funnel order, the transition table
 * (every legal move allowed; skips and corrections only when forced with a
 * reason; some moves never), and heed_stage_move writing the audited move. */
#include <math.h>
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

static char *fresh_db(const char *name)
{
	return tmp_fresh_db("stage", name);
}

/* The moves the stage machine allows without force: lead → prospect →
 * opportunity → won | lost; any open stage → disqualified; lost and
 * disqualified → lead. */
static const int legal[][2] = {
	{ HEED_LEAD, HEED_PROSPECT },
	{ HEED_PROSPECT, HEED_OPPORTUNITY },
	{ HEED_OPPORTUNITY, HEED_WON },
	{ HEED_OPPORTUNITY, HEED_LOST },
	{ HEED_LEAD, HEED_DISQUALIFIED },
	{ HEED_PROSPECT, HEED_DISQUALIFIED },
	{ HEED_OPPORTUNITY, HEED_DISQUALIFIED },
	{ HEED_LOST, HEED_LEAD },
	{ HEED_DISQUALIFIED, HEED_LEAD },
};
enum { NLEGAL = sizeof legal / sizeof legal[0] };

static int is_legal(int from, int to)
{
	for (int i = 0; i < NLEGAL; i++)
		if (legal[i][0] == from && legal[i][1] == to)
			return 1;
	return 0;
}

static void test_names(void)
{
	static const char *const want[HEED_NSTAGES] = { "lead", "prospect", "opportunity",
		                                            "won", "lost", "disqualified" };
	for (int i = 0; i < HEED_NSTAGES; i++) {
		CHECK_STR(heed_stage_names[i], want[i]);
		CHECK_INT(heed_stage_parse(want[i]), i);
	}
	CHECK_INT(heed_stage_parse("Lead"), -1);
	CHECK_INT(heed_stage_parse("nosuchstage"), -1);
	CHECK_INT(heed_stage_parse(""), -1);
	CHECK_INT(heed_stage_parse(NULL), -1);

	CHECK_INT(heed_stage_next(HEED_LEAD), HEED_PROSPECT);
	CHECK_INT(heed_stage_next(HEED_PROSPECT), HEED_OPPORTUNITY);
	CHECK_INT(heed_stage_next(HEED_OPPORTUNITY), -1); /* won/lost are people's calls */
	CHECK_INT(heed_stage_next(HEED_WON), -1);
	CHECK_INT(heed_stage_next(HEED_DISQUALIFIED), -1);

	CHECK(heed_stage_rank(HEED_LEAD) < heed_stage_rank(HEED_PROSPECT));
	CHECK(heed_stage_rank(HEED_PROSPECT) < heed_stage_rank(HEED_OPPORTUNITY));
	CHECK(heed_stage_rank(HEED_OPPORTUNITY) < heed_stage_rank(HEED_WON));

	CHECK_INT(heed_stage_open(HEED_LEAD), 1);
	CHECK_INT(heed_stage_open(HEED_PROSPECT), 1);
	CHECK_INT(heed_stage_open(HEED_OPPORTUNITY), 1);
	CHECK_INT(heed_stage_open(HEED_WON), 0);
	CHECK_INT(heed_stage_open(HEED_LOST), 0);
	CHECK_INT(heed_stage_open(HEED_DISQUALIFIED), 0);

	CHECK_NEAR(heed_stage_prob(HEED_WON), 1.0, 1e-12);
	CHECK_NEAR(heed_stage_prob(HEED_LOST), 0.0, 1e-12);
	CHECK(heed_stage_prob(HEED_OPPORTUNITY) > 0 && heed_stage_prob(HEED_OPPORTUNITY) < 1);
	CHECK(isnan(heed_stage_prob(HEED_LEAD)));
}

static void test_table(void)
{
	/* Every legal move is allowed without force, and says nothing. */
	for (int i = 0; i < NLEGAL; i++) {
		char *err = NULL;
		int rc = heed_stage_check(legal[i][0], legal[i][1], 0, NULL, &err);
		if (rc != HEED_OK)
			fprintf(stderr, "  %s → %s: %s\n", heed_stage_names[legal[i][0]],
			        heed_stage_names[legal[i][1]], err ? err : "");
		CHECK_INT(rc, HEED_OK);
		CHECK(err == NULL);
		free(err);
	}
	/* Every other move is refused without force, with a message; staying is refused. */
	for (int from = 0; from < HEED_NSTAGES; from++) {
		for (int to = 0; to < HEED_NSTAGES; to++) {
			if (is_legal(from, to))
				continue;
			char *err = NULL;
			int rc = heed_stage_check(from, to, 0, NULL, &err);
			if (rc != HEED_EREFUSED)
				fprintf(stderr, "  %s → %s unforced: rc %d\n", heed_stage_names[from],
				        heed_stage_names[to], rc);
			CHECK_INT(rc, HEED_EREFUSED);
			CHECK(err != NULL && *err);
			free(err);
		}
		char *err = NULL;
		CHECK_INT(heed_stage_check(from, from, 1, "same", &err), HEED_EREFUSED);
		free(err);
	}

	/* lead → opportunity skips prospect: refused, and the message says so. */
	char *err = NULL;
	CHECK_INT(heed_stage_check(HEED_LEAD, HEED_OPPORTUNITY, 0, NULL, &err), HEED_EREFUSED);
	CHECK(err && strstr(err, "prospect") != NULL);
	free(err);
	err = NULL;
	/* forced without a reason (or an empty one): still refused */
	CHECK_INT(heed_stage_check(HEED_LEAD, HEED_OPPORTUNITY, 1, NULL, &err), HEED_EREFUSED);
	CHECK(err && strstr(err, "reason") != NULL);
	free(err);
	err = NULL;
	CHECK_INT(heed_stage_check(HEED_LEAD, HEED_OPPORTUNITY, 1, "", &err), HEED_EREFUSED);
	free(err);
	err = NULL;
	/* a reason without force is not force */
	CHECK_INT(heed_stage_check(HEED_LEAD, HEED_OPPORTUNITY, 0, "signed LOI", &err), HEED_EREFUSED);
	free(err);
	err = NULL;
	/* forced with a reason: allowed */
	CHECK_INT(heed_stage_check(HEED_LEAD, HEED_OPPORTUNITY, 1, "signed LOI", &err), HEED_OK);
	CHECK(err == NULL);
	free(err);
	err = NULL;

	/* won → lost never, not even forced with a reason */
	CHECK_INT(heed_stage_check(HEED_WON, HEED_LOST, 0, NULL, &err), HEED_EREFUSED);
	free(err);
	err = NULL;
	CHECK_INT(heed_stage_check(HEED_WON, HEED_LOST, 1, "changed their mind", &err), HEED_EREFUSED);
	CHECK(err && strstr(err, "won") && strstr(err, "lost"));
	free(err);
	err = NULL;

	/* stages out of range are not moves */
	CHECK(heed_stage_check(-1, HEED_LEAD, 1, "x", &err) != HEED_OK);
	free(err);
	err = NULL;
	CHECK(heed_stage_check(HEED_LEAD, HEED_NSTAGES, 1, "x", &err) != HEED_OK);
	free(err);
}

static int64_t new_lead(heed_store *s, const char *email)
{
	heed_contact c;
	heed_contact_init(&c);
	c.email = xstrdup(email);
	strcpy(c.stage, "lead");
	c.created_at = c.updated_at = c.stage_changed_at = heed_time_now() - 10 * 86400;
	char *err = NULL;
	int rc = heed_store_insert(s, &c, &err);
	CHECK_INT(rc, HEED_OK);
	if (err)
		fprintf(stderr, "  insert: %s\n", err);
	free(err);
	int64_t id = c.id;
	heed_contact_clear(&c);
	return id;
}

/* Load id with its history. */
static void load(heed_store *s, int64_t id, heed_contact *c)
{
	char *err = NULL;
	heed_contact_init(c);
	CHECK_INT(heed_store_load(s, id, HEED_LOAD_HISTORY, c, &err), HEED_OK);
	free(err);
}

static void test_move(void)
{
	char *path = fresh_db("move");
	heed_store *s = NULL;
	char *err = NULL;
	if (heed_store_open(path, &s, &err) != HEED_OK) {
		CHECK(!"open store");
		fprintf(stderr, "  %s\n", err);
		free(err);
		free(path);
		return;
	}
	int64_t a = new_lead(s, "a@stage.example");
	heed_time now = heed_time_now();

	/* refused: nothing is written */
	heed_stage_req r = { a, HEED_LEAD, HEED_OPPORTUNITY, now, "user:test", NULL, NULL, 0 };
	CHECK_INT(heed_stage_move(s, &r, 0, &err), HEED_EREFUSED);
	CHECK(err && strstr(err, "prospect"));
	free(err);
	err = NULL;
	heed_contact c;
	load(s, a, &c);
	CHECK_STR(c.stage, "lead");
	CHECK_INT(c.nhist, 0);
	heed_contact_clear(&c);

	/* forced with a reason: moved, and the history row says forced and why */
	heed_stage_req f = { a, HEED_LEAD, HEED_OPPORTUNITY, now, "user:test", "signed LOI", NULL, 1 };
	CHECK_INT(heed_stage_move(s, &f, 0, &err), HEED_OK);
	free(err);
	err = NULL;
	load(s, a, &c);
	CHECK_STR(c.stage, "opportunity");
	CHECK_INT(c.nhist, 1);
	if (c.nhist == 1) {
		CHECK_STR(c.hist[0].from, "lead");
		CHECK_STR(c.hist[0].to, "opportunity");
		CHECK_INT(c.hist[0].forced, 1);
		CHECK_STR(c.hist[0].reason, "signed LOI");
		CHECK_STR(c.hist[0].actor, "user:test");
		CHECK_INT(c.hist[0].at, now);
	}
	heed_contact_clear(&c);

	/* a legal move is recorded as not forced, with its actor and plugin versions */
	heed_stage_req w = { a, HEED_OPPORTUNITY, HEED_WON, now + 60, "advance", "criteria passed",
		                 "qualify@1.0.0", 0 };
	CHECK_INT(heed_stage_move(s, &w, 0, &err), HEED_OK);
	free(err);
	err = NULL;
	load(s, a, &c);
	CHECK_STR(c.stage, "won");
	CHECK_INT(c.nhist, 2);
	if (c.nhist == 2) {
		CHECK_STR(c.hist[1].from, "opportunity");
		CHECK_STR(c.hist[1].to, "won");
		CHECK_INT(c.hist[1].forced, 0);
		CHECK_STR(c.hist[1].actor, "advance");
		CHECK_STR(c.hist[1].plugins, "qualify@1.0.0");
	}
	heed_contact_clear(&c);

	/* won → lost: refused even forced, nothing written */
	heed_stage_req wl = { a, HEED_WON, HEED_LOST, now + 120, "user:test", "changed", NULL, 1 };
	CHECK_INT(heed_stage_move(s, &wl, 0, &err), HEED_EREFUSED);
	free(err);
	err = NULL;
	load(s, a, &c);
	CHECK_STR(c.stage, "won");
	CHECK_INT(c.nhist, 2);
	heed_contact_clear(&c);

	/* every legal move, walked on its own contact, gives one unforced row */
	for (int i = 0; i < NLEGAL; i++) {
		char *email = xasprintf("legal%d@stage.example", i);
		int64_t id = new_lead(s, email);
		free(email);
		/* bring it to legal[i][0] first (forced where that is a skip) */
		int from = legal[i][0];
		int64_t rows = 0;
		if (from != HEED_LEAD) {
			heed_stage_req pre = { id, HEED_LEAD, from, now, "test", "setup", NULL, 1 };
			CHECK_INT(heed_stage_move(s, &pre, 0, &err), HEED_OK);
			free(err);
			err = NULL;
			rows = 1;
		}
		heed_stage_req m = { id, from, legal[i][1], now + 1, "test", NULL, NULL, 0 };
		CHECK_INT(heed_stage_move(s, &m, 0, &err), HEED_OK);
		if (err)
			fprintf(stderr, "  legal move %d: %s\n", i, err);
		free(err);
		err = NULL;
		load(s, id, &c);
		CHECK_STR(c.stage, heed_stage_names[legal[i][1]]);
		CHECK_INT((int64_t)c.nhist, rows + 1);
		if ((int64_t)c.nhist == rows + 1)
			CHECK_INT(c.hist[rows].forced, 0);
		heed_contact_clear(&c);
	}

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
	test_names();
	test_table();
	test_move();
	return check_done("stage");
}
