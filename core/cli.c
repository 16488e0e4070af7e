/* cli: the command table, argument parsing, dispatch and the commands that
 * write contacts (init, import, add, event). See cli.h. */
#include "cli.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "htime.h"
#include "json.h"
#include "stage.h"
#include "util.h"

int cmd_move(heed_cli *cli, const cli_args *a);
int cmd_why(heed_cli *cli, const cli_args *a);
static int cmd_init(heed_cli *cli, const cli_args *a);
static int cmd_add(heed_cli *cli, const cli_args *a);
static int cmd_event(heed_cli *cli, const cli_args *a);
static int cmd_help(heed_cli *cli, const cli_args *a);
static int cmd_test(heed_cli *cli, const cli_args *a);

/* Every command. options: space-separated; a trailing '=' takes a value. */
static const struct command {
	const char *name, *alias, *usage, *help, *options;
	int minpos, maxpos;
	int (*handler)(heed_cli *, const cli_args *);
} commands[] = {
	{ "init", NULL, "init", "create the store (or migrate it) and say where it is", "", 0, 0,
	  cmd_init },
	{ "import", NULL, "import FILE [--map PLUGIN | --col FIELD=HEADER…] [--plan] [--dry-run] [--skip-bad]"
	  " [--out FILE] [--reject FILE] [--on-match update|skip|fail] [--keep FIELD,…]"
	  " [--org-suffixes ignore|keep] [--delimiter C]"
	  " [--encoding utf-8|cp1252|latin-1|utf-16] [--format csv|json]",
	  "import a CSV through a plugin's map or plain columns; all-or-nothing unless --skip-bad",
	  "map= col= plan out= dry-run skip-bad reject= on-match= keep= org-suffixes= delimiter= encoding= format=", 1, 1, cmd_import },
	{ "add", NULL, "add field=value…",
	  "create a contact, or update the one with that email / external_id",
	  "", 1, 1000, cmd_add },
	{ "event", "ev", "event CONTACT KIND [field=value…] [--at TIME]",
	  "record an activity (call, reply, meeting, need, stakeholder, demo_request…)", "at=", 2,
	  1000, cmd_event },
	{ "show", NULL, "show CONTACT [--format F]",
	  "fields, score parts, stage history and timeline of one contact", "format=", 1, 1,
	  cmd_show },
	{ "list", "ls", "list [--stage S] [--min-score N] [--order FIELD] [--asc|--desc] [--limit N] [--format F]",
	  "list contacts", "stage= min-score= order= asc desc limit= format=", 0, 0, cmd_list },
	{ "score", NULL, "score CONTACT|--all [--format F]",
	  "run the scoring plugins and store the parts and their sum", "all format=", 0, 1,
	  cmd_score },
	{ "advance", "adv", "advance CONTACT|--all [--dry-run]",
	  "evaluate the criteria and move every contact that passes", "all dry-run", 0, 1,
	  cmd_advance },
	{ "move", "mv", "move CONTACT STAGE [--force --reason TEXT] [--at TIME]",
	  "move a contact to a stage by hand", "force reason= at=", 2, 2, cmd_move },
	{ "why", NULL, "why CONTACT [STAGE] [--format F]",
	  "every criterion for the next (or given) stage, passed or failed, with its reason",
	  "format=", 1, 2, cmd_why },
	{ "pipeline", "pipe", "pipeline [--format F]",
	  "per stage: count, conversion to the next stage, median days; and the forecast",
	  "format=", 0, 0, cmd_pipeline },
	{ "today", NULL, "today [--limit N] [--format F]",
	  "what sales should do today: opportunities first, then prospects", "limit= format=", 0,
	  0, cmd_today },
	{ "mail", NULL, "mail CONTACT|--stage S|--all TEMPLATE [--payload JSON] [--key KEY] [--send]",
	  "queue email from a plugin template (the send rules apply); --send hands it over now",
	  "stage= all payload= key= send", 1, 2, cmd_mail },
	{ "outbox", NULL, "outbox [--status S] [--requeue ID] [--send] [--limit N] [--format F]",
	  "queued, sent, failed and skipped email with the last error; --send delivers the due ones",
	  "status= requeue= send limit= format=", 0, 0, cmd_outbox },
	{ "config", NULL, "config [KEY [VALUE] | KEY --unset]",
	  "show or set the settings kept in the store: timezone and timezone.OWNER (IANA zones that"
	  " follow-ups read dates and clocks in) and the mail.* settings; without KEY, lists them",
	  "unset", 0, 2, cmd_config },
	{ "export", NULL, "export [--format csv|json] [--stage S] [--min-score N] [--where COLUMN=VALUE…] [--out FILE]",
	  "contacts as CSV (columns named after fields; imports back as it is) or JSON Lines",
	  "format= stage= min-score= where= out=", 0, 0, cmd_export },
	{ "dupes", NULL, "dupes [--format F]",
	  "likely duplicates: same email, same name at the same organisation, same phone (E.164)",
	  "format=", 0, 0, cmd_dupes },
	{ "merge", NULL, "merge KEEP OTHER",
	  "fold contact OTHER into KEEP in one transaction: activities, history, deal, the further stage",
	  "", 2, 2, cmd_merge },
	{ "demo", NULL, "demo", "build a demo store (heed-demo.db, or heed --db PATH demo), score, advance, report",
	  "", 0, 0, cmd_demo },
	{ "test", NULL, "test [PLUGIN]", "run the tests plugins carry (their `tests` table)", "", 0, 1,
	  cmd_test },
	{ "evaluate", NULL, "evaluate [CONTACT]",
	  "run the follow-up policies: add the follow-ups they ask for, cancel the ones they drop", "",
	  0, 1, cmd_evaluate },
	{ "due", NULL, "due [--until TIME] [--status S] [--limit N] [--format F]",
	  "follow-ups due by now (or TIME); --status lists every follow-up in that status",
	  "until= status= limit= format=", 0, 0, cmd_due },
	{ "run-due", NULL, "run-due [--batch N] [--lease SECONDS]",
	  "claim the due follow-ups and execute them (safe to run several at once)", "batch= lease=", 0,
	  0, cmd_run_due },
	{ "run", NULL, "run SCRIPT.lua", "run a follow-up script now, then the follow-ups due", "", 1, 1,
	  cmd_run },
	{ "daemon", NULL, "daemon [--interval SECONDS] [--evaluate-every SECONDS] [--scripts DIR]",
	  "evaluate, run scripts on their schedules and run due follow-ups until SIGTERM",
	  "interval= evaluate-every= scripts=", 0, 0, cmd_daemon },
	{ "plugins", NULL, "plugins [list | reload [NAME] | check FILE] [--format F]",
	  "list the plugins (version, api, file, load time, status, last error), reload them, or"
	  " check one file without a store", "format=", 0, 2, cmd_plugins },
	{ "help", NULL, "help [COMMAND]", "this help, or one command's", "", 0, 1, cmd_help },
	{ "repl", NULL, "repl [--keep-going] [--command|-c CHUNK]",
	  "the interactive shell (also: heed with no command; heed -c CHUNK runs one input)",
	  "keep-going command=/c", 0, 0, cmd_repl },
};

enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

void cli_print_error(const char *msg)
{
	const char *p = msg ? msg : "failed";
	do { /* one "heed: " per line: several plugins may have failed */
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stderr, "heed: %.*s\n", len, p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}

int cli_fail(int code, char *msg)
{
	cli_print_error(msg);
	free(msg);
	return code;
}

int cli_exit(int rc)
{
	if (rc == HEED_OK)
		return EXIT_OK;
	return rc == HEED_EUSAGE ? EXIT_USAGE : EXIT_ERROR;
}

const char *cli_opt(const cli_args *a, const char *name)
{
	for (int i = a->nopt - 1; i >= 0; i--)
		if (strcmp(a->optname[i], name) == 0)
			return a->optval[i] ? a->optval[i] : "";
	return NULL;
}

heed_store *cli_store(heed_cli *cli)
{
	if (cli->store)
		return cli->store;
	char *err = NULL;
	if (!cli->may_create && access(cli->db_path, F_OK) != 0) {
		cli_fail(EXIT_ERROR, xasprintf("no store at %s (create one with: heed init; --db or"
		                               " HEED_DB choose another)", cli->db_path));
		return NULL;
	}
	if (heed_store_open(cli->db_path, &cli->store, &err) != HEED_OK) {
		cli_fail(EXIT_ERROR, err);
		return NULL;
	}
	cli_wire_kv(cli);
	return cli->store;
}

heed_plugins *cli_plugins(heed_cli *cli)
{
	if (cli->plugins)
		return cli->plugins;
	char *err = NULL;
	cli->plugins = heed_plugins_open(cli->plugins_dir, &err);
	if (!cli->plugins) {
		cli_fail(EXIT_ERROR, err);
		return NULL;
	}
	for (size_t i = 0; i < heed_plugins_nerrors(cli->plugins); i++) {
		fprintf(stderr, "heed: %s\n", heed_plugins_error(cli->plugins, i));
		cli->failed = 1;
	}
	cli_wire_kv(cli);
	return cli->plugins;
}

int cli_contact(heed_cli *cli, const char *ref, int64_t *id)
{
	char *err = NULL;
	int rc = heed_store_resolve(cli->store, ref, id, &err);
	int64_t into = 0;
	char *end;
	long long num = strtoll(ref, &end, 10);
	if (rc == HEED_ENOTFOUND && *ref && !*end &&
	    heed_store_merged_into(cli->store, num, &into, NULL) == HEED_OK && into) {
		/* say where a merged contact went */
		char *more = xasprintf("%s (contact %lld was merged into %lld: heed show %lld)", err, num,
		                       (long long)into, (long long)into);
		free(err);
		err = more;
	}
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc) == EXIT_USAGE ? EXIT_USAGE : EXIT_ERROR, err);
	return EXIT_OK;
}

int cli_load(heed_cli *cli, const char *ref, unsigned flags, heed_contact *c)
{
	int64_t id;
	heed_contact_init(c);
	int exit = cli_contact(cli, ref, &id);
	if (exit != EXIT_OK)
		return exit;
	char *err = NULL;
	int rc = heed_store_load(cli->store, id, flags, c, &err);
	return rc == HEED_OK ? EXIT_OK : cli_fail(cli_exit(rc), err);
}

/* ---- parsing ---- */

/* The command's options are words "name", "name=" (takes a value) or either
 * with "/x", a one-letter alias (-x). Finds the option called name, or the one
 * whose alias is name[0] when shortcut is set; OUT: *takes_value, *full. */
static int option_lookup(const struct command *c, const char *name, int shortcut, int *takes_value,
                         const char **full, size_t *full_len)
{
	size_t n = strlen(name);
	const char *p = c->options;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ' ')
			e++;
		const char *slash = memchr(p, '/', (size_t)(e - p));
		size_t len = (size_t)((slash ? slash : e) - p);
		int val = len && p[len - 1] == '=';
		size_t nlen = val ? len - 1 : len;
		if (shortcut ? slash && slash + 2 == e && slash[1] == name[0] && n == 1
		             : nlen == n && strncmp(p, name, n) == 0) {
			*takes_value = val;
			*full = p;
			*full_len = nlen;
			return 1;
		}
		p = e;
	}
	return 0;
}

static int option_known(const struct command *c, const char *name, int *takes_value)
{
	const char *full;
	size_t len;
	return option_lookup(c, name, 0, takes_value, &full, &len);
}

static void args_free(cli_args *a)
{
	free(a->pos);
	free(a->optname);
	free(a->optval);
	for (int i = 0; i < a->nspelled; i++)
		free(a->spelled[i]);
	free(a->spelled);
}

static int parse_args(const struct command *c, int argc, char **argv, cli_args *a)
{
	memset(a, 0, sizeof *a);
	a->pos = xcalloc((size_t)argc + 1, sizeof *a->pos);
	a->optname = xcalloc((size_t)argc + 1, sizeof *a->optname);
	a->optval = xcalloc((size_t)argc + 1, sizeof *a->optval);
	a->spelled = xcalloc((size_t)argc + 1, sizeof *a->spelled);
	int rest = 0;
	for (int i = 0; i < argc; i++) {
		char *arg = argv[i];
		const char *full;
		size_t flen;
		int short_takes;
		if (!rest && arg[0] == '-' && arg[1] && arg[1] != '-' && !arg[2] &&
		    option_lookup(c, arg + 1, 1, &short_takes, &full, &flen)) {
			arg = a->spelled[a->nspelled++] = xasprintf("--%.*s", (int)flen, full); /* -c → --command */
		}
		if (rest || strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (!rest && strcmp(arg, "--") == 0) {
				rest = 1;
				continue;
			}
			a->pos[a->npos++] = arg;
			continue;
		}
		char *name = arg + 2, *eq = strchr(name, '=');
		char namebuf[64];
		snprintf(namebuf, sizeof namebuf, "%.*s", eq ? (int)(eq - name) : (int)strlen(name), name);
		int takes = 0;
		if (!option_known(c, namebuf, &takes)) {
			if (strcmp(namebuf, "db") == 0 || strcmp(namebuf, "plugins") == 0)
				fprintf(stderr, "heed: %s: --%s is an option of heed itself: put it before the command"
				                " (heed --%s %s %s …)\n", c->name, namebuf, namebuf,
				        strcmp(namebuf, "db") == 0 ? "PATH" : "DIR", c->name);
			else
				fprintf(stderr, "heed: %s: unknown option --%s\nusage: heed %s\n", c->name, namebuf,
				        c->usage);
			return EXIT_USAGE;
		}
		a->optname[a->nopt] = arg;
		if (eq)
			*eq = '\0'; /* argv is ours to cut: "--stage=lead" → "--stage", "lead" */
		if (takes) {
			if (eq)
				a->optval[a->nopt] = eq + 1;
			else if (i + 1 < argc)
				a->optval[a->nopt] = argv[++i];
			else {
				fprintf(stderr, "heed: %s: --%s needs a value\nusage: heed %s\n", c->name, namebuf, c->usage);
				return EXIT_USAGE;
			}
		} else if (eq) {
			fprintf(stderr, "heed: %s: --%s takes no value\n", c->name, namebuf);
			return EXIT_USAGE;
		}
		a->nopt++;
	}
	for (int k = c->maxpos; k < a->npos; k++) /* an argument too many that looks like an option */
		if (a->pos[k][0] == '-' && a->pos[k][1]) {
			fprintf(stderr, "heed: %s: unknown option %s\nusage: heed %s\n", c->name, a->pos[k], c->usage);
			return EXIT_USAGE;
		}
	if (a->npos < c->minpos || a->npos > c->maxpos) {
		fprintf(stderr, "heed: %s: %s\nusage: heed %s\n", c->name,
		        a->npos < c->minpos ? "missing arguments" : "too many arguments", c->usage);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const struct command *find_command(const char *name, int *ambiguous)
{
	const struct command *hit = NULL;
	size_t n = strlen(name);
	*ambiguous = 0;
	for (int i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0 || heed_streq(commands[i].alias, name))
			return &commands[i];
	for (int i = 0; i < NCOMMANDS && n; i++) {
		if (strncmp(commands[i].name, name, n) == 0) {
			if (hit)
				*ambiguous = 1;
			hit = &commands[i];
		}
	}
	return *ambiguous ? NULL : hit;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: heed [--db PATH] [--plugins DIR] [--format table|json|csv] COMMAND …\n"
	             "       heed [--db PATH] [--plugins DIR] [-c INPUT]   (the REPL; see repl)\n\n"
	             "commands:\n");
	for (int i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nCONTACT is an id, an email or an external id. The store is --db, $HEED_DB or"
	             " ./heed.db;\nplugins come from --plugins, $HEED_PLUGINS or ./plugins."
	             " HEED_NOW fixes \"now\" (ISO 8601).\n");
}

static int cmd_help(heed_cli *cli, const cli_args *a)
{
	(void)cli;
	if (a->npos == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	int amb;
	const struct command *c = find_command(a->pos[0], &amb);
	if (!c)
		return cli_fail(EXIT_USAGE, xasprintf("help: no command '%s'", a->pos[0]));
	printf("usage: heed %s\n  %s\n", c->usage, c->help);
	if (c->alias)
		printf("  alias: %s\n", c->alias);
	return EXIT_OK;
}

static int cmd_test(heed_cli *cli, const cli_args *a)
{
	if (!cli_plugins(cli))
		return EXIT_ERROR;
	int passed, failed;
	const char *only = a->npos ? a->pos[0] : NULL;
	if (heed_plugins_test(cli->plugins, only, stdout, &passed, &failed) != HEED_OK)
		return cli_fail(EXIT_ERROR, xasprintf("test: no plugin '%s' in %s", only, cli->plugins_dir));
	printf("plugins: %d passed, %d failed\n", passed, failed);
	return failed ? EXIT_ERROR : EXIT_OK;
}

/* ---- writing commands ---- */

static int cmd_init(heed_cli *cli, const cli_args *a)
{
	(void)a;
	heed_store *s = cli_store(cli);
	if (!s)
		return EXIT_ERROR;
	printf("store %s ready (schema version %d)\n", cli->db_path, heed_store_version(s));
	return EXIT_OK;
}


/* Split "name=value"; returns 0 if there is no '=' or the name is empty. */
static int split_kv(char *arg, char **name, char **value)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return 0;
	*eq = '\0';
	*name = arg;
	*value = eq + 1;
	return 1;
}

/* The contact fields `add` understands, with friendly aliases. */
static const struct alias {
	const char *alias, *field;
} field_aliases[] = {
	{ "company", "org.name" }, { "organisation", "org.name" }, { "organization", "org.name" },
	{ "industry", "org.industry" }, { "employees", "org.employees" }, { "country", "org.country" },
	{ "domain", "org.domain" }, { "value", "deal.value" }, { "currency", "deal.currency" },
	{ "close_date", "deal.close_date" }, { "decision_makers", "deal.decision_makers" },
	{ "probability", "deal.probability" }, { "need", "attrs.need" },
	{ "challenge", "attrs.challenge" }, { "authority", "attrs.authority" },
};

static const char *const add_fields[] = {
	"email", "external_id", "source", "first_name", "last_name", "title", "phone", "owner",
	"do_not_contact", "org.name", "org.domain", "org.industry", "org.employees", "org.country",
	"deal.value", "deal.currency", "deal.close_date", "deal.decision_makers", "deal.probability",
	NULL,
};

static const char *canonical_field(const char *name)
{
	for (size_t i = 0; i < sizeof field_aliases / sizeof field_aliases[0]; i++)
		if (strcmp(name, field_aliases[i].alias) == 0)
			return field_aliases[i].field;
	for (int i = 0; add_fields[i]; i++)
		if (strcmp(name, add_fields[i]) == 0)
			return add_fields[i];
	if (strncmp(name, "attrs.", 6) == 0 && name[6])
		return name;
	return NULL;
}

static int set_add_field(heed_contact *c, heed_buf *attrs, const char *f, const char *v, char **err)
{
	char *end;
	if (strcmp(f, "email") == 0) {
		free(c->email);
		if (!(c->email = heed_email_norm(v)))
			return heed_seterr(err, "add: email '%s' is not an address", v), HEED_EUSAGE;
	} else if (strncmp(f, "attrs.", 6) == 0) {
		heed_buf_adds(attrs, attrs->len ? "," : "");
		heed_json_str(attrs, f + 6);
		heed_buf_addc(attrs, ':');
		heed_json_str(attrs, v);
	} else if (strcmp(f, "do_not_contact") == 0) {
		static const char *const yes[] = { "1", "yes", "y", "true", "t" }, *const no[] = { "0", "no", "n", "false", "f" };
		int val = -1;
		for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
			if (strcasecmp(v, yes[i]) == 0)
				val = 1;
			if (strcasecmp(v, no[i]) == 0)
				val = 0;
		}
		if (val < 0)
			return heed_seterr(err, "add: do_not_contact '%s' is not yes or no", v), HEED_EUSAGE;
		c->do_not_contact = val;
	} else if (strcmp(f, "org.employees") == 0) {
		long long n = strtoll(v, &end, 10);
		if (*end || n < 0)
			return heed_seterr(err, "add: org.employees '%s' is not a whole number", v), HEED_EUSAGE;
		c->org.employees = n;
	} else if (strcmp(f, "deal.value") == 0 || strcmp(f, "deal.probability") == 0) {
		double d = strtod(v, &end);
		int pct = *end == '%' && end[1] == '\0';
		if (end == v || (*end && !pct) || !isfinite(d))
			return heed_seterr(err, "add: %s '%s' is not a number", f, v), HEED_EUSAGE;
		if (f[5] == 'v') {
			if (d < 0)
				return heed_seterr(err, "add: deal.value '%s' is negative", v), HEED_EUSAGE;
			c->deal.value = d;
		} else {
			if (pct)
				d /= 100;
			if (d < 0 || d > 1)
				return heed_seterr(err, "add: deal.probability '%s' is neither a fraction (0.8) nor"
				                        " a percentage (80%%)", v), HEED_EUSAGE;
			c->deal.probability = d;
			c->deal.probability_user = 1;
		}
		c->deal.present = 1;
	} else if (strcmp(f, "deal.close_date") == 0) {
		if (heed_time_parse(v, &c->deal.close_date) != HEED_OK)
			return heed_seterr(err, "add: deal.close_date '%s' is not an ISO 8601 date", v), HEED_EUSAGE;
		c->deal.present = 1;
	} else {
		char **dst = NULL;
		if (strcmp(f, "external_id") == 0) dst = &c->external_id;
		else if (strcmp(f, "source") == 0) dst = &c->source;
		else if (strcmp(f, "first_name") == 0) dst = &c->first_name;
		else if (strcmp(f, "last_name") == 0) dst = &c->last_name;
		else if (strcmp(f, "title") == 0) dst = &c->title;
		else if (strcmp(f, "phone") == 0) dst = &c->phone;
		else if (strcmp(f, "owner") == 0) dst = &c->owner;
		else if (strcmp(f, "org.name") == 0) dst = &c->org.name;
		else if (strcmp(f, "org.domain") == 0) dst = &c->org.domain;
		else if (strcmp(f, "org.industry") == 0) dst = &c->org.industry;
		else if (strcmp(f, "org.country") == 0) dst = &c->org.country;
		else if (strcmp(f, "deal.currency") == 0) dst = &c->deal.currency, c->deal.present = 1;
		else if (strcmp(f, "deal.decision_makers") == 0) dst = &c->deal.decision_makers, c->deal.present = 1;
		if (!dst)
			return heed_seterr(err, "add: unknown field '%s'", f), HEED_EUSAGE;
		free(*dst);
		*dst = xstrdup(v);
	}
	return HEED_OK;
}

/* Read add's field=value arguments into c and attrs (JSON members). */
static int add_args(const cli_args *a, heed_contact *c, heed_buf *attrs, char **err)
{
	int rc = HEED_OK;
	for (int i = 0; i < a->npos && rc == HEED_OK; i++) {
		char *name, *value;
		if (!split_kv(a->pos[i], &name, &value)) {
			heed_seterr(err, "add: '%s' is not field=value", a->pos[i]);
			return HEED_EUSAGE;
		}
		const char *f = canonical_field(name);
		size_t bad;
		if (!heed_utf8_valid(value, strlen(value), &bad)) {
			/* it would be stored as it is, and the export of it could not be imported */
			heed_seterr(err, "add: the value of %s is not valid UTF-8 (byte %zu)", name, bad + 1);
			rc = HEED_EUSAGE;
		} else if (!f) {
			heed_seterr(err, "add: unknown field '%s' (fields: email, first_name, last_name, title,"
			                 " phone, owner, company, industry, employees, country, value,"
			                 " close_date, decision_makers, probability, need, attrs.KEY…)", name);
			rc = HEED_EUSAGE;
		} else if (value[0]) {
			rc = set_add_field(c, attrs, f, value, err);
		}
	}
	if (rc == HEED_OK && !c->email && !c->external_id && !c->first_name && !c->last_name) {
		heed_seterr(err, "add: give at least an email, an external_id or a name");
		rc = HEED_EUSAGE;
	}
	return rc;
}

/* Store c (new, or merged into the contact its email / external id names),
 * its organisation facts and deal, in one transaction. OUT: *id, *changed. */
static int add_store(heed_store *s, heed_contact *c, int64_t *id, int *changed, char **err)
{
	heed_time now = heed_time_now();
	int org_facts = c->org.industry || c->org.domain || c->org.country || c->org.employees >= 0;
	int rc = heed_store_begin(s, err);
	if (rc != HEED_OK)
		return rc;
	rc = heed_store_find(s, c->source, c->external_id, c->email, id, err);
	if (rc == HEED_OK && org_facts && !c->org.name) {
		/* facts without a name are about the contact's own organisation */
		heed_contact cur;
		heed_contact_init(&cur);
		if (*id && (rc = heed_store_load(s, *id, 0, &cur, err)) == HEED_OK && cur.org.id)
			c->org.name = xstrdup(cur.org.name);
		heed_contact_clear(&cur);
		if (rc == HEED_OK && !c->org.name) {
			heed_seterr(err, "add: organisation facts need company=NAME (this contact has no"
			                 " organisation yet)");
			rc = HEED_EUSAGE;
		}
	}
	if (rc == HEED_OK)
		rc = heed_store_org_ensure(s, &c->org, err);
	if (rc == HEED_OK && org_facts && c->org.id) {
		int org_changed = 0;
		rc = heed_store_org_set(s, &c->org, &org_changed, err);
		*changed += org_changed;
	}
	if (rc == HEED_OK && *id) {
		int n = 0;
		rc = heed_store_merge(s, *id, c, now, &n, err);
		*changed += n;
	} else if (rc == HEED_OK) {
		strcpy(c->stage, "lead");
		c->created_at = c->updated_at = c->stage_changed_at = now;
		rc = heed_store_insert(s, c, err);
		*id = c->id;
	}
	if (rc == HEED_OK && c->deal.present) {
		rc = heed_store_set_deal(s, *id, &c->deal, err);
		(*changed)++;
	}
	if (rc == HEED_OK)
		return heed_store_commit(s, err);
	heed_store_rollback(s);
	return rc;
}

/* A fact changed: the contact's score follows it, as after a merge. The
 * command did its job either way: when a plugin fails (or did not load) the
 * change stays stored, a warning says how to retry, and the exit status is
 * the command's own. */
static void rescore_after(heed_cli *cli, const char *cmd, const char *kept, int64_t id)
{
	int failed = cli->failed;
	cli->failed = 0;
	if (cli_rescore(cli, id) != EXIT_OK)
		fprintf(stderr, "heed: warning: %s: %s, but its score was not recomputed (see above);"
		                " heed score %lld retries\n", cmd, kept, (long long)id);
	else if (cli->failed)
		fprintf(stderr, "heed: warning: %s: %s; its score was recomputed without the parts of the"
		                " plugin that failed (see above)\n", cmd, kept);
	cli->failed = failed;
}

/* An external_id given without source= means the contact that already has
 * it, whatever its source (as CONTACT does); a new one's source is "manual".
 * Refused when several sources use that external id. */
static int add_source(heed_store *s, heed_contact *c, char **err)
{
	char *ref = xasprintf("ext:%s", c->external_id);
	int64_t id = 0;
	char *why = NULL;
	int rc = heed_store_resolve(s, ref, &id, &why);
	free(ref);
	if (rc == HEED_EUSAGE) {
		heed_seterr(err, "add: external_id '%s' is used by contacts of several sources;"
		                 " say which with source=NAME", c->external_id);
	} else if (rc == HEED_OK && id) {
		heed_contact cur;
		heed_contact_init(&cur);
		rc = heed_store_load(s, id, HEED_LOAD_BARE, &cur, err);
		c->source = xstrdup(rc == HEED_OK && cur.source ? cur.source : "manual");
		heed_contact_clear(&cur);
	} else if (rc == HEED_OK || rc == HEED_ENOTFOUND) {
		c->source = xstrdup("manual");
		rc = HEED_OK;
	} else {
		heed_seterr(err, "%s", why ? why : "add: external id lookup failed");
	}
	free(why);
	return rc;
}

static int cmd_add(heed_cli *cli, const cli_args *a)
{
	heed_contact c;
	heed_contact_init(&c);
	heed_buf attrs = { 0 };
	char *err = NULL;
	int exit = EXIT_OK, changed = 0;
	int64_t id = 0;
	int rc = add_args(a, &c, &attrs, &err);
	if (rc != HEED_OK)
		goto done;
	if (!cli_store(cli)) {
		exit = EXIT_ERROR;
		goto done;
	}
	if (attrs.len) {
		heed_buf obj = { 0 };
		heed_buf_addf(&obj, "{%s}", attrs.s);
		c.attrs = heed_buf_detach(&obj);
	}
	if (c.external_id && !c.source && (rc = add_source(cli->store, &c, &err)) != HEED_OK)
		goto done;
	rc = add_store(cli->store, &c, &id, &changed, &err);
	if (rc == HEED_OK) {
		if (c.id)
			printf("created contact %lld\n", (long long)id);
		else if (changed == 0)
			printf("contact %lld unchanged (it already had these values)\n", (long long)id);
		else
			printf("updated contact %lld (%d field%s changed)\n", (long long)id, changed,
			       changed == 1 ? "" : "s");
		if (c.id || changed)
			rescore_after(cli, "add", "the contact is stored", id);
	}
done:
	heed_contact_clear(&c);
	heed_buf_free(&attrs);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	return exit;
}

/* A JSON value for an event field: true/false/null and plain numbers keep their type. */
static void event_value(heed_buf *b, const char *v)
{
	char *end;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 || strcmp(v, "null") == 0) {
		heed_buf_adds(b, v);
		return;
	}
	double d = strtod(v, &end);
	if (*v && !*end && isfinite(d) && !isspace((unsigned char)*v) && v[0] != '+' &&
	    !(v[0] == '0' && isdigit((unsigned char)v[1])))
		heed_json_num(b, d);
	else
		heed_json_str(b, v);
}

static int cmd_event(heed_cli *cli, const cli_args *a)
{
	const char *kind = a->pos[1];
	if (!*kind)
		return cli_fail(EXIT_USAGE, xasprintf("event: the kind is empty (e.g. call, reply, demo_request)"));
	for (const char *p = kind; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			return cli_fail(EXIT_USAGE, xasprintf("event: kind '%s' must be lower-case letters,"
			                                      " digits and _ (e.g. call, reply, demo_request)", kind));
	heed_time at = heed_time_now();
	const char *ats = cli_opt(a, "--at");
	if (ats && heed_time_parse(ats, &at) != HEED_OK)
		return cli_fail(EXIT_USAGE, xasprintf("event: --at '%s' is not an ISO 8601 time"
		                                      " (e.g. 2026-12-01 or 2026-12-01T09:30:00Z)", ats));
	if (at > heed_time_now() + 3600) /* an hour's grace for clocks and time zones */
		return cli_fail(EXIT_USAGE, xasprintf("event: --at %s is in the future; record what"
		                                      " happened (a planned meeting is recorded when it is held)", ats));
	heed_buf data = { 0 };
	heed_buf_addc(&data, '{');
	for (int i = 2; i < a->npos; i++) {
		char *name, *value;
		if (!split_kv(a->pos[i], &name, &value)) {
			heed_buf_free(&data);
			return cli_fail(EXIT_USAGE, xasprintf("event: '%s' is not field=value", a->pos[i]));
		}
		size_t bad;
		if (!heed_utf8_valid(name, strlen(name), &bad) || !heed_utf8_valid(value, strlen(value), &bad)) {
			heed_buf_free(&data);
			return cli_fail(EXIT_USAGE, xasprintf("event: the value of %s is not valid UTF-8"
			                                      " (byte %zu)", name, bad + 1));
		}
		if (data.len > 1)
			heed_buf_addc(&data, ',');
		heed_json_str(&data, name);
		heed_buf_addc(&data, ':');
		event_value(&data, value);
	}
	heed_buf_addc(&data, '}');
	int64_t id;
	int exit = EXIT_ERROR;
	char *err = NULL;
	if (!cli_store(cli) || (exit = cli_contact(cli, a->pos[0], &id)) != EXIT_OK)
		goto done;
	int rc = heed_store_add_activity(cli->store, id, kind, at, data.len > 2 ? data.s : NULL, &err);
	if (rc != HEED_OK) {
		exit = cli_fail(cli_exit(rc), err);
		goto done;
	}
	char when[24];
	heed_time_format(at, when);
	printf("recorded %s for contact %lld at %s\n", kind, (long long)id, when);
	cli_followup_event(cli, id);
	rescore_after(cli, "event", "the event is recorded", id);
	exit = EXIT_OK;
done:
	heed_buf_free(&data);
	return exit;
}

/* ---- dispatch ---- */

static const char *default_plugins(void)
{
	const char *env = getenv("HEED_PLUGINS");
	if (!heed_empty(env))
		return env;
	if (access("plugins", R_OK | X_OK) == 0)
		return "plugins";
#ifdef HEED_DEFAULT_PLUGINS
	return HEED_DEFAULT_PLUGINS;
#else
	return "plugins";
#endif
}

int cli_command_info(size_t i, cli_cmd_info *out)
{
	if (i >= NCOMMANDS)
		return 0;
	*out = (cli_cmd_info){ commands[i].name, commands[i].alias, commands[i].usage, commands[i].help,
	                       commands[i].options };
	return 1;
}

static int unknown_command(const char *name, int amb)
{
	if (amb) {
		heed_buf b = { 0 };
		for (int k = 0; k < NCOMMANDS; k++)
			if (strncmp(commands[k].name, name, strlen(name)) == 0)
				heed_buf_addf(&b, "%s%s", b.len ? ", " : "", commands[k].name);
		char *m = xasprintf("'%s' is ambiguous: %s", name, b.s);
		heed_buf_free(&b);
		return cli_fail(EXIT_USAGE, m);
	}
	return cli_fail(EXIT_USAGE, xasprintf("unknown command '%s' (try: heed help)", name));
}

int cli_run(heed_cli *cli, int argc, char **argv)
{
	int amb;
	const struct command *c = find_command(argv[0], &amb);
	if (!c)
		return unknown_command(argv[0], amb);
	/* only these commands may create a store: a typo in --db is not a new store */
	static const char *const creators[] = { "init", "import", "add", "demo", NULL };
	cli->may_create = 0;
	for (int k = 0; creators[k]; k++)
		cli->may_create |= strcmp(c->name, creators[k]) == 0;
	cli_args a;
	heed_format saved = cli->fmt;
	char *err = NULL;
	int exit = parse_args(c, argc - 1, argv + 1, &a);
	if (exit == EXIT_OK) {
		const char *f = cli_opt(&a, "--format");
		if (f && heed_format_parse(f, &cli->fmt, &err) != HEED_OK)
			exit = cli_fail(EXIT_USAGE, err);
		else
			exit = c->handler(cli, &a);
	}
	if (cli_kv_flush(cli) != EXIT_OK && exit == EXIT_OK)
		exit = EXIT_ERROR;
	cli->fmt = saved;
	args_free(&a);
	return exit;
}

int heed_cli_main(int argc, char **argv)
{
	heed_cli cli = { 0 };
	const char *env = getenv("HEED_DB");
	cli.db_path = heed_empty(env) ? "heed.db" : env;
	cli.plugins_dir = default_plugins();
	const char *fmt = NULL, *chunk = NULL;
	char *err = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];
		const char **dst = strcmp(o, "--db") == 0        ? &cli.db_path
		                   : strcmp(o, "--plugins") == 0 ? &cli.plugins_dir
		                   : strcmp(o, "--format") == 0  ? &fmt
		                   : strcmp(o, "-c") == 0        ? &chunk
		                                                 : NULL;
		if (strcmp(o, "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!dst)
			return cli_fail(EXIT_USAGE, xasprintf("unknown option '%s' (try: heed help)", o));
		cli.db_given |= dst == &cli.db_path;
		if (i + 1 >= argc)
			return cli_fail(EXIT_USAGE, xasprintf("%s needs a value", o));
		*dst = argv[++i];
		if (!**dst && dst != &chunk)
			return cli_fail(EXIT_USAGE, xasprintf("%s is empty", o));
	}
	if (heed_time_init(&err) != HEED_OK)
		return cli_fail(EXIT_USAGE, err);
	if (fmt && heed_format_parse(fmt, &cli.fmt, &err) != HEED_OK)
		return cli_fail(EXIT_USAGE, err);
	/* no command: the REPL (on a terminal) or commands read from stdin */
	char *repl_argv[] = { "repl", "--command", (char *)chunk, NULL };
	int exit;
	if (chunk && i < argc)
		exit = cli_fail(EXIT_USAGE, xasprintf("-c takes the input to run; give no command after it"));
	else if (i >= argc)
		exit = cli_run(&cli, chunk ? 3 : 1, repl_argv);
	else
		exit = cli_run(&cli, argc - i, argv + i);
	if (exit == EXIT_OK && cli.failed)
		exit = EXIT_ERROR;
	heed_plugins_close(cli.plugins);
	heed_store_close(cli.store);
	return exit;
}
