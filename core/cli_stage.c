/* cli_stage: the commands that run plugins over contacts and move stages:
 * score, advance, move, why. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "parts.h"
#include "stage.h"
#include "util.h"

int cmd_move(heed_cli *cli, const cli_args *a);
int cmd_why(heed_cli *cli, const cli_args *a);

enum { MAX_SHOWN_ERRORS = 10 };

struct scoring {
	heed_cli *cli;
	/* used by the thread that runs the plugins */
	long scored, errors;
	heed_parts parts;    /* one contact's (score CONTACT, the rescore after a merge) */
	/* used by the thread that owns the store */
	heed_buf json;       /* the parts of one contact, as stored */
	heed_parts_enc enc;
	long changed;
	int group; /* chunks written in the open transaction */
	char *fatal;
};

enum { GROUP = 16 }; /* chunks a transaction */

/* Append every plugin's score parts for c to out, with out->total their sum;
 * print the first errors. */
static void run_score(struct scoring *sc, const heed_contact *c, heed_parts *out)
{
	char *err = NULL;
	out->total = 0;
	if (heed_plugins_score(sc->cli->plugins, c, out, &err) != HEED_OK) {
		if (sc->errors++ < MAX_SHOWN_ERRORS)
			cli_print_error(err);
		sc->cli->failed = 1;
	}
	free(err);
	sc->scored++;
}

/* Append the stored JSON of parts v[0..n) to b; 1 if c already holds it and total. */
static int encode_parts(struct scoring *sc, heed_buf *b, const heed_contact *c, const heed_part *v,
                        size_t n, double total)
{
	size_t off = b->len;
	heed_parts_encode(b, &sc->enc, v, n);
	return c->score == total && heed_streq(b->s + off, c->score_parts);
}

/* The JSON of parts v[0..n) into sc->json; 1 if c already holds it and total. */
static int unchanged(struct scoring *sc, const heed_contact *c, const heed_part *v, size_t n,
                     double total)
{
	heed_buf_reset(&sc->json);
	return encode_parts(sc, &sc->json, c, v, n, total);
}

/* ---- score --all ----
 * A pipeline of three threads over chunks of contacts, each chunk in a slot:
 * a reader thread loads chunks through its own read-only connection, the
 * plugin thread scores them, and this thread turns their parts into the JSON
 * to store and writes the changed
 * scores, a transaction per GROUP chunks. The plugin thread bounds the pass,
 * so the encoding is this thread's: it waited for scored chunks anyway. While
 * this thread writes chunk k, the plugins score k+1 and the reader loads k+2
 * (or further ahead). Slots go round in order: free -> loaded -> scored -> free.
 * Only the plugin thread calls the plugins until it is joined, and each
 * connection is used by one thread. When a thread cannot start, this thread
 * does every step itself, one chunk at a time. */

/* Three slots keep all three threads busy; the others let the reader and the
 * plugins run ahead while the writer waits on the disk (a checkpoint syncs
 * twice), or another process holds a core. With 6 slots the plugin thread,
 * the one that bounds the pass, still waited 0.4 s for chunks in a 1M pass;
 * with 16, 0.1 s. About 3.5 MB each once filled. */
enum { NSLOTS = 16 };
enum { SLOT_FREE, SLOT_LOADED, SLOT_SCORED };

struct slot {
	heed_chunk *ch;
	int state;
	int last;         /* the end of the scan (no contacts), or the read failed */
	heed_parts parts; /* every contact's parts, one after another */
	struct scored {   /* contact i's: parts.v[from..from+n) adding up to total */
		size_t from, n;
		double total;
	} *scored;
	heed_score *rows; /* the contacts whose score changed, in id order */
	size_t nrows;
	size_t *off;      /* where each row's parts start in json */
	heed_buf json;    /* the rows' parts, each ended by a NUL */
};

struct pipeline {
	struct scoring *sc;
	heed_store *reader;      /* the reader thread's connection */
	heed_scan scan;
	struct slot slot[NSLOTS];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;                /* the writer failed: the others stop at their next slot */
	int read_rc;
	char *read_err;
};

/* Plugin thread: score every contact of the slot's chunk. */
static void score_slot(struct scoring *sc, struct slot *sl)
{
	size_t n = heed_chunk_count(sl->ch);
	sl->scored = xrealloc(sl->scored, (n ? n : 1) * sizeof *sl->scored);
	heed_parts_reset(&sl->parts);
	for (size_t i = 0; i < n; i++) {
		size_t from = sl->parts.n;
		run_score(sc, heed_chunk_at(sl->ch, i), &sl->parts);
		sl->scored[i] = (struct scored){ from, sl->parts.n - from, sl->parts.total };
	}
}

/* Store thread: the stored JSON of each scored contact; keep the changed ones. */
static void encode_slot(struct scoring *sc, struct slot *sl)
{
	size_t n = heed_chunk_count(sl->ch);
	sl->rows = xrealloc(sl->rows, (n ? n : 1) * sizeof *sl->rows);
	sl->off = xrealloc(sl->off, (n ? n : 1) * sizeof *sl->off);
	sl->nrows = 0;
	heed_buf_reset(&sl->json);
	for (size_t i = 0; i < n; i++) {
		const heed_contact *c = heed_chunk_at(sl->ch, i);
		const struct scored *r = &sl->scored[i];
		/* the JSON goes straight after the rows kept so far; dropped again
		 * (the buffer cut back) when the contact already holds it */
		size_t off = sl->json.len;
		if (encode_parts(sc, &sl->json, c, sl->parts.v + r->from, r->n, r->total)) {
			sl->json.len = off;
			sl->json.s[off] = '\0';
			continue;
		}
		heed_buf_addc(&sl->json, '\0');
		sl->off[sl->nrows] = off;
		sl->rows[sl->nrows++] = (heed_score){ .id = c->id, .score = r->total };
	}
	for (size_t k = 0; k < sl->nrows; k++)
		sl->rows[k].parts_json = sl->json.s + sl->off[k];
}

/* Reader thread: load the next chunk into the slot; mark it last at the end
 * of the scan or on an error (kept in read_rc / read_err). */
static void read_slot(struct pipeline *pl, heed_store *s, struct slot *sl)
{
	char *err = NULL;
	int rc = heed_store_scan(s, &pl->scan, sl->ch, &err);
	sl->last = rc != HEED_OK || heed_chunk_count(sl->ch) == 0;
	if (rc != HEED_OK) {
		pl->read_rc = rc;
		pl->read_err = err;
	}
}

/* Store thread: write the slot's changed scores in the open transaction. */
static int write_slot(struct scoring *sc, struct slot *sl)
{
	heed_store *s = sc->cli->store;
	int rc = HEED_OK;
	/* Ctrl-C (REPL): the open group goes, and the pass stops here even when
	 * nothing changes (no statement runs then for SQLite to interrupt) */
	if (heed_store_interrupted(s)) {
		heed_seterr(&sc->fatal, "interrupted");
		return HEED_ERR;
	}
	encode_slot(sc, sl);
	if (sl->nrows == 0)
		return HEED_OK;
	if (sc->group == 0 && (rc = heed_store_begin(s, &sc->fatal)) != HEED_OK)
		return rc;
	rc = heed_store_set_scores(s, sl->rows, sl->nrows, &sc->fatal);
	if (rc == HEED_OK && ++sc->group == GROUP)
		rc = heed_store_commit(s, &sc->fatal), sc->group = 0;
	else if (rc != HEED_OK)
		heed_store_rollback(s), sc->group = 0;
	if (rc == HEED_OK)
		sc->changed += (long)sl->nrows;
	return rc;
}

/* Wait until sl is in state; 0 when the pipeline stopped instead. */
static int slot_wait(struct pipeline *pl, struct slot *sl, int state)
{
	pthread_mutex_lock(&pl->mu);
	while (sl->state != state && !pl->stop)
		pthread_cond_wait(&pl->cv, &pl->mu);
	int ok = !pl->stop;
	pthread_mutex_unlock(&pl->mu);
	return ok;
}

static void slot_pass(struct pipeline *pl, struct slot *sl, int state)
{
	pthread_mutex_lock(&pl->mu);
	sl->state = state;
	pthread_cond_broadcast(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
}

static void *reader_thread(void *arg)
{
	struct pipeline *pl = arg;
	for (size_t k = 0;; k++) {
		struct slot *sl = &pl->slot[k % NSLOTS];
		if (!slot_wait(pl, sl, SLOT_FREE))
			break;
		read_slot(pl, pl->reader, sl);
		int last = sl->last;
		slot_pass(pl, sl, SLOT_LOADED);
		if (last)
			break;
	}
	return NULL;
}

static void *plugin_thread(void *arg)
{
	struct pipeline *pl = arg;
	for (size_t k = 0;; k++) {
		struct slot *sl = &pl->slot[k % NSLOTS];
		if (!slot_wait(pl, sl, SLOT_LOADED))
			break;
		int last = sl->last; /* once passed on, the slot may be refilled before we look again */
		if (!last)
			score_slot(pl->sc, sl);
		slot_pass(pl, sl, SLOT_SCORED);
		if (last)
			break;
	}
	return NULL;
}

/* Without the other threads: read, score and write one chunk after another. */
static int score_serial(struct pipeline *pl)
{
	struct slot *sl = &pl->slot[0];
	int rc = HEED_OK;
	for (;;) {
		read_slot(pl, pl->sc->cli->store, sl);
		if (sl->last)
			break;
		score_slot(pl->sc, sl);
		if ((rc = write_slot(pl->sc, sl)) != HEED_OK)
			break;
	}
	return rc;
}

static int score_all(struct scoring *sc)
{
	struct pipeline pl = { .sc = sc };
	for (int i = 0; i < NSLOTS; i++)
		pl.slot[i].ch = heed_chunk_new();
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.cv, NULL);
	pthread_t reader, plugins;
	char *err = NULL;
	int rc = HEED_OK, started = 0;
	int have_reader = heed_store_open_reader(sc->cli->store, &pl.reader, &err) == HEED_OK;
	if (have_reader) { /* it streams through every page: mapped, not copied (or read, if not) */
		heed_store_map(pl.reader, 1, NULL);
		heed_store_scan_orgs(pl.reader, NULL); /* on failure the scan joins, as usual */
	}
	if (have_reader && pthread_create(&plugins, NULL, plugin_thread, &pl) == 0) {
		started = 1;
		if (pthread_create(&reader, NULL, reader_thread, &pl) == 0) {
			started = 2;
		} else { /* stop the plugin thread; go without both */
			pthread_mutex_lock(&pl.mu);
			pl.stop = 1;
			pthread_cond_broadcast(&pl.cv);
			pthread_mutex_unlock(&pl.mu);
			pthread_join(plugins, NULL);
			pl.stop = 0;
		}
	}
	free(err);
	if (started == 2) {
		for (size_t k = 0;; k++) {
			struct slot *sl = &pl.slot[k % NSLOTS];
			slot_wait(&pl, sl, SLOT_SCORED);
			if (sl->last || (rc = write_slot(sc, sl)) != HEED_OK)
				break;
			slot_pass(&pl, sl, SLOT_FREE);
		}
		pthread_mutex_lock(&pl.mu);
		pl.stop = 1; /* the others are done, or must stop: this thread failed */
		pthread_cond_broadcast(&pl.cv);
		pthread_mutex_unlock(&pl.mu);
		pthread_join(reader, NULL);
		pthread_join(plugins, NULL);
	} else {
		rc = score_serial(&pl);
	}
	if (sc->group) { /* the last, unfinished group */
		if (rc == HEED_OK)
			rc = heed_store_commit(sc->cli->store, &sc->fatal);
		else
			heed_store_rollback(sc->cli->store);
		sc->group = 0;
	}
	if (rc == HEED_OK && pl.read_rc != HEED_OK) {
		rc = pl.read_rc;
		sc->fatal = pl.read_err;
		pl.read_err = NULL;
	}
	free(pl.read_err);
	heed_store_close(pl.reader);
	pthread_cond_destroy(&pl.cv);
	pthread_mutex_destroy(&pl.mu);
	for (int i = 0; i < NSLOTS; i++) {
		heed_chunk_free(pl.slot[i].ch);
		heed_parts_clear(&pl.slot[i].parts);
		free(pl.slot[i].scored);
		free(pl.slot[i].rows);
		free(pl.slot[i].off);
		heed_buf_free(&pl.slot[i].json);
	}
	return rc;
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

/* Load contact id into *c, score it into *parts and store the score when it
 * changed, in one transaction. Returns rc, with sc->fatal set on failure. */
static int score_one(struct scoring *sc, int64_t id, heed_contact *c, heed_parts *parts)
{
	heed_store *s = sc->cli->store;
	int rc = heed_store_load(s, id, 0, c, &sc->fatal);
	if (rc == HEED_OK && (rc = heed_store_begin(s, &sc->fatal)) == HEED_OK) {
		run_score(sc, c, parts);
		if (!unchanged(sc, c, parts->v, parts->n, parts->total))
			rc = heed_store_set_score(s, c->id, parts->total, sc->json.s, &sc->fatal);
		if (rc == HEED_OK)
			rc = heed_store_commit(s, &sc->fatal);
		else
			heed_store_rollback(s);
	}
	return rc;
}

/* Free what a scoring run holds; report its error. Returns the exit status. */
static int scoring_end(struct scoring *sc, int rc)
{
	heed_parts_clear(&sc->parts);
	heed_buf_free(&sc->json);
	heed_parts_enc_free(&sc->enc);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), sc->fatal);
	free(sc->fatal);
	return EXIT_OK;
}

int cli_rescore(heed_cli *cli, int64_t id)
{
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	if (!heed_plugins_has_score(cli->plugins))
		return EXIT_OK;
	size_t broken = heed_plugins_nerrors(cli->plugins);
	if (broken) /* as score: a plugin that did not load would drop its parts */
		return cli_fail(EXIT_ERROR, xasprintf("the score of contact %lld was not recomputed while"
		                                      " %zu plugin%s failed to load (see above)", (long long)id,
		                                      broken, broken == 1 ? "" : "s"));
	struct scoring sc = { .cli = cli };
	int64_t set = 0;
	char *versions = heed_plugins_score_versions(cli->plugins);
	int rc = heed_store_plugin_set(cli->store, versions, &set, &sc.fatal);
	free(versions);
	heed_store_score_set(cli->store, set);
	heed_contact c;
	heed_contact_init(&c);
	heed_parts parts = { 0 };
	if (rc == HEED_OK)
		rc = score_one(&sc, id, &c, &parts);
	heed_parts_clear(&parts);
	heed_contact_clear(&c);
	return scoring_end(&sc, rc);
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
	size_t broken = heed_plugins_nerrors(cli->plugins);
	if (broken) /* like advance: a plugin that did not load would drop its parts from every score */
		return cli_fail(EXIT_ERROR, xasprintf("score: scoring nobody while %zu plugin%s failed to load"
		                                      " (see above); the stored scores are kept",
		                                      broken, broken == 1 ? "" : "s"));
	struct scoring sc = { .cli = cli };
	int64_t set = 0;
	char *versions = heed_plugins_score_versions(cli->plugins);
	int rc = heed_store_plugin_set(cli->store, versions, &set, &sc.fatal); /* audit: who made the scores */
	free(versions);
	heed_store_score_set(cli->store, set);
	if (rc != HEED_OK) {
		/* reported below */
	} else if (all) {
		/* past 50,000 changed scores the (stage, score) index is built once,
		 * after them, rather than updated at random for each */
		char *ierr = NULL;
		rc = heed_store_bulk_scores(cli->store, 1, 50000, &sc.fatal);
		if (rc == HEED_OK)
			rc = score_all(&sc);
		int irc = heed_store_bulk_scores(cli->store, 0, 0, &ierr);
		if (rc == HEED_OK && irc != HEED_OK)
			rc = irc, sc.fatal = ierr, ierr = NULL;
		free(ierr);
		if (rc == HEED_OK)
			rc = heed_store_mark_scores(cli->store, set, &sc.fatal);
		if (rc == HEED_OK)
			printf("scored %ld contact%s (%ld changed)%s", sc.scored, sc.scored == 1 ? "" : "s",
			       sc.changed, sc.errors ? "" : "\n");
		if (sc.errors)
			printf(", %ld with plugin errors%s\n", sc.errors,
			       sc.errors > MAX_SHOWN_ERRORS ? " (first ones shown above)" : "");
		char *fails = heed_plugins_failures(cli->plugins);
		if (fails && sc.errors > MAX_SHOWN_ERRORS)
			cli_print_error(fails); /* per plugin, so none hides behind another's errors */
		free(fails);
	} else {
		int64_t id;
		int exit = cli_contact(cli, a->pos[0], &id);
		if (exit != EXIT_OK)
			return exit;
		heed_contact c;
		heed_contact_init(&c);
		heed_parts parts = { 0 };
		rc = score_one(&sc, id, &c, &parts);
		if (rc == HEED_OK)
			print_parts(cli, &c, &parts);
		heed_parts_clear(&parts);
		heed_contact_clear(&c);
	}
	return scoring_end(&sc, rc);
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
	if (ad.dry_run) /* nothing moved: the criteria's heed.kv writes are not kept either */
		cli_kv_discard(cli);
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
	int target = -1, exit;
	if (a->npos == 2 && (exit = parse_stage_arg("why", a->pos[1], &target)) != EXIT_OK)
		return exit;
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	heed_contact c;
	if ((exit = cli_load(cli, a->pos[0], 0, &c)) != EXIT_OK) {
		heed_contact_clear(&c);
		return exit;
	}
	int64_t id = c.id;
	char *err = NULL;
	int rc;
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
		/* the history marks a move forced only when the table required it */
		int needed = forced && heed_stage_check(from, to, 0, NULL, NULL) != HEED_OK;
		if (needed)
			printf(" (forced: %s)\n", reason);
		else if (forced)
			printf(" (a legal move: not marked forced; reason kept: %s)\n", reason);
		else
			printf("\n");
		cli_followup_event(cli, id); /* policies on entering the stage (or leaving one) answer now */
	}
	free(actor);
	heed_contact_clear(&c);
	if (rc != HEED_OK)
		return cli_fail(rc == HEED_EUSAGE ? EXIT_USAGE : EXIT_ERROR, err);
	return EXIT_OK;
}
