/* demo: builds a demo store from data heed generates itself (a fixed seed, so
 * every run is the same), then scores, advances and reports on it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "stage.h"
#include "util.h"

static const struct demo_org {
	const char *name, *domain, *industry, *country;
	int employees;
} orgs[] = {
	{ "Nordlicht Software GmbH", "nordlicht.example", "software", "DE", 240 },
	{ "Brandt Mühle & Söhne", "muehle.example", "manufacturing", "DE", 900 },
	{ "Fjordtech AS", "fjordtech.example", "software", "SE", 120 },
	{ "Kestrel Payments BV", "kestrel.example", "fintech", "NL", 480 },
	{ "Alpenblick Health AG", "alpenblick.example", "health", "CH", 2100 },
	{ "Lattice Data ApS", "lattice.example", "saas", "DK", 65 },
	{ "Corvid Retail Ltd", "corvid.example", "retail", "GB", 3100 },
	{ "Harbour's Edge Ltd", "harbours-edge.example", "it services", "BE", 75 },
	{ "Quill Analytics GmbH", "quill.example", "software", "AT", 1500 },
	{ "Stahlwerk Süd", "stahlwerk.example", "manufacturing", "DE", 12000 },
	{ "Lyon Digital", "lyondigital.example", "media", "FR", 30 },
	{ "São Paulo Cloud", "spcloud.example", "software", "BR", 800 },
};

static const char *const first_names[] = {
	"Anna", "Jonas", "Mira", "Elin", "Tomas", "Noor", "Sam", "Ada", "Quinn", "Jürgen",
	"Lotte", "Kai", "Ute", "Per", "Riya", "Dan", "Sophie", "Viktor", "Ines", "Lars",
};
static const char *const last_names[] = {
	"Müller", "Berg", "Solberg", "Haug", "Vik", "Haddad", "Ree", "Lim", "Ashby", "Brink",
	"Oster", "Renz", "Falk", "Lunde", "Patel", "Osei", "Laurent", "Andersen", "Costa", "Nyström",
};
static const char *const titles[] = {
	"CTO", "VP Sales", "Head of Data", "Analyst", "Engineer", "Marketing Manager",
	"CEO", "Director of Operations", "Product Owner", "CFO", "Consultant", "Founder",
};

/* xorshift64*: a small generator with a fixed seed, for the same demo everywhere. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

enum { NDEMO = 160, DAY = 86400 };

/* Record what the contact did: depth 0 = a one-off lead … 3 = a real buyer. */
static int demo_activities(heed_store *s, int64_t id, int depth, heed_time now, char **err)
{
	static const char *const looks[] = { "visit", "email_open", "download", "webinar" };
	int rc = HEED_OK;
	heed_time t = now - (heed_time)(20 + rnd(40)) * DAY;
	int n = 1 + (int)rnd(2) + depth * 2;
	for (int i = 0; i < n && rc == HEED_OK; i++) {
		t += (heed_time)(1 + rnd(4)) * DAY;
		rc = heed_store_add_activity(s, id, looks[rnd(4)], t, NULL, err);
	}
	if (rc == HEED_OK && depth >= 1)
		rc = heed_store_add_activity(s, id, rnd(2) ? "reply" : "call", t + DAY, NULL, err);
	if (rc == HEED_OK && depth >= 2)
		rc = heed_store_add_activity(s, id, "need", t + 2 * DAY,
		                             "{\"text\":\"manual lead routing eats two days a week\"}", err);
	if (rc == HEED_OK && depth >= 3)
		rc = heed_store_add_activity(s, id, rnd(2) ? "demo_request" : "pricing_request",
		                             now - (heed_time)rnd(5) * DAY, NULL, err);
	return rc;
}

static int demo_contact(heed_store *s, int i, heed_time now, char **err)
{
	const struct demo_org *o = &orgs[rnd(sizeof orgs / sizeof orgs[0])];
	heed_contact c;
	heed_contact_init(&c);
	const char *fn = first_names[rnd(20)], *ln = last_names[rnd(20)];
	c.first_name = xstrdup(fn);
	c.last_name = xstrdup(ln);
	c.email = xasprintf("demo%03d@%s", i, o->domain);
	c.title = xstrdup(titles[rnd(sizeof titles / sizeof titles[0])]);
	c.org.name = xstrdup(o->name);
	c.org.domain = xstrdup(o->domain);
	c.org.industry = xstrdup(o->industry);
	c.org.country = xstrdup(o->country);
	c.org.employees = o->employees;
	strcpy(c.stage, "lead");
	c.created_at = c.updated_at = c.stage_changed_at = now - (heed_time)(60 + rnd(30)) * DAY;
	int depth = (int)rnd(4);
	int rc = heed_store_org_ensure(s, &c.org, err);
	if (rc == HEED_OK)
		rc = heed_store_insert(s, &c, err);
	if (rc == HEED_OK)
		rc = demo_activities(s, c.id, depth, now, err);
	if (rc == HEED_OK && depth == 3) {
		heed_deal d = { 1, 5000 + 1000 * (double)rnd(40), (char *)"EUR",
			            now + (heed_time)(10 + rnd(80)) * DAY, NULL, NAN, 0 };
		if (rnd(3))
			d.decision_makers = (char *)"CFO signs off after a security review";
		rc = heed_store_set_deal(s, c.id, &d, err);
	}
	heed_contact_clear(&c);
	return rc;
}

/* A few closed deals from earlier in the year, so the funnel has history. */
static int demo_history(heed_store *s, heed_time now, char **err)
{
	int rc = HEED_OK;
	for (int64_t id = 1; id <= 24 && rc == HEED_OK; id++) {
		heed_time t0 = now - (heed_time)(45 + rnd(10)) * DAY;
		int path[] = { HEED_LEAD, HEED_PROSPECT, HEED_OPPORTUNITY, id % 3 ? HEED_WON : HEED_LOST };
		int steps = id % 4 == 0 ? 2 : 3;
		for (int k = 0; k < steps && rc == HEED_OK; k++) {
			t0 += (heed_time)(3 + rnd(12)) * DAY;
			heed_stage_req r = { id, path[k], path[k + 1], t0, "demo", "demo history", NULL, 0 };
			rc = heed_stage_move(s, &r, 1, err);
		}
	}
	return rc;
}

int cmd_demo(heed_cli *cli, const cli_args *a)
{
	if (!cli->db_given) /* never the store of $HEED_DB or ./heed.db */
		cli->db_path = "heed-demo.db";
	if (access(cli->db_path, F_OK) == 0) {
		/* only a store this command made (marked demo) may be rebuilt */
		char *mark = NULL, *err = NULL;
		heed_store_peek_setting(cli->db_path, "demo", &mark, &err);
		int ours = heed_streq(mark, "1");
		free(mark);
		free(err);
		if (!ours)
			return cli_fail(EXIT_ERROR, xasprintf("demo: %s exists and is not a demo store;"
			                                      " demo only writes a new file or rebuilds its own",
			                                      cli->db_path));
		for (const char *sfx = ""; sfx; sfx = *sfx ? (sfx[1] == 'w' ? "-shm" : NULL) : "-wal") {
			char *p = xasprintf("%s%s", cli->db_path, sfx);
			unlink(p);
			free(p);
		}
	}
	heed_store *s = cli_store(cli);
	if (!s || !cli_plugins(cli))
		return EXIT_ERROR;
	heed_time now = heed_time_now();
	char *err = NULL;
	int rc = heed_store_begin(s, &err);
	if (rc == HEED_OK)
		rc = heed_store_set_setting(s, "demo", "1", &err);
	for (int i = 1; i <= NDEMO && rc == HEED_OK; i++)
		rc = demo_contact(s, i, now, &err);
	if (rc == HEED_OK)
		rc = demo_history(s, now, &err);
	if (rc == HEED_OK)
		rc = heed_store_commit(s, &err);
	else
		heed_store_rollback(s);
	if (rc != HEED_OK)
		return cli_fail(EXIT_ERROR, err);
	printf("demo store %s: %d contacts at %zu organisations\n\n", cli->db_path, NDEMO,
	       sizeof orgs / sizeof orgs[0]);
	cli_args none = { 0 };
	char *all_name[] = { (char *)"--all" }, *all_val[] = { NULL };
	cli_args all = { .optname = all_name, .optval = all_val, .nopt = 1 };
	int exit = cmd_score(cli, &all);
	if (exit == EXIT_OK)
		exit = cmd_advance(cli, &all);
	if (exit == EXIT_OK) {
		printf("\npipeline:\n");
		exit = cmd_pipeline(cli, &none);
	}
	if (exit == EXIT_OK) {
		printf("\ntoday:\n");
		exit = cmd_today(cli, &none);
	}
	(void)a;
	return exit;
}
