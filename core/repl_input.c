/* repl_input: input lines for the REPL. On a terminal: GNU readline with a
 * persistent, capped history (Ctrl-R search and Emacs keys come with it) and
 * tab completion of commands, contacts, stages, plugins, fields and Lua
 * names. Otherwise plain lines from stdin. Owns the SIGINT handler: Ctrl-C
 * interrupts the store and the Lua state, or abandons the line at the prompt. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "plugin.h"
#include "outfile.h"
#include "repl_int.h"
#include "stage.h"
#include "util.h"

enum { HISTORY_CAP = 2000 };

repl *repl_current;
volatile sig_atomic_t repl_interrupted;

static sigjmp_buf prompt_jmp;
static volatile sig_atomic_t at_prompt;
static struct sigaction old_int;
static char *history_path;

static void on_sigint(int sig)
{
	(void)sig;
	repl_interrupted = 1;
	if (repl_current) {
		heed_store_interrupt(repl_current->cli->store);
		heed_store_interrupt(repl_current->reader);
		repl_lua_interrupt(repl_current->lua);
	}
	if (at_prompt) {
		at_prompt = 0;
		siglongjmp(prompt_jmp, 1);
	}
}

/* ---- completion ---- */

static struct {
	char **v;
	size_t n, cap;
	const char *prefix; /* only candidates starting with it */
} cands;

static void cand_add(void *ud, const char *text)
{
	(void)ud;
	if (strncmp(text, cands.prefix, strlen(cands.prefix)) != 0)
		return;
	if (cands.n == cands.cap)
		cands.v = xrealloc(cands.v, (cands.cap = cands.cap ? cands.cap * 2 : 32) * sizeof *cands.v);
	cands.v[cands.n++] = xstrdup(text);
}

static void cand_add_dot(void *ud, const char *name)
{
	char *d = xasprintf(".%s", name);
	cand_add(ud, d);
	free(d);
}

static char *cand_next(const char *text, int state)
{
	static size_t i;
	(void)text;
	if (!state)
		i = 0;
	return i < cands.n ? xstrdup(cands.v[i++]) : NULL;
}

static void cands_reset(const char *prefix)
{
	for (size_t i = 0; i < cands.n; i++)
		free(cands.v[i]);
	cands.n = 0;
	cands.prefix = prefix;
}

static void add_list(const char *const *v, const char *suffix)
{
	for (; *v; v++) {
		char *s = xasprintf("%s%s", *v, suffix);
		cand_add(NULL, s);
		free(s);
	}
}

static void add_stages(void)
{
	for (int i = 0; i < HEED_NSTAGES; i++) /* heed_stage_names has no NULL at its end */
		cand_add(NULL, heed_stage_names[i]);
}

static void add_contacts(const char *text)
{
	heed_store *s = repl_current->cli->store;
	if (!s && !(s = cli_store(repl_current->cli)))
		return;
	char *err = NULL;
	heed_store_complete(s, text, 100, cand_add, NULL, &err);
	free(err);
}

static void add_plugins(void)
{
	heed_plugins *p = repl_current->cli->plugins;
	if (!p && !(p = cli_plugins(repl_current->cli)))
		return;
	for (size_t i = 0; i < heed_plugins_count(p); i++)
		cand_add(NULL, heed_plugins_name(p, i));
}

/* Candidates for argument number argn (1 = first) of dot-command cmd. */
static void complete_arg(const char *cmd, int argn, const char *key, const char *text)
{
	static const char *const find_keys[] = { "stage=", "min-score=", "order=", "limit=", NULL };
	static const char *const modes[] = { "table", "csv", "json", "line", "markdown", NULL };
	static const char *const onoff[] = { "on", "off", NULL };
	if (key && (strcmp(key, "stage") == 0 || strcmp(key, "--stage") == 0)) {
		add_stages();
	} else if (key && (strcmp(key, "order") == 0 || strcmp(key, "--order") == 0)) {
		add_list(heed_store_orders, "");
	} else if (key) {
		return;
	} else if (strcmp(cmd, "find") == 0) {
		add_list(find_keys, "");
	} else if (strcmp(cmd, "mode") == 0 || strcmp(cmd, "format") == 0) {
		add_list(modes, "");
	} else if (strcmp(cmd, "timer") == 0) {
		add_list(onoff, "");
	} else if (strcmp(cmd, "help") == 0) {
		repl_each_command(cand_add, NULL);
	} else if (strcmp(cmd, "reload") == 0 || strcmp(cmd, "plugins") == 0 ||
	           strcmp(cmd, "test") == 0) {
		add_plugins();
	} else if ((strcmp(cmd, "move") == 0 || strcmp(cmd, "why") == 0) && argn == 2) {
		add_stages();
	} else if (text[0] == '-') {
		cli_cmd_info ci;
		for (size_t i = 0; cli_command_info(i, &ci); i++) {
			if (strcmp(ci.name, cmd) != 0)
				continue;
			for (const char *p = ci.options; *p;) { /* "stage= min-score= asc" */
				const char *e = p + strcspn(p, " ");
				char *o = xasprintf("--%.*s", (int)(e - p - (e[-1] == '=')), p);
				cand_add(NULL, o);
				free(o);
				p = *e ? e + 1 : e;
			}
		}
	} else if (argn == 1 && (strcmp(cmd, "show") == 0 || strcmp(cmd, "why") == 0 ||
	                         strcmp(cmd, "advance") == 0 || strcmp(cmd, "move") == 0 ||
	                         strcmp(cmd, "score") == 0 || strcmp(cmd, "event") == 0)) {
		add_contacts(text);
	}
}

/* Resolve a typed command word to its full name (prefixes and aliases). */
static char *full_command(const char *word)
{
	cands_reset(word);
	repl_each_command(cand_add, NULL);
	char *name = cands.n == 1 ? xstrdup(cands.v[0]) : xstrdup(word);
	for (size_t i = 0; i < cands.n; i++)
		if (strcmp(cands.v[i], word) == 0) {
			free(name);
			name = xstrdup(word);
		}
	cli_cmd_info ci;
	for (size_t i = 0; cli_command_info(i, &ci); i++)
		if (heed_streq(ci.alias, word)) {
			free(name);
			name = xstrdup(ci.name);
		}
	return name;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;
	rl_completion_append_character = ' ';
	const char *line = rl_line_buffer;
	while (*line == ' ')
		line++;
	size_t lead = (size_t)(line - rl_line_buffer);
	cands_reset(text);
	if (line[0] == '.' && (size_t)start <= lead) {
		repl_each_command(cand_add_dot, NULL);
	} else if (line[0] == '.') {
		size_t wl = strcspn(line + 1, " ");
		char *word = xstrndup(line + 1, wl), *cmd = full_command(word);
		cands_reset(text);
		int argn = 0;
		for (const char *p = line + 1 + wl; p < rl_line_buffer + start; p++)
			argn += *p != ' ' && (p[-1] == ' ');
		argn += 1;
		char *key = NULL;
		if (start > 0 && rl_line_buffer[start - 1] == '=') {
			int k = start - 1;
			while (k > 0 && rl_line_buffer[k - 1] != ' ')
				k--;
			key = xstrndup(rl_line_buffer + k, (size_t)(start - 1 - k));
		} else if (start > 2 && rl_line_buffer[start - 1] == ' ') {
			/* "--stage pro": the word before is the option */
			int k = start - 1;
			while (k > 0 && rl_line_buffer[k - 1] != ' ')
				k--;
			if (strncmp(rl_line_buffer + k, "--", 2) == 0)
				key = xstrndup(rl_line_buffer + k, (size_t)(start - 1 - k));
		}
		if (strcmp(cmd, "import") == 0 || strcmp(cmd, "export") == 0) {
			rl_attempted_completion_over = 0; /* file names */
			free(word), free(cmd), free(key);
			return NULL;
		}
		complete_arg(cmd, argn, key, text);
		free(word), free(cmd), free(key);
	} else if (repl_current->lua) {
		rl_completion_append_character = '\0';
		repl_lua_complete(repl_current->lua, text, cand_add, NULL);
	}
	if (cands.n == 0)
		return NULL;
	return rl_completion_matches(text, cand_next);
}

/* ---- lines ---- */

void repl_input_open(repl *r)
{
	repl_current = r;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	if (!r->interactive)
		return;
	rl_readline_name = "heed";
	rl_catch_signals = 0; /* Ctrl-C is ours: see on_sigint */
	rl_attempted_completion_function = complete;
	if (!r->color) /* no escape codes at all: not even bracketed paste's */
		rl_variable_bind("enable-bracketed-paste", "off");
	rl_basic_word_break_characters = " \t\n\"'=(),{}[]+*/<>~;#";
	const char *env = getenv("HEED_HISTORY"), *home = getenv("HOME");
	if (!heed_empty(env))
		history_path = xstrdup(env);
	else if (!heed_empty(home))
		history_path = xasprintf("%s/.heed_history", home);
	char *err = NULL;
	if (history_path && heed_outfile_check(history_path, r->cli->db_path, NULL, &err) != HEED_OK) {
		fprintf(stderr, "heed: history: %s; the history is not kept\n", err); /* HEED_HISTORY=heed.db */
		free(err);
		free(history_path);
		history_path = NULL;
	}
	using_history();
	stifle_history(HISTORY_CAP);
	if (history_path)
		read_history(history_path);
}

void repl_input_close(repl *r)
{
	if (r->interactive && history_path) {
		int fd = open(history_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			close(fd);
		if (write_history(history_path) != 0)
			fprintf(stderr, "heed: cannot save the history to %s\n", history_path);
		history_truncate_file(history_path, HISTORY_CAP);
	}
	free(history_path);
	history_path = NULL;
	cands_reset("");
	free(cands.v);
	cands.v = NULL;
	cands.cap = 0;
	sigaction(SIGINT, &old_int, NULL);
	repl_current = NULL;
}

void repl_input_remember(repl *r, const char *text)
{
	if (!r->interactive || heed_empty(text))
		return;
	HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
	if (!last || strcmp(last->line, text) != 0)
		add_history(text);
}

char *repl_input_line(repl *r, const char *prompt)
{
	if (!r->interactive) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n = getline(&line, &cap, stdin);
		if (n < 0) {
			free(line);
			return NULL;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		return line;
	}
	if (sigsetjmp(prompt_jmp, 1)) {
		/* Ctrl-C at the prompt: drop the line (and any unfinished chunk) */
		rl_free_line_state();
		rl_cleanup_after_signal();
		fputs("^C\n", stdout);
		fflush(stdout);
		return xstrdup("");
	}
	at_prompt = 1;
	char *line = readline(prompt);
	at_prompt = 0;
	return line;
}
