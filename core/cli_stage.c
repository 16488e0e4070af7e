/* cli_stage: the commands that run plugins over contacts and move stages:
 * score, advance, move, why. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "json.h"
#include "stage.h"
#include "util.h"

int cmd_move(heed_cli *cli, const cli_args *a);
int cmd_why(heed_cli *cli, const cli_args *a);

enum { MAX_SHOWN_ERRORS = 10 };

/* Score parts as the JSON array stored with the contact, written over b. */
static void parts_json(heed_buf *b, const heed_parts *p)
{
	heed_buf_reset(b);
	heed_buf_addc(b, '[');
	for (size_t i = 0; i < p->n; i++) {
		const heed_part *x = &p->v[i];
		heed_buf_adds(b, i ? ",{\"plugin\":" : "{\"plugin\":");
		heed_json_str(b, x->plugin);
		heed_buf_adds(b, ",\"name\":");
		heed_json_str(b, x->name);
		heed_buf_adds(b, ",\"points\":");
		heed_json_num(b, x->points);
		heed_buf_adds(b, ",\"reason\":");
		heed_json_str(b, x->reason);
		heed_buf_addc(b, '}');
	}
	heed_buf_addc(b, ']');
}

struct scoring {
	heed_cli *cli;
	heed_parts parts;
	heed_buf json; /* the parts of the contact being scored, as stored */
	long scored, changed, errors;
	int rc;
	char *fatal;
};

/* Score one contact and store the result when it changed. */
static int score_one(void *ud, heed_contact *c)
{
	struct scoring *sc = ud;
	char *err = NULL;
	heed_parts_reset(&sc->parts);
	int rc = heed_plugins_score(sc->cli->plugins, c, &sc->parts, &err);
	if (rc != HEED_OK) {
		if (sc->errors++ < MAX_SHOWN_ERRORS)
			cli_print_error(err);
		free(err);
		err = NULL;
		sc->cli->failed = 1;
	}
	sc->scored++;
	parts_json(&sc->json, &sc->parts);
	const char *json = heed_buf_str(&sc->json);
	if (!(c->score == sc->parts.total) || !heed_streq(json, c->score_parts)) {
		rc = heed_store_set_score(sc->cli->store, c->id, sc->parts.total, json, &sc->fatal);
		sc->changed++;
		if (rc != HEED_OK) {
			sc->rc = rc;
			return 1;
		}
	}
	return 0;
}

static void print_parts(heed_cli *cli, const heed_contact *c, const heed_parts *p)
{
	const char *cols[] = { "plugin", "part", "points", "reason" };
	heed_table *t = heed_table_new(cols, 4);
	for (size_t i = 0; i < p->n; i++) {
		heed_table_str(t, p->v[i].plugin);
		heed_table_str(t, p->v[i].name);
		heed_table_num(t, p->v[i].points, 2);
		heed_table_str(t, p->v[i].reason);
	}
	if (cli->fmt == HEED_FMT_TABLE)
		printf("contact %lld %s: score %g\n", (long long)c->id, c->email ? c->email : "", p->total);
	heed_table_print(t, cli->fmt, stdout);
	heed_table_free(t);
}

int cmd_score(heed_cli *cli, const cli_args *a)
{
	int all = cli_opt(a, "--all") != NULL;
	if (all == (a->npos == 1))
		return cli_fail(EXIT_USAGE, xasprintf("score: give a CONTACT or --all\nusage: heed score CONTACT|--all"));
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	if (!heed_plugins_has_score(cli->plugins))
		return cli_fail(EXIT_ERROR, xasprintf("score: no plugin in %s has a score function", cli->plugins_dir));
	struct scoring sc = { .cli = cli };
	int rc;
	if (all) {
		rc = heed_store_each(cli->store, NULL, 1, score_one, &sc, &sc.fatal);
		if (rc == HEED_OK)
			rc = sc.rc;
		if (rc == HEED_OK)
			printf("scored %ld contact%s (%ld changed)%s", sc.scored, sc.scored == 1 ? "" : "s",
			       sc.changed, sc.errors ? "" : "\n");
		if (sc.errors)
			printf(", %ld with plugin errors%s\n", sc.errors,
			       sc.errors > MAX_SHOWN_ERRORS ? " (first ones shown above)" : "");
	} else {
		int64_t id;
		int exit = cli_contact(cli, a->pos[0], &id);
		if (exit != EXIT_OK)
			return exit;
		heed_contact c;
		heed_contact_init(&c);
		rc = heed_store_load(cli->store, id, 0, &c, &sc.fatal);
		if (rc == HEED_OK && (rc = heed_store_begin(cli->store, &sc.fatal)) == HEED_OK) {
			score_one(&sc, &c);
			rc = sc.rc;
			if (rc == HEED_OK)
				rc = heed_store_commit(cli->store, &sc.fatal);
			else
				heed_store_rollback(cli->store);
		}
		if (rc == HEED_OK)
			print_parts(cli, &c, &sc.parts);
		heed_contact_clear(&c);
	}
	heed_parts_clear(&sc.parts);
	heed_buf_free(&sc.json);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), sc.fatal);
	free(sc.fatal);
	return EXIT_OK;
}

/* ---- advance ---- */

struct advancing {
	heed_cli *cli;
	int dry_run;
	long seen, moved, conflicts, errors;
	int rc;
	char *fatal;
};

/* "a, b, c" of the checks that passed; caller frees. */
static char *check_names(const heed_checks *k)
{
	heed_buf b = { 0 };
	for (size_t i = 0; i < k->n; i++) {
		if (i)
			heed_buf_adds(&b, ", ");
		heed_buf_adds(&b, k->v[i].name);
	}
	return heed_buf_detach(&b);
}

/* Move c as far as the criteria allow (lead → prospect → opportunity). */
static int advance_one(void *ud, heed_contact *c)
{
	struct advancing *ad = ud;
	heed_cli *cli = ad->cli;
	int st = heed_stage_parse(c->stage);
	ad->seen++;
	for (int step = 0; step < 2; step++) {
		int next = heed_stage_next(st);
		if (next < 0 || !heed_plugins_has_criteria(cli->plugins, heed_stage_names[next]))
			return 0;
		heed_checks k = { 0 };
		char *err = NULL;
		int rc = heed_plugins_criteria(cli->plugins, c, heed_stage_names[next], &k, &err);
		int pass = rc == HEED_OK;
		if (rc != HEED_OK) {
			if (ad->errors++ < MAX_SHOWN_ERRORS)
				cli_print_error(err);
			cli->failed = 1;
		}
		for (size_t i = 0; i < k.n; i++)
			pass = pass && k.v[i].pass;
		free(err);
		err = NULL;
		if (!pass || k.n == 0) {
			heed_checks_clear(&k);
			return 0;
		}
		char *names = check_names(&k);
		heed_checks_clear(&k);
		char *reason = xasprintf("criteria passed: %s", names);
		char *deciders = heed_plugins_versions_for(cli->plugins, heed_stage_names[next]);
		heed_stage_req req = { c->id, st, next, heed_time_now(), "advance", reason, deciders, 0 };
		rc = ad->dry_run ? HEED_OK : heed_stage_move(cli->store, &req, 0, &err);
		if (rc == HEED_OK) {
			ad->moved++;
			printf("%s%lld %s: %s → %s (%s)\n", ad->dry_run ? "would move " : "",
			       (long long)c->id, c->email ? c->email : "", heed_stage_names[st],
			       heed_stage_names[next], names);
			snprintf(c->stage, sizeof c->stage, "%s", heed_stage_names[next]);
			st = next;
		} else if (rc == HEED_ECONFLICT) {
			ad->conflicts++; /* another process moved it first: nothing to do */
		} else {
			ad->rc = rc;
			ad->fatal = err;
			err = NULL;
		}
		free(err);
		free(reason);
		free(names);
		free(deciders);
		if (rc != HEED_OK)
			return ad->rc != HEED_OK;
		if (ad->dry_run)
			return 0;
	}
	return 0;
}

int cmd_advance(heed_cli *cli, const cli_args *a)
{
	int all = cli_opt(a, "--all") != NULL;
	if (all == (a->npos == 1))
		return cli_fail(EXIT_USAGE, xasprintf("advance: give a CONTACT or --all\nusage: heed advance CONTACT|--all [--dry-run]"));
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	if (heed_plugins_nerrors(cli->plugins))
		return cli_fail(EXIT_ERROR, xasprintf("advance: moving nobody while %zu plugin%s failed to"
		                                      " load (see above): their criteria would be skipped",
		                                      heed_plugins_nerrors(cli->plugins),
		                                      heed_plugins_nerrors(cli->plugins) == 1 ? "" : "s"));
	struct advancing ad = { .cli = cli, .dry_run = cli_opt(a, "--dry-run") != NULL };
	int rc = HEED_OK;
	if (all) {
		static const char *const open[] = { "lead", "prospect" };
		for (int i = 0; i < 2 && rc == HEED_OK; i++)
			rc = heed_store_each(cli->store, open[i], 0, advance_one, &ad, &ad.fatal);
	} else {
		int64_t id;
		int exit = cli_contact(cli, a->pos[0], &id);
		if (exit != EXIT_OK)
			return exit;
		heed_contact c;
		heed_contact_init(&c);
		rc = heed_store_load(cli->store, id, 0, &c, &ad.fatal);
		if (rc == HEED_OK)
			advance_one(&ad, &c);
		if (rc == HEED_OK && ad.moved == 0 && !ad.errors)
			printf("%lld stays %s (see: heed why %lld)\n", (long long)id, c.stage, (long long)id);
		heed_contact_clear(&c);
	}
	if (rc == HEED_OK)
		rc = ad.rc;
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), ad.fatal);
	if (all)
		printf("%s: %ld move%s%s\n", ad.dry_run ? "would advance" : "advanced", ad.moved,
		       ad.moved == 1 ? "" : "s", ad.errors ? " (some plugins failed, see above)" : "");
	return EXIT_OK;
}

/* ---- why / move ---- */

static int parse_stage_arg(const char *cmd, const char *s, int *st)
{
	*st = heed_stage_parse(s);
	if (*st >= 0)
		return EXIT_OK;
	return cli_fail(EXIT_USAGE, xasprintf("%s: unknown stage '%s' (stages: lead, prospect,"
	                                      " opportunity, won, lost, disqualified)", cmd, s));
}

int cmd_why(heed_cli *cli, const cli_args *a)
{
	int64_t id;
	int target = -1, exit;
	if (a->npos == 2 && (exit = parse_stage_arg("why", a->pos[1], &target)) != EXIT_OK)
		return exit;
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	if ((exit = cli_contact(cli, a->pos[0], &id)) != EXIT_OK)
		return exit;
	heed_contact c;
	heed_contact_init(&c);
	char *err = NULL;
	int rc = heed_store_load(cli->store, id, 0, &c, &err);
	if (rc != HEED_OK) {
		heed_contact_clear(&c);
		return cli_fail(cli_exit(rc), err);
	}
	if (target < 0)
		target = heed_stage_next(heed_stage_parse(c.stage));
	if (target < 0) {
		if (cli->fmt == HEED_FMT_JSON)
			printf("[]\n");
		else
			printf("%lld is %s: no stage follows by criteria\n", (long long)id, c.stage);
		heed_contact_clear(&c);
		return EXIT_OK;
	}
	heed_checks k = { 0 };
	rc = heed_plugins_criteria(cli->plugins, &c, heed_stage_names[target], &k, &err);
	if (rc != HEED_OK) {
		cli_print_error(err);
		cli->failed = 1;
	}
	free(err);
	int pass = rc == HEED_OK && k.n > 0;
	const char *cols[] = { "result", "plugin", "check", "reason" };
	heed_table *t = heed_table_new(cols, 4);
	for (size_t i = 0; i < k.n; i++) {
		pass = pass && k.v[i].pass;
		if (cli->fmt == HEED_FMT_JSON)
			heed_table_bool(t, k.v[i].pass);
		else
			heed_table_str(t, k.v[i].pass ? "pass" : "FAIL");
		heed_table_str(t, k.v[i].plugin);
		heed_table_str(t, k.v[i].name);
		heed_table_str(t, k.v[i].reason);
	}
	if (cli->fmt == HEED_FMT_TABLE) {
		printf("%lld %s: %s → %s: %s\n", (long long)id, c.email ? c.email : "", c.stage,
		       heed_stage_names[target],
		       k.n == 0 ? "no criteria for this stage" : pass ? "all criteria pass" : "not yet");
		char *why_not = NULL;
		if (heed_stage_check(heed_stage_parse(c.stage), target, 0, NULL, &why_not) != HEED_OK)
			printf("note: %s\n", why_not);
		free(why_not);
		if (heed_plugins_nerrors(cli->plugins))
			printf("note: %zu plugin(s) failed to load (see above); their criteria are missing here\n",
			       heed_plugins_nerrors(cli->plugins));
	}
	if (k.n || cli->fmt != HEED_FMT_TABLE)
		heed_table_print(t, cli->fmt, stdout);
	heed_table_free(t);
	heed_checks_clear(&k);
	heed_contact_clear(&c);
	return EXIT_OK;
}

int cmd_move(heed_cli *cli, const cli_args *a)
{
	int to, exit;
	if ((exit = parse_stage_arg("move", a->pos[1], &to)) != EXIT_OK)
		return exit;
	const char *reason = cli_opt(a, "--reason"), *ats = cli_opt(a, "--at");
	int forced = cli_opt(a, "--force") != NULL;
	heed_time at = heed_time_now();
	if (ats && heed_time_parse(ats, &at) != HEED_OK)
		return cli_fail(EXIT_USAGE, xasprintf("move: --at '%s' is not an ISO 8601 time", ats));
	if (forced && heed_empty(reason))
		return cli_fail(EXIT_USAGE, xasprintf("move: --force needs --reason TEXT (it is kept in the history)"));
	int64_t id;
	if (!cli_store(cli))
		return EXIT_ERROR;
	if ((exit = cli_contact(cli, a->pos[0], &id)) != EXIT_OK)
		return exit;
	heed_contact c;
	heed_contact_init(&c);
	char *err = NULL;
	int rc = heed_store_load(cli->store, id, 0, &c, &err);
	int from = heed_stage_parse(c.stage);
	if (rc == HEED_OK && at < c.stage_changed_at) {
		char since[24], when[24];
		heed_time_format(c.stage_changed_at, since);
		heed_time_format(at, when);
		heed_seterr(&err, "move: %s is before contact %lld entered %s (%s); a move cannot"
		                  " end a stay before it began", when, (long long)id, c.stage, since);
		rc = HEED_EUSAGE;
	}
	const char *user = getenv("USER");
	char *actor = xasprintf("user:%s", heed_empty(user) ? "unknown" : user);
	heed_stage_req req = { id, from, to, at, actor, reason, NULL, forced };
	if (rc == HEED_OK)
		rc = heed_stage_move(cli->store, &req, 0, &err);
	if (rc != HEED_OK && rc != HEED_EUSAGE && err) {
		char *named = xasprintf("move %lld%s%s: %s", (long long)id, c.email ? " " : "",
		                        c.email ? c.email : "", err);
		free(err);
		err = named;
	}
	if (rc == HEED_OK) {
		printf("moved %lld %s: %s → %s", (long long)id, c.email ? c.email : "",
		       heed_stage_names[from], heed_stage_names[to]);
		printf(forced ? " (forced: %s)\n" : "%s\n", forced ? reason : "");
	}
	free(actor);
	heed_contact_clear(&c);
	if (rc != HEED_OK)
		return cli_fail(rc == HEED_EUSAGE ? EXIT_USAGE : EXIT_ERROR, err);
	return EXIT_OK;
}
