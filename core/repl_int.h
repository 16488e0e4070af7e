/* repl_int: what the REPL's files share. repl.c runs the session and its
 * dot-commands (the CLI's command table plus the REPL's own); repl_input.c
 * reads lines (readline, history, completion) and handles Ctrl-C;
 * repl_output.c pages or cuts long output and picks colours; luahost_repl.c
 * is the Lua environment, the only REPL file that includes lua.h. */
#ifndef HEED_REPL_INT_H
#define HEED_REPL_INT_H

#include <signal.h>
#include <stdio.h>

#include "cli_int.h"

enum { REPL_INCOMPLETE = 100 }; /* a Lua chunk that needs more lines (no exit status) */

typedef struct repl_lua repl_lua;

typedef struct repl {
	heed_cli *cli;
	int interactive;    /* reading a terminal: prompts, history, paging */
	int color;          /* colours allowed: a terminal and no NO_COLOR */
	int keep_going;     /* non-interactive: go on after an error */
	int timer;          /* .timer on */
	long line;          /* input line the current command started on */
	const char *input;  /* "stdin" or "-c", for messages */
	repl_lua *lua;
	heed_store *reader; /* read-only connection for .sql, opened on first use */
	int quit;
	int said;           /* the failed input's error already named its line */
	int auto_reloaded;  /* the refresh before this command reported: 1 changes, 2 a failure */
} repl;

/* The session running now (for the signal handler and completion). */
extern repl *repl_current;
/* Set by SIGINT; cleared before each command. */
extern volatile sig_atomic_t repl_interrupted;

/* ---- repl.c ---- */
/* Call fn for every dot-command name (without the dot), REPL's and CLI's. */
void repl_each_command(void (*fn)(void *ud, const char *name), void *ud);
/* Run one line of dot-command (text after the dot). Returns an exit status. */
int repl_dot(repl *r, char *line);

/* ---- repl_input.c ---- */
/* Set up readline (completion, history from ~/.heed_history or $HEED_HISTORY)
 * and the SIGINT handler. */
void repl_input_open(repl *r);
/* Save the history (capped) and restore the signal handler. */
void repl_input_close(repl *r);
/* The next input line without its newline, or NULL at end of input. The
 * prompt is shown only when interactive. Caller frees. */
char *repl_input_line(repl *r, const char *prompt);
/* Remember a complete input (one or more lines) in the history. */
void repl_input_remember(repl *r, const char *text);

/* ---- repl_output.c ---- */
/* Start collecting what a command prints (interactive sessions only). */
void repl_output_begin(repl *r);
/* Show what was collected: as is when it fits the screen, else through
 * $PAGER, or cut with a count of the lines left out. */
void repl_output_end(repl *r);
/* An error line on stderr: "heed: " (red on a colour terminal) + msg. */
void repl_output_error(repl *r, const char *msg);
/* Terminal columns and rows (80x24 when unknown). */
void repl_output_size(int *cols, int *rows);

/* ---- luahost_repl.c ---- */
/* The REPL's Lua state with the standard libraries and the `heed` table. */
repl_lua *repl_lua_new(repl *r);
void repl_lua_free(repl_lua *L);
/* Evaluate chunk: an expression (bare or after '=') prints its values, a
 * statement runs. Returns HEED_OK, REPL_INCOMPLETE, or an error with *err. */
int repl_lua_eval(repl_lua *L, const char *chunk, char **err);
/* Make the running chunk fail with "interrupted" (safe in a signal handler). */
void repl_lua_interrupt(repl_lua *L);
/* Globals, or fields of a dotted/colon path, starting with word. */
void repl_lua_complete(repl_lua *L, const char *word, void (*add)(void *ud, const char *text),
                       void *ud);

#endif
