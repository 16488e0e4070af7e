/* cli_report: the reading commands — list, show, pipeline, today. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "json.h"
#include "parts.h"
#include "stage.h"
#include "util.h"

enum { LIST_PAGE = 50 };

static int parse_long(const char *cmd, const char *opt, const char *v, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 0)
		return cli_fail(EXIT_USAGE, xasprintf("%s: %s '%s' is not a whole number", cmd, opt, v));
	*out = n;
	return EXIT_OK;
}

int cmd_list(heed_cli *cli, const cli_args *a)
{
	heed_listq q = { .stage = cli_opt(a, "--stage"), .min_score = NAN,
		             .order = cli_opt(a, "--order"), .desc = -1, .limit = 0 };
	const char *v;
	int exit;
	if (q.stage && heed_stage_parse(q.stage) < 0)
		return cli_fail(EXIT_USAGE, xasprintf("list: unknown stage '%s' (stages: lead, prospect,"
		                                      " opportunity, won, lost, disqualified)", q.stage));
	if ((v = cli_opt(a, "--min-score"))) {
		char *end;
		q.min_score = strtod(v, &end);
		if (!*v || *end || !isfinite(q.min_score))
			return cli_fail(EXIT_USAGE, xasprintf("list: --min-score '%s' is not a number", v));
	}
	if ((v = cli_opt(a, "--limit")) && (exit = parse_long("list", "--limit", v, &q.limit)) != EXIT_OK)
		return exit;
	if (cli_opt(a, "--asc"))
		q.desc = 0;
	if (cli_opt(a, "--desc"))
		q.desc = 1;
	if (q.order) {
		int ok = 0;
		for (int i = 0; heed_store_orders[i]; i++)
			ok |= strcmp(q.order, heed_store_orders[i]) == 0;
		if (!ok) {
			heed_buf b = { 0 };
			for (int i = 0; heed_store_orders[i]; i++)
				heed_buf_addf(&b, "%s%s", i ? ", " : "", heed_store_orders[i]);
			char *m = xasprintf("list: unknown order '%s' (orders: %s)", q.order, b.s);
			heed_buf_free(&b);
			return cli_fail(EXIT_USAGE, m);
		}
	}
	if (!cli_store(cli))
		return EXIT_ERROR;
	/* A screen is not an export: the table shows a page unless --limit says
	 * otherwise; json and csv give every row. */
	int paged = cli->fmt == HEED_FMT_TABLE && !cli_opt(a, "--limit");
	if (paged)
		q.limit = LIST_PAGE + 1;
	heed_listrow *rows;
	size_t n;
	char *err = NULL;
	int rc = heed_store_list(cli->store, &q, &rows, &n, &err);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	int more = paged && n > LIST_PAGE;
	if (more)
		n = LIST_PAGE;
	const char *cols[] = { "id", "email", "external_id", "name", "organisation", "title",
		                   "stage", "score", "updated_at" };
	heed_table *t = heed_table_new(cols, 9);
	for (size_t i = 0; i < n; i++) {
		heed_table_int(t, rows[i].id);
		heed_table_str(t, rows[i].email);
		heed_table_str(t, rows[i].external_id);
		heed_table_str(t, heed_empty(rows[i].name) ? NULL : rows[i].name);
		heed_table_str(t, rows[i].org);
		heed_table_str(t, rows[i].title);
		heed_table_str(t, rows[i].stage);
		heed_table_num(t, rows[i].score, 2);
		heed_table_time(t, rows[i].updated_at);
	}
	heed_table_print(t, cli->fmt, stdout);
	if (more)
		printf("(first %d shown; --limit N for more, --limit 0 for all, --format csv to export)\n", LIST_PAGE);
	heed_table_free(t);
	heed_listrows_free(rows, more ? n + 1 : n);
	return EXIT_OK;
}

/* ---- show ---- */

static void kv_line(const char *k, const char *v)
{
	if (heed_empty(v))
		return;
	printf("  %-14s ", k);
	heed_print_text(stdout, v);
	putchar('\n');
}

static void show_text(const heed_contact *c)
{
	char t1[24], t2[24];
	printf("contact %lld\n", (long long)c->id);
	kv_line("email", c->email);
	char *name = xasprintf("%s%s%s", c->first_name ? c->first_name : "",
	                       c->first_name && c->last_name ? " " : "", c->last_name ? c->last_name : "");
	kv_line("name", name);
	free(name);
	kv_line("title", c->title);
	kv_line("phone", c->phone);
	kv_line("owner", c->owner);
	if (c->org.id) {
		printf("  %-14s %s", "organisation", c->org.name);
		if (c->org.industry || c->org.employees >= 0 || c->org.country) {
			printf(" (");
			const char *sep = "";
			if (c->org.industry)
				printf("%s%s", sep, c->org.industry), sep = ", ";
			if (c->org.employees >= 0)
				printf("%s%lld employees", sep, (long long)c->org.employees), sep = ", ";
			if (c->org.country)
				printf("%s%s", sep, c->org.country);
			printf(")");
		}
		printf("\n");
	}
	heed_time_format(c->stage_changed_at, t1);
	printf("  %-14s %s since %s\n", "stage", c->stage, t1);
	if (!isnan(c->score))
		printf("  %-14s %g\n", "score", c->score);
	if (c->external_id)
		printf("  %-14s %s (%s)\n", "external id", c->external_id, c->source ? c->source : "");
	if (c->do_not_contact)
		printf("  %-14s yes\n", "do not contact");
	if (c->deal.present) {
		printf("  %-14s", "deal");
		if (!isnan(c->deal.value))
			printf(" %.2f%s%s", c->deal.value, c->deal.currency ? " " : "",
			       c->deal.currency ? c->deal.currency : "");
		if (c->deal.close_date) {
			heed_time_format_date(c->deal.close_date, t2);
			printf(", close by %s", t2);
		}
		if (!isnan(c->deal.probability))
			printf(", probability %.0f%%%s", c->deal.probability * 100,
			       c->deal.probability_user ? " (set by a user)" : "");
		if (c->deal.decision_makers)
			printf(", decided by %s", c->deal.decision_makers);
		printf("\n");
	}
	if (c->attrs && strcmp(c->attrs, "{}") != 0)
		printf("  %-14s %s\n", "attributes", c->attrs);
	heed_time_format(c->created_at, t1);
	heed_time_format(c->updated_at, t2);
	printf("  %-14s %s, updated %s\n", "created", t1, t2);
}

/* One stored score part → a row of the parts table. */
static int part_row(void *ud, const char *plugin, const char *name, double points, const char *reason)
{
	heed_table *t = ud;
	heed_table_str(t, plugin);
	heed_table_str(t, name);
	heed_table_num(t, points, 2);
	heed_table_str(t, reason);
	return 0;
}

static void show_parts_text(const heed_contact *c)
{
	if (heed_empty(c->score_parts) || strcmp(c->score_parts, "[]") == 0)
		return;
	const char *cols[] = { "plugin", "part", "points", "reason" };
	heed_table *t = heed_table_new(cols, 4);
	char *err = NULL;
	printf("\nscore parts:\n");
	if (heed_parts_read(c->score_parts, part_row, t, &err) == HEED_OK) {
		heed_table_print(t, HEED_FMT_TABLE, stdout);
	} else {
		printf("  ");
		heed_print_text(stdout, c->score_parts); /* as stored, control characters shown as '?' */
		printf(" (unreadable: %s)\n", err);
	}
	free(err);
	heed_table_free(t);
}

static heed_table *history_table(const heed_contact *c)
{
	const char *cols[] = { "at", "from", "to", "actor", "forced", "reason", "plugins" };
	heed_table *t = heed_table_new(cols, 7);
	for (size_t i = 0; i < c->nhist; i++) {
		const heed_history *h = &c->hist[i];
		heed_table_time(t, h->at);
		heed_table_str(t, h->from);
		heed_table_str(t, h->to);
		heed_table_str(t, h->actor);
		heed_table_bool(t, h->forced);
		heed_table_str(t, h->reason);
		heed_table_str(t, h->plugins);
	}
	return t;
}

static heed_table *timeline_table(const heed_contact *c)
{
	const char *cols[] = { "at", "kind", "data" };
	heed_table *t = heed_table_new(cols, 3);
	for (size_t i = 0; i < c->nacts; i++) {
		heed_table_time(t, c->acts[i].at);
		heed_table_str(t, c->acts[i].kind);
		heed_table_str(t, c->acts[i].data);
	}
	return t;
}

static void json_kv(heed_buf *b, const char *k, const char *v)
{
	heed_buf_addc(b, ',');
	heed_json_str(b, k);
	heed_buf_addc(b, ':');
	heed_json_str(b, v);
}

static void json_time(heed_buf *b, const char *k, heed_time t)
{
	char s[24];
	heed_time_format(t, s);
	json_kv(b, k, t ? s : NULL);
}

static void json_num(heed_buf *b, const char *k, double v)
{
	heed_buf_addc(b, ',');
	heed_json_str(b, k);
	heed_buf_addc(b, ':');
	heed_json_num(b, v);
}

static void show_json(const heed_contact *c)
{
	heed_buf b = { 0 };
	heed_buf_addf(&b, "{\"id\":%lld", (long long)c->id);
	json_kv(&b, "email", c->email);
	json_kv(&b, "source", c->source);
	json_kv(&b, "external_id", c->external_id);
	json_kv(&b, "first_name", c->first_name);
	json_kv(&b, "last_name", c->last_name);
	json_kv(&b, "title", c->title);
	json_kv(&b, "phone", c->phone);
	json_kv(&b, "owner", c->owner);
	json_kv(&b, "stage", c->stage);
	json_num(&b, "score", c->score);
	heed_buf_adds(&b, ",\"score_parts\":");
	char *err = NULL;
	if (heed_parts_readable(&b, c->score_parts, &err) != HEED_OK) {
		/* not parts: the stored text is no JSON to paste, so say why instead */
		heed_buf_adds(&b, "null");
		json_kv(&b, "score_parts_error", err);
	}
	free(err);
	heed_buf_adds(&b, c->do_not_contact ? ",\"do_not_contact\":true" : ",\"do_not_contact\":false");
	heed_buf_adds(&b, ",\"attrs\":");
	heed_buf_adds(&b, heed_empty(c->attrs) ? "{}" : c->attrs);
	json_time(&b, "created_at", c->created_at);
	json_time(&b, "updated_at", c->updated_at);
	json_time(&b, "stage_changed_at", c->stage_changed_at);
	heed_buf_adds(&b, ",\"organisation\":");
	if (c->org.id) {
		heed_buf_addf(&b, "{\"id\":%lld", (long long)c->org.id);
		json_kv(&b, "name", c->org.name);
		json_kv(&b, "domain", c->org.domain);
		json_kv(&b, "industry", c->org.industry);
		json_num(&b, "employees", c->org.employees >= 0 ? (double)c->org.employees : NAN);
		json_kv(&b, "country", c->org.country);
		heed_buf_addc(&b, '}');
	} else {
		heed_buf_adds(&b, "null");
	}
	heed_buf_adds(&b, ",\"deal\":");
	if (c->deal.present) {
		heed_buf_adds(&b, "{\"present\":true");
		json_num(&b, "value", c->deal.value);
		json_kv(&b, "currency", c->deal.currency);
		json_time(&b, "close_date", c->deal.close_date);
		json_kv(&b, "decision_makers", c->deal.decision_makers);
		json_num(&b, "probability", c->deal.probability);
		heed_buf_adds(&b, c->deal.probability_user ? ",\"probability_user\":true}" : ",\"probability_user\":false}");
	} else {
		heed_buf_adds(&b, "null");
	}
	heed_buf_adds(&b, ",\"history\":[");
	for (size_t i = 0; i < c->nhist; i++) {
		const heed_history *h = &c->hist[i];
		heed_buf_adds(&b, i ? ",{\"from\":" : "{\"from\":");
		heed_json_str(&b, h->from);
		json_kv(&b, "to", h->to);
		json_time(&b, "at", h->at);
		json_kv(&b, "actor", h->actor);
		json_kv(&b, "reason", h->reason);
		json_kv(&b, "plugins", h->plugins);
		heed_buf_adds(&b, h->forced ? ",\"forced\":true}" : ",\"forced\":false}");
	}
	heed_buf_adds(&b, "],\"timeline\":[");
	for (size_t i = 0; i < c->nacts; i++) {
		heed_buf_adds(&b, i ? ",{\"kind\":" : "{\"kind\":");
		heed_json_str(&b, c->acts[i].kind);
		json_time(&b, "at", c->acts[i].at);
		heed_buf_adds(&b, ",\"data\":");
		heed_buf_adds(&b, heed_empty(c->acts[i].data) ? "null" : c->acts[i].data);
		heed_buf_addc(&b, '}');
	}
	heed_buf_adds(&b, "]}\n");
	fputs(b.s, stdout);
	heed_buf_free(&b);
}

int cmd_show(heed_cli *cli, const cli_args *a)
{
	heed_contact c;
	int exit;
	if (!cli_store(cli))
		return EXIT_ERROR;
	if ((exit = cli_load(cli, a->pos[0], HEED_LOAD_HISTORY, &c)) != EXIT_OK) {
		heed_contact_clear(&c);
		return exit;
	}
	if (cli->fmt == HEED_FMT_JSON) {
		show_json(&c);
	} else {
		heed_table *h = history_table(&c), *t = timeline_table(&c);
		if (cli->fmt == HEED_FMT_TABLE) {
			show_text(&c);
			show_parts_text(&c);
			char *made_by = NULL, *err = NULL;
			if (heed_store_score_versions(cli->store, c.id, &made_by, &err) == HEED_OK && made_by)
				printf("  made by plugins: %s\n", made_by); /* audit */
			free(made_by);
			free(err);
			printf("\nstage history:\n");
		}
		if (heed_table_rows(h) || cli->fmt == HEED_FMT_CSV)
			heed_table_print(h, cli->fmt, stdout);
		else
			printf("  (no moves)\n");
		if (cli->fmt == HEED_FMT_TABLE)
			printf("\ntimeline:\n");
		if (heed_table_rows(t) || cli->fmt == HEED_FMT_CSV)
			heed_table_print(t, cli->fmt, stdout);
		else
			printf("  (no activities)\n");
		heed_table_free(h);
		heed_table_free(t);
	}
	heed_contact_clear(&c);
	return EXIT_OK;
}

/* ---- pipeline ---- */

int cmd_pipeline(heed_cli *cli, const cli_args *a)
{
	(void)a;
	if (!cli_store(cli))
		return EXIT_ERROR;
	heed_funnel_stage f[HEED_NSTAGES];
	int rank[HEED_NSTAGES];
	for (int i = 0; i < HEED_NSTAGES; i++)
		rank[i] = i <= HEED_WON ? heed_stage_rank(i) : -1;
	double forecast = 0;
	char *err = NULL;
	int rc = heed_store_funnel(cli->store, heed_stage_names, HEED_NSTAGES, rank, f,
	                           heed_stage_prob(HEED_OPPORTUNITY), &forecast, &err);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	double conv[HEED_NSTAGES];
	for (int i = 0; i < HEED_NSTAGES; i++) {
		int next = i < HEED_WON ? i + 1 : -1;
		conv[i] = next >= 0 && f[i].reached ? (double)f[next].reached / (double)f[i].reached : NAN;
	}
	double lead_to_won = f[HEED_LEAD].reached ? (double)f[HEED_WON].reached / (double)f[HEED_LEAD].reached : NAN;
	if (cli->fmt == HEED_FMT_JSON) {
		heed_buf b = { 0 };
		heed_buf_adds(&b, "{\"stages\":[");
		for (int i = 0; i < HEED_NSTAGES; i++) {
			heed_buf_adds(&b, i ? ",{\"stage\":" : "{\"stage\":");
			heed_json_str(&b, heed_stage_names[i]);
			heed_buf_addf(&b, ",\"count\":%ld,\"reached\":%ld,\"conversion\":", f[i].count,
			              f[i].reached);
			heed_json_num(&b, conv[i]);
			heed_buf_adds(&b, ",\"median_days\":");
			heed_json_num(&b, f[i].median_days);
			heed_buf_addf(&b, ",\"left\":%ld}", f[i].left);
		}
		heed_buf_adds(&b, "],\"lead_to_won\":");
		heed_json_num(&b, lead_to_won);
		heed_buf_adds(&b, ",\"forecast\":");
		heed_json_num(&b, forecast);
		heed_buf_adds(&b, "}\n");
		fputs(b.s, stdout);
		heed_buf_free(&b);
		return EXIT_OK;
	}
	const char *cols[] = { "stage", "count", "reached", "conversion", "median_days" };
	heed_table *t = heed_table_new(cols, 5);
	for (int i = 0; i < HEED_NSTAGES; i++) {
		heed_table_str(t, heed_stage_names[i]);
		heed_table_int(t, f[i].count);
		heed_table_int(t, f[i].reached);
		heed_table_num(t, conv[i], 4);
		heed_table_num(t, f[i].median_days, 1);
	}
	heed_table_print(t, cli->fmt, stdout);
	heed_table_free(t);
	/* the summary in every human mode (json carries it as fields; csv is the table alone) */
	char pct[32] = "";
	if (!isnan(lead_to_won))
		snprintf(pct, sizeof pct, " (%.2f%%)", lead_to_won * 100);
	if (cli->fmt == HEED_FMT_TABLE || cli->fmt == HEED_FMT_MARKDOWN) {
		const char *gap = cli->fmt == HEED_FMT_MARKDOWN ? "\n" : ""; /* markdown: paragraphs */
		printf("%slead → won: %ld of %ld%s\n%s", gap, f[HEED_WON].reached, f[HEED_LEAD].reached, pct, gap);
		printf("forecast (open opportunities, value × probability): %.2f\n", forecast);
	} else if (cli->fmt == HEED_FMT_LINE) {
		printf("\nlead_to_won = %ld of %ld%s\n   forecast = %.2f (open opportunities, value × probability)\n",
		       f[HEED_WON].reached, f[HEED_LEAD].reached, pct, forecast);
	}
	return EXIT_OK;
}

/* ---- today ---- */

/* The suggested next step for one open contact; caller frees. */
static char *next_step(const heed_listrow *r, heed_time now)
{
	long idle = r->last_activity ? (long)heed_time_days(r->last_activity, now) : -1;
	if (strcmp(r->stage, "opportunity") == 0) {
		if (r->close_date) {
			long left = (long)heed_time_days(now, r->close_date);
			if (left < 0)
				return xasprintf("close date passed %ld days ago: confirm the timeline or mark won/lost", -left);
			if (left <= 14)
				return xasprintf("closes in %ld days: confirm the decision%s%s%s", left,
				                 r->decision_makers ? " (decided by: " : "",
				                 r->decision_makers ? r->decision_makers : "",
				                 r->decision_makers ? ")" : "");
		}
		if (heed_empty(r->decision_makers))
			return xstrdup("find who approves, how and by when");
		if (idle < 0 || idle > 7)
			return xasprintf("no touch for %s: follow up on the proposal",
			                 idle < 0 ? "ever" : "a week or more");
		return xstrdup("keep the deal moving: next step with the buyer");
	}
	if (!r->two_way)
		return xstrdup("book a discovery call");
	if (idle < 0 || idle > 5)
		return xasprintf("tailored follow-up (last touch %ld days ago)", idle < 0 ? 0 : idle);
	return xstrdup("look for buying intent: demo, pricing, timeline");
}

int cmd_today(heed_cli *cli, const cli_args *a)
{
	long limit = 20;
	const char *v = cli_opt(a, "--limit");
	int exit;
	if (v && (exit = parse_long("today", "--limit", v, &limit)) != EXIT_OK)
		return exit;
	if (!cli_store(cli))
		return EXIT_ERROR;
	static const struct {
		const char *stage, *order, *plural;
	} focus[] = { { "opportunity", "value", "opportunities" }, { "prospect", "score", "prospects" } };
	const char *cols[] = { "stage", "id", "name", "organisation", "score", "value", "next step" };
	heed_table *t = heed_table_new(cols, 7);
	heed_time now = heed_time_now();
	char *err = NULL;
	int rc = HEED_OK;
	long more[2] = { 0, 0 };
	for (int f = 0; f < 2 && rc == HEED_OK; f++) {
		heed_listq q = { focus[f].stage, NAN, focus[f].order, -1, limit ? limit + 1 : 0 };
		heed_listrow *rows;
		size_t n;
		if ((rc = heed_store_list(cli->store, &q, &rows, &n, &err)) != HEED_OK)
			break;
		if (limit && (long)n > limit) {
			more[f] = 1;
			n = (size_t)limit;
			heed_listrow_clear(&rows[limit]);
		}
		for (size_t i = 0; i < n; i++) {
			char *step = next_step(&rows[i], now);
			heed_table_str(t, rows[i].stage);
			heed_table_int(t, rows[i].id);
			heed_table_str(t, heed_empty(rows[i].name) ? rows[i].email : rows[i].name);
			heed_table_str(t, rows[i].org);
			heed_table_num(t, rows[i].score, 1);
			heed_table_num(t, rows[i].deal_value, 2);
			heed_table_str(t, step);
			free(step);
		}
		heed_listrows_free(rows, n);
	}
	if (rc != HEED_OK) {
		heed_table_free(t);
		return cli_fail(cli_exit(rc), err);
	}
	heed_table_print(t, cli->fmt, stdout);
	if (cli->fmt == HEED_FMT_TABLE) {
		for (int k = 0; k < 2; k++)
			if (more[k])
				printf("more %s than shown: heed today --limit 0, or heed list --stage %s --order %s\n",
				       focus[k].plural, focus[k].stage, focus[k].order);
		heed_funnel_stage f[1];
		const char *lead[] = { "lead" };
		int r0 = 0;
		double fc;
		if (heed_store_funnel(cli->store, lead, 1, &r0, f, 0, &fc, &err) == HEED_OK)
			printf("%ld leads are left to automation (nurture); see: heed list --stage lead --order score\n", f[0].count);
		free(err);
	}
	heed_table_free(t);
	return EXIT_OK;
}
