/* cli_int: what the command files (cli.c, cli_report.c, demo.c) share: the
 * run context, parsed arguments and helpers for loading store and plugins. */
#ifndef HEED_CLI_INT_H
#define HEED_CLI_INT_H

#include "plugin.h"
#include "report.h"
#include "store.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

typedef struct cli_args {
	char **pos;        /* positional arguments after the command */
	int npos;
	char **optname;    /* "--stage" style, parallel to optval */
	char **optval;     /* NULL for flags */
	int nopt;
	char **spelled;    /* the "--name" of each -x alias given, owned (parse_args) */
	int nspelled;
} cli_args;

typedef struct heed_cli {
	const char *db_path, *plugins_dir;
	heed_store *store;
	heed_plugins *plugins;
	struct cli_kv *kv;  /* the plugins' key-value store (cli_plugins.c) */
	heed_format fmt;
	int failed;        /* a non-fatal error happened (plugin, row): exit 1 at the end */
	int may_create;    /* the command may create the store (init, import, add, demo) */
	int db_given;      /* --db was on the command line */
} heed_cli;

/* The value of option name (e.g. "--stage"), or NULL; flags give "". */
const char *cli_opt(const cli_args *a, const char *name);
/* Open the store / plugins on first use; print the error and return NULL on failure. */
heed_store *cli_store(heed_cli *cli);
heed_plugins *cli_plugins(heed_cli *cli);
/* Print msg to stderr, each line prefixed "heed: ". */
void cli_print_error(const char *msg);
/* Print "heed: msg" to stderr and free msg. Returns code. */
int cli_fail(int code, char *msg);
/* Map a HEED_* code to an exit status. */
int cli_exit(int rc);
/* Resolve CONTACT or fail (printing). OUT: *id. */
int cli_contact(heed_cli *cli, const char *ref, int64_t *id);
/* Resolve and load CONTACT (store flags, see heed_store_load) or fail, printing.
 * OUT: *c, initialised even on failure (caller clears). Returns an exit status. */
int cli_load(heed_cli *cli, const char *ref, unsigned flags, heed_contact *c);

/* Run one command of the table on cli's store and plugins (opened on first use,
 * kept open): argv[0] is its name, alias or a unique prefix. Prints errors;
 * returns an exit status. */
int cli_run(heed_cli *cli, int argc, char **argv);
/* The i-th command of the table; 0 past the end. */
typedef struct cli_cmd_info {
	const char *name, *alias, *usage, *help, *options;
} cli_cmd_info;
int cli_command_info(size_t i, cli_cmd_info *out);

/* Recompute and store contact id's score with the loaded plugins, as `heed score CONTACT`
 * does, when any plugin has a score (else nothing). Prints errors; returns an exit status. */
int cli_rescore(heed_cli *cli, int64_t id);

int cmd_list(heed_cli *cli, const cli_args *a);
int cmd_show(heed_cli *cli, const cli_args *a);
int cmd_pipeline(heed_cli *cli, const cli_args *a);
int cmd_today(heed_cli *cli, const cli_args *a);
int cmd_demo(heed_cli *cli, const cli_args *a);
int cmd_score(heed_cli *cli, const cli_args *a);
int cmd_advance(heed_cli *cli, const cli_args *a);
/* cli_followup.c: follow-ups, scripts and the daemon. */
int cmd_evaluate(heed_cli *cli, const cli_args *a);
int cmd_due(heed_cli *cli, const cli_args *a);
int cmd_run_due(heed_cli *cli, const cli_args *a);
int cmd_run(heed_cli *cli, const cli_args *a);
int cmd_daemon(heed_cli *cli, const cli_args *a);
/* Evaluate the policies for contact id after an event or a stage move. */
void cli_followup_event(heed_cli *cli, int64_t id);
int cmd_mail(heed_cli *cli, const cli_args *a);   /* cli_mail.c */
int cmd_outbox(heed_cli *cli, const cli_args *a);
int cmd_config(heed_cli *cli, const cli_args *a);
int cmd_plugins(heed_cli *cli, const cli_args *a);
/* Once both the store and the plugins are open, give the plugins heed.kv;
 * at the end of a command, write what they set. Flush returns an exit status. */
void cli_wire_kv(heed_cli *cli);
int cli_kv_flush(heed_cli *cli);
/* Drop the plugins' pending key-value writes: the command's store work did
 * not commit (plan, dry run, rollback), so neither do they. */
void cli_kv_discard(heed_cli *cli);
int cmd_repl(heed_cli *cli, const cli_args *a); /* repl.c */
int cmd_export(heed_cli *cli, const cli_args *a); /* cli_port.c */
int cmd_dupes(heed_cli *cli, const cli_args *a);  /* cli_port.c */
int cmd_merge(heed_cli *cli, const cli_args *a);  /* cli_port.c */
int cmd_import(heed_cli *cli, const cli_args *a); /* cli_import.c */

#endif
