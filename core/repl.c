/* repl: heed's interactive shell. A session reads lines; a line starting
 * with '.' is a dot-command, anything else is Lua (continued over lines until
 * the chunk is complete). Dot-commands are the CLI's command table (run by
 * cli_run on the session's open store and plugins) plus the REPL's own table
 * below; a unique prefix of either works. Non-interactive input (a pipe, a
 * file, -c) has no prompts or colours and stops at the first error, naming
 * its line, unless --keep-going. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "repl_int.h"
#include "util.h"

static int r_export(repl *r, int argc, char **argv);
static int r_find(repl *r, int argc, char **argv);
static int r_help(repl *r, int argc, char **argv);
static int r_mode(repl *r, int argc, char **argv);
static int r_quit(repl *r, int argc, char **argv);
static int r_reload(repl *r, int argc, char **argv);
static int r_sql(repl *r, int argc, char **argv);
static int r_timer(repl *r, int argc, char **argv);

/* The REPL's own commands; the CLI's come from its table (cli_command_info). */
static const struct rcmd {
	const char *name, *alias, *usage, *help, *example;
	int (*fn)(repl *r, int argc, char **argv);
} rcmds[] = {
	{ "export", NULL, "export FILE [--stage S] [--min-score N] [--where FIELD=VALUE…]",
	  "`export --out FILE`: contacts as CSV that imports back (JSON Lines in json mode)",
	  ".export prospects.csv --stage prospect", r_export },
	{ "find", NULL, "find [stage=S] [min-score=N] [order=FIELD] [limit=N]",
	  "the top contacts (20, by score) matching the filters: `list` with key=value",
	  ".find stage=prospect min-score=50", r_find },
	{ "help", NULL, "help [COMMAND]", "the commands, or one command's usage and an example",
	  ".help find", r_help },
	{ "mode", NULL, "mode [table|csv|json|line|markdown]",
	  "how results are printed (without a mode: the current one)", ".mode markdown", r_mode },
	{ "quit", "exit", "quit", "leave the REPL (Ctrl-D does too)", ".quit", r_quit },
	{ "reload", NULL, "reload [PLUGIN]",
	  "load what changed in the plugin folder now (the REPL also does before each command)",
	  ".reload score", r_reload },
	{ "sql", NULL, "sql SELECT …", "a read-only query, on a read-only connection to the store",
	  ".sql SELECT stage, count(*) FROM contacts GROUP BY stage", r_sql },
	{ "timer", NULL, "timer on|off", "show how long each command took", ".timer on", r_timer },
};
enum { NRCMDS = sizeof rcmds / sizeof rcmds[0] };

static const char *usage_of(const char *name)
{
	for (int i = 0; i < NRCMDS; i++)
		if (strcmp(rcmds[i].name, name) == 0)
			return rcmds[i].usage;
	return name;
}

/* CLI commands the REPL leaves out: it is already a REPL, and demo builds a store of its own. */
/* export: the REPL's own .export FILE runs it as export --out FILE */
static const char *const not_in_repl[] = { "repl", "demo", "help", "export", NULL };

/* Examples for the CLI's commands in `.help COMMAND`. */
static const struct example {
	const char *name, *text;
} examples[] = {
	{ "add", ".add email=ann@nordlicht.example first_name=Ann company=\"Nordlicht GmbH\"" },
	{ "advance", ".advance ann@nordlicht.example" },
	{ "event", ".event ann@nordlicht.example reply --at 2026-11-24" },
	{ "import", ".import leads.csv --map generic --dry-run" },
	{ "init", ".init" },
	{ "list", ".list --stage prospect --order score --limit 10" },
	{ "move", ".move ann@nordlicht.example won --force --reason \"signed at the fair\"" },
	{ "pipeline", ".pipeline" },
	{ "score", ".score ann@nordlicht.example" },
	{ "show", ".show ann@nordlicht.example" },
	{ "test", ".test qualify" },
	{ "today", ".today --limit 10" },
	{ "why", ".why ann@nordlicht.example" },
};

static int cli_in_repl(const cli_cmd_info *ci)
{
	for (int i = 0; not_in_repl[i]; i++)
		if (strcmp(ci->name, not_in_repl[i]) == 0)
			return 0;
	return 1;
}

/* Is our command i shadowed by a CLI command of the same name? The CLI's wins:
 * where the two overlap there is one table. */
static int shadowed(int i)
{
	cli_cmd_info ci;
	for (size_t k = 0; cli_command_info(k, &ci); k++)
		if (cli_in_repl(&ci) && strcmp(ci.name, rcmds[i].name) == 0)
			return 1;
	return 0;
}

void repl_each_command(void (*fn)(void *ud, const char *name), void *ud)
{
	for (int i = 0; i < NRCMDS; i++)
		if (!shadowed(i))
			fn(ud, rcmds[i].name);
	cli_cmd_info ci;
	for (size_t i = 0; cli_command_info(i, &ci); i++)
		if (cli_in_repl(&ci))
			fn(ud, ci.name);
}

/* A resolved command: one of ours, or a CLI command by name. */
typedef struct found {
	const struct rcmd *own;
	const char *cli;
} found;

static int usage_error(repl *r, char *msg)
{
	repl_output_error(r, msg);
	free(msg);
	return EXIT_USAGE;
}

static int resolve(repl *r, const char *word, found *f)
{
	cli_cmd_info ci;
	memset(f, 0, sizeof *f);
	for (int i = 0; i < NRCMDS; i++)
		if (!shadowed(i) && (strcmp(rcmds[i].name, word) == 0 || heed_streq(rcmds[i].alias, word)))
			return f->own = &rcmds[i], EXIT_OK;
	for (size_t i = 0; cli_command_info(i, &ci); i++)
		if (cli_in_repl(&ci) && (strcmp(ci.name, word) == 0 || heed_streq(ci.alias, word)))
			return f->cli = ci.name, EXIT_OK;
	heed_buf names = { 0 };
	int hits = 0;
	size_t n = strlen(word);
	for (int i = 0; i < NRCMDS; i++)
		if (!shadowed(i) && strncmp(rcmds[i].name, word, n) == 0) {
			heed_buf_addf(&names, "%s.%s", hits++ ? ", " : "", rcmds[i].name);
			f->own = &rcmds[i];
		}
	for (size_t i = 0; cli_command_info(i, &ci); i++)
		if (cli_in_repl(&ci) && strncmp(ci.name, word, n) == 0) {
			heed_buf_addf(&names, "%s.%s", hits++ ? ", " : "", ci.name);
			f->cli = ci.name;
		}
	int rc = EXIT_OK;
	if (hits == 0)
		rc = usage_error(r, xasprintf("unknown command '.%s' (try: .help)", word));
	else if (hits > 1)
		rc = usage_error(r, xasprintf("'.%s' is ambiguous: %s", word, names.s));
	heed_buf_free(&names);
	return rc;
}

/* Split line into words in place: spaces separate, quotes group, backslash
 * escapes. OUT: argv (caller frees the array). Returns the count, or -1 on
 * an unclosed quote. */
static int split_words(char *line, char ***argv)
{
	size_t cap = 8;
	int n = 0;
	*argv = xcalloc(cap, sizeof **argv);
	char *in = line, *out = line;
	for (;;) {
		while (isspace((unsigned char)*in))
			in++;
		if (!*in)
			break;
		char quote = 0, *word = out;
		for (; *in && (quote || !isspace((unsigned char)*in)); in++) {
			if (quote && *in == quote)
				quote = 0;
			else if (!quote && (*in == '"' || *in == '\''))
				quote = *in;
			else if (*in == '\\' && in[1] && quote != '\'')
				*out++ = *++in;
			else
				*out++ = *in;
		}
		if (quote)
			return -1;
		if (*in)
			in++;
		*out++ = '\0';
		if ((size_t)n + 2 > cap)
			*argv = xrealloc(*argv, (cap *= 2) * sizeof **argv);
		(*argv)[n++] = word;
		(*argv)[n] = NULL;
	}
	return n;
}

int repl_dot(repl *r, char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	size_t wl = strcspn(line, " \t");
	char *word = xstrndup(line, wl);
	found f;
	int exit = resolve(r, word, &f);
	free(word);
	if (exit != EXIT_OK)
		return exit;
	if (f.own && f.own->fn == r_sql) { /* SQL keeps its own quoting */
		char *sql = line + wl;
		char *argv[] = { "sql", heed_trim(sql), NULL };
		return r_sql(r, 2, argv);
	}
	char **argv;
	int argc = split_words(line, &argv);
	if (argc < 0)
		exit = usage_error(r, xasprintf("a quote is not closed"));
	else if (f.own)
		exit = f.own->fn(r, argc, argv);
	else {
		argv[0] = (char *)f.cli;
		exit = cli_run(r->cli, argc, argv);
		if (exit == EXIT_OK && r->cli->failed)
			exit = EXIT_ERROR;
	}
	free(argv);
	return exit;
}

/* ---- the REPL's commands ---- */

static int r_find(repl *r, int argc, char **argv)
{
	char **v = xcalloc((size_t)argc + 6, sizeof *v);
	char *owned[64];
	int n = 0, nown = 0, order = 0, limit = 0, exit;
	v[n++] = "list";
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0) {
			v[n++] = argv[i]; /* CLI style, as in .list: "--limit 5" */
			if (!strchr(argv[i], '=') && i + 1 < argc && !strchr(argv[i + 1], '=') &&
			    strncmp(argv[i + 1], "--", 2) != 0)
				v[n++] = argv[++i];
		} else if (!strchr(argv[i], '=') || nown == 64) {
			exit = usage_error(r, xasprintf("find: '%s' is not key=value (e.g. stage=prospect"
			                                " min-score=50)\nusage: .%s", argv[i], usage_of("find")));
			goto done;
		} else { /* min_score= as the Lua heed.find spells it means min-score= */
			char *o = v[n++] = owned[nown++] = xasprintf("--%s", argv[i]);
			for (char *p = o + 2; *p && *p != '='; p++)
				if (*p == '_')
					*p = '-';
		}
		order |= strncmp(v[n - 1], "--order", 7) == 0;
		limit |= strncmp(v[n - 1], "--limit", 7) == 0;
	}
	char by_score[] = "--order=score", top[] = "--limit=20"; /* parse_args cuts at '=' */
	if (!order)
		v[n++] = by_score;
	if (!limit)
		v[n++] = top;
	exit = cli_run(r->cli, n, v);
done:
	for (int i = 0; i < nown; i++)
		free(owned[i]);
	free(v);
	return exit;
}

/* .export FILE [options]: the CLI's `export --out FILE [options]` (an importable CSV,
 * or JSON Lines in json mode), so the two cannot drift apart. */
static int r_export(repl *r, int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-')
		return usage_error(r, xasprintf("export: give a FILE\nusage: .%s", usage_of("export")));
	char **v = xcalloc((size_t)argc + 3, sizeof *v);
	int n = 0;
	char out[] = "--out";
	v[n++] = "export";
	v[n++] = out;
	v[n++] = argv[1];
	for (int i = 2; i < argc; i++)
		v[n++] = argv[i];
	int exit = cli_run(r->cli, n, v);
	free(v);
	return exit;
}

static void help_all(void)
{
	printf("Dot-commands (a unique prefix works; .help COMMAND for its usage and an example):\n");
	for (int i = 0; i < NRCMDS; i++)
		if (!shadowed(i))
			printf("  .%-10s %s\n", rcmds[i].name, rcmds[i].help);
	cli_cmd_info ci;
	for (size_t i = 0; cli_command_info(i, &ci); i++)
		if (cli_in_repl(&ci))
			printf("  .%-10s %s\n", ci.name, ci.help);
	printf("\nAnything else is Lua; an expression prints its value (also after '=').\n"
	       "The heed table: heed.count{stage=…}, heed.find{stage=…, min_score=…, limit=…},\n"
	       "heed.get(CONTACT), heed.why(CONTACT [, STAGE]), heed.score(CONTACT) (not stored),\n"
	       "heed.run('.command …'), heed.stages.\n");
}

static int r_help(repl *r, int argc, char **argv)
{
	if (argc < 2) {
		help_all();
		return EXIT_OK;
	}
	const char *w = argv[1][0] == '.' ? argv[1] + 1 : argv[1];
	found f;
	int exit = resolve(r, w, &f);
	if (exit != EXIT_OK)
		return exit;
	if (f.own) {
		printf("usage: .%s\n  %s\nexample: %s\n", f.own->usage, f.own->help, f.own->example);
		return EXIT_OK;
	}
	cli_cmd_info ci;
	for (size_t i = 0; cli_command_info(i, &ci); i++) {
		if (strcmp(ci.name, f.cli) != 0)
			continue;
		printf("usage: .%s\n  %s\n", ci.usage, ci.help);
		if (ci.alias)
			printf("  alias: .%s\n", ci.alias);
		for (size_t k = 0; k < sizeof examples / sizeof examples[0]; k++)
			if (strcmp(examples[k].name, ci.name) == 0)
				printf("example: %s\n", examples[k].text);
	}
	return EXIT_OK;
}

static int r_mode(repl *r, int argc, char **argv)
{
	static const char *const names[] = { "table", "json", "csv", "line", "markdown" };
	if (argc < 2) {
		printf("%s\n", names[r->cli->fmt]);
		return EXIT_OK;
	}
	char *err = NULL;
	if (heed_format_parse(argv[1], &r->cli->fmt, &err) != HEED_OK)
		return usage_error(r, err);
	return EXIT_OK;
}

static int r_quit(repl *r, int argc, char **argv)
{
	(void)argc, (void)argv;
	r->quit = 1;
	return EXIT_OK;
}

/* Does a refresh report say a plugin failed (its old version kept, or a new file not loaded)? */
static int report_failed(const char *report)
{
	for (const char *l = report; l && *l; l += strcspn(l, "\n"), l += *l == '\n')
		if (strncmp(l, "kept ", 5) == 0 || strncmp(l, "not loaded ", 11) == 0)
			return 1;
	return 0;
}

/* .reload [PLUGIN]: one report for the command. What the refresh before it
 * already printed (run_input) is that report, so "no plugin changed" is said
 * only when nothing changed at all. An unknown PLUGIN is an error naming it. */
static int r_reload(repl *r, int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	int fresh = !r->cli->plugins; /* first use: load them fresh from disk */
	heed_plugins *p = cli_plugins(r->cli);
	if (!p)
		return EXIT_ERROR;
	char *report = NULL;
	if (heed_plugins_refresh(p, only, &report) == HEED_ENOTFOUND) {
		char *msg = xasprintf("reload: %s", report ? report : "no such plugin");
		free(report);
		repl_output_error(r, msg);
		free(msg);
		r->cli->failed = 0; /* the other plugins' load errors do not decide */
		return EXIT_ERROR;
	}
	char *lifted = NULL; /* suspended plugins load again, changed or not */
	heed_plugins_lift(p, only, &lifted);
	if (lifted) {
		char *both = xasprintf("%s%s%s", report ? report : "", report ? "\n" : "", lifted);
		free(report);
		report = both;
	}
	free(lifted);
	int failed = report_failed(report) || r->auto_reloaded == 2 || (fresh && heed_plugins_nerrors(p));
	if (report)
		printf("%s%s", report, report[strlen(report) - 1] == '\n' ? "" : "\n");
	else if (fresh)
		printf("loaded %zu plugins from %s\n", heed_plugins_count(p), r->cli->plugins_dir);
	else if (!r->auto_reloaded)
		printf("no plugin changed in %s\n", r->cli->plugins_dir);
	free(report);
	return failed ? EXIT_ERROR : EXIT_OK;
}

static int r_sql(repl *r, int argc, char **argv)
{
	if (argc < 2 || !*argv[1])
		return usage_error(r, xasprintf("sql: give a SELECT query\nusage: .%s", usage_of("sql")));
	heed_store *s = cli_store(r->cli);
	char *err = NULL;
	if (!s)
		return EXIT_ERROR;
	if (!r->reader && heed_store_open_reader(s, &r->reader, &err) != HEED_OK) {
		repl_output_error(r, err);
		free(err);
		return EXIT_ERROR;
	}
	heed_table *t;
	int rc = heed_store_select(r->reader, argv[1], &t, &err);
	if (rc != HEED_OK) {
		repl_output_error(r, err);
		free(err);
		return cli_exit(rc);
	}
	heed_table_print(t, r->cli->fmt, stdout);
	heed_table_free(t);
	return EXIT_OK;
}

static int r_timer(repl *r, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "on") == 0 || strcmp(argv[1], "off") == 0)) {
		r->timer = strcmp(argv[1], "on") == 0;
		return EXIT_OK;
	}
	return usage_error(r, xasprintf("timer: say on or off\nusage: .%s", usage_of("timer")));
}

/* ---- plugins changed on disk ---- */

/* Reload what changed in the plugin folder (only = one plugin, or NULL) and
 * print one line per change; 1 if a plugin failed to reload. */
static int refresh_plugins(repl *r, const char *only)
{
	r->auto_reloaded = 0;
	if (!r->cli->plugins)
		return 0; /* not loaded yet: the next use loads the files as they are */
	char *report = NULL;
	heed_plugins_refresh(r->cli->plugins, only, &report);
	int failed = report_failed(report);
	if (report) {
		printf("%s%s", report, report[strlen(report) - 1] == '\n' ? "" : "\n");
		r->auto_reloaded = failed ? 2 : 1;
	}
	free(report);
	return failed;
}

/* ---- the session ---- */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A Lua error in piped input, as one message naming the input line: the
 * chunk's "input:N: msg" is line r->line + N - 1 of the input. The session's
 * "stopping here" line is then left out (r->said). */
static void lua_error_at(repl *r, const char *err)
{
	const char *m = err ? err : "failed";
	long line = r->line;
	char *end;
	if (strncmp(m, "input:", 6) == 0) {
		long n = strtol(m + 6, &end, 10);
		if (end != m + 6 && n > 0 && strncmp(end, ": ", 2) == 0) {
			line = r->line + n - 1;
			m = end + 2;
		}
	}
	char *msg = xasprintf("%s line %ld: %s; %s", r->input, line, m,
	                      r->keep_going ? "going on (--keep-going)"
	                                    : "stopping here (--keep-going runs the rest)");
	repl_output_error(r, msg);
	free(msg);
	r->said = 1;
}

/* Run one complete input: a dot-command, or a Lua chunk. Returns an exit
 * status; REPL_INCOMPLETE when the chunk needs more lines. */
static int run_input(repl *r, const char *text)
{
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return EXIT_OK;
	repl_interrupted = 0;
	heed_store_interrupt_clear(r->cli->store);
	heed_store_interrupt_clear(r->reader);
	r->cli->failed = 0;
	refresh_plugins(r, NULL);
	double t0 = now_ms();
	int exit;
	repl_output_begin(r);
	if (*p == '.') {
		char *line = xstrdup(p + 1);
		exit = repl_dot(r, line);
		free(line);
	} else {
		char *err = NULL;
		int rc = repl_lua_eval(r->lua, p, &err);
		if (rc == REPL_INCOMPLETE) {
			repl_output_end(r);
			return REPL_INCOMPLETE;
		}
		if (rc != HEED_OK && repl_interrupted)
			; /* the chunk stopped for Ctrl-C: said once below */
		else if (rc != HEED_OK && !r->interactive)
			lua_error_at(r, err);
		else if (rc != HEED_OK)
			repl_output_error(r, err);
		free(err);
		exit = rc == HEED_OK ? EXIT_OK : EXIT_ERROR;
		if (repl_interrupted)
			exit = EXIT_OK; /* so the line below says it */
	}
	if (repl_interrupted && exit == EXIT_OK) { /* a failed command said why already */
		fprintf(stderr, "heed: interrupted\n");
		exit = EXIT_ERROR;
	}
	repl_output_end(r);
	if (r->timer)
		printf("time: %.3f ms\n", now_ms() - t0);
	fflush(stdout);
	return exit;
}

/* The next line of text (advancing *pos), or NULL at its end. Caller frees. */
static char *next_text_line(const char *text, size_t *pos)
{
	if (!text[*pos] && *pos > 0)
		return NULL;
	size_t n = strcspn(text + *pos, "\n");
	char *line = xstrndup(text + *pos, n);
	*pos += n + (text[*pos + n] == '\n');
	if (!text[*pos])
		*pos = strlen(text) + (*pos == 0); /* the last line: stop after it */
	return line;
}

static int session(repl *r, const char *chunk)
{
	heed_buf pending = { 0 };
	long lineno = 0, start = 0;
	size_t pos = 0;
	int status = EXIT_OK, done = 0;
	const char *prompt = r->color ? "\001\033[1;34m\002heed>\001\033[0m\002 " : "heed> ";
	const char *more = r->color ? "\001\033[1;34m\002  ...\001\033[0m\002 " : "  ... ";
	while (!done && !r->quit) {
		char *line = chunk ? next_text_line(chunk, &pos) : repl_input_line(r, pending.len ? more : prompt);
		if (!line)
			break;
		lineno++;
		if (repl_interrupted && r->interactive && !*line) { /* Ctrl-C at the prompt */
			heed_buf_reset(&pending);
			repl_interrupted = 0;
			free(line);
			continue;
		}
		if (!pending.len)
			start = lineno;
		if (pending.len)
			heed_buf_addc(&pending, '\n');
		heed_buf_adds(&pending, line);
		free(line);
		r->line = start;
		r->said = 0;
		int exit = run_input(r, pending.s);
		if (exit == REPL_INCOMPLETE && pending.s[strspn(pending.s, " \t")] != '.')
			continue;
		repl_input_remember(r, pending.s);
		if (exit != EXIT_OK && !r->interactive) {
			if (!r->said)
				fprintf(stderr, "heed: %s line %ld: %s\n", r->input, start,
				        r->keep_going ? "failed; going on (--keep-going)"
				                      : "failed; stopping here (--keep-going runs the rest)");
			if (status == EXIT_OK)
				status = exit; /* the first failure's status: 1 error, 2 usage */
			done = !r->keep_going;
		}
		heed_buf_reset(&pending);
	}
	if (pending.len && !r->quit) {
		fprintf(stderr, "heed: %s line %ld: the Lua chunk is not complete at the end of the input\n",
		        r->input, start);
		status = EXIT_ERROR;
	}
	if (r->interactive && !r->quit)
		putchar('\n'); /* Ctrl-D: end the prompt's line */
	heed_buf_free(&pending);
	return status;
}

int cmd_repl(heed_cli *cli, const cli_args *a)
{
	repl r = { .cli = cli, .keep_going = cli_opt(a, "--keep-going") != NULL };
	const char *chunk = cli_opt(a, "--command");
	const char *term = getenv("TERM");
	r.interactive = !chunk && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	r.color = r.interactive && heed_empty(getenv("NO_COLOR")) && !heed_streq(term, "dumb");
	r.input = chunk ? "-c" : "stdin";
	r.lua = repl_lua_new(&r);
	repl_input_open(&r);
	if (r.interactive)
		printf("heed %s: .help for commands, Lua for the rest, Ctrl-D to leave\n", cli->db_path);
	int status = session(&r, chunk);
	repl_input_close(&r);
	repl_lua_free(r.lua);
	heed_store_close(r.reader);
	heed_report_set_width(0);
	if (r.interactive)
		status = EXIT_OK;
	cli->failed = 0;
	return status;
}
