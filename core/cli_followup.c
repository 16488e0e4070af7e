/* cli_followup: the follow-up commands: evaluate, due, run-due, run (a
 * follow-up script) and daemon (which also hands over the outbox's retries);
 * and the evaluation `event` triggers. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "cli_int.h"
#include "followup.h"
#include "mail.h"
#include "sched.h"
#include "store_followup.h"
#include "util.h"
#include "watch.h"

struct fu_cli {
	heed_cli *cli;
	long warnings;
};

enum { MAX_SHOWN_WARNINGS = 20 };

static void fu_warn(void *ud, const char *msg)
{
	struct fu_cli *fc = ud;
	if (fc->warnings++ < MAX_SHOWN_WARNINGS)
		cli_print_error(msg);
	else if (fc->warnings == MAX_SHOWN_WARNINGS + 1)
		cli_print_error("(more follow-up warnings not shown)");
	fc->cli->failed = 1;
}

static int parse_long(const char *cmd, const char *opt, const char *v, long min, long *out)
{
	char *end;
	long n = v ? strtol(v, &end, 10) : 0;
	if (!v)
		return EXIT_OK;
	if (!*v || *end || n < min)
		return cli_fail(EXIT_USAGE, xasprintf("%s: %s '%s' must be a whole number of at least %ld",
		                                      cmd, opt, v, min));
	*out = n;
	return EXIT_OK;
}

static void print_eval(const heed_fu_eval *ev)
{
	printf("evaluated %ld contact%s: %ld follow-up%s added, %ld cancelled", ev->contacts,
	       ev->contacts == 1 ? "" : "s", ev->created, ev->created == 1 ? "" : "s", ev->cancelled);
	if (ev->errors || ev->stopped)
		printf(", %ld plugin error%s, %ld stopped by the loop guard", ev->errors,
		       ev->errors == 1 ? "" : "s", ev->stopped);
	printf("\n");
}

int cmd_evaluate(heed_cli *cli, const cli_args *a)
{
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	struct fu_cli fc = { cli, 0 };
	heed_fu_eval ev = { .s = cli->store, .p = cli->plugins, .warn = fu_warn, .ud = &fc };
	char *err = NULL;
	int rc, exit = EXIT_OK;
	if (a->npos == 1) {
		int64_t id;
		if ((exit = cli_contact(cli, a->pos[0], &id)) != EXIT_OK)
			goto done;
		rc = heed_followup_eval_contact(&ev, id, &err);
	} else {
		rc = heed_followup_eval_all(&ev, &err);
	}
	if (rc != HEED_OK) {
		exit = cli_fail(cli_exit(rc), err);
		goto done;
	}
	print_eval(&ev);
done:
	heed_followup_eval_done(&ev);
	return exit;
}

/* After `event`: policies that fire on events answer at once. Plugins that
 * fail to load are left to `evaluate` to report. */
void cli_followup_event(heed_cli *cli, int64_t id)
{
	char *err = NULL;
	heed_plugins *p = cli->plugins ? cli->plugins : heed_plugins_open(cli->plugins_dir, &err);
	if (p && heed_plugins_npolicies(p) > 0) {
		struct fu_cli fc = { cli, 0 };
		heed_fu_eval ev = { .s = cli->store, .p = p, .warn = fu_warn, .ud = &fc };
		if (heed_followup_eval_contact(&ev, id, &err) != HEED_OK)
			fu_warn(&fc, err);
		else if (ev.created || ev.cancelled)
			printf("follow-ups: %ld added, %ld cancelled\n", ev.created, ev.cancelled);
		heed_followup_eval_done(&ev);
	}
	if (p != cli->plugins)
		heed_plugins_close(p);
	free(err);
}

int cmd_due(heed_cli *cli, const cli_args *a)
{
	heed_time until = heed_time_now();
	const char *u = cli_opt(a, "--until"), *status = cli_opt(a, "--status");
	long limit = 0;
	static const char *const statuses[] = { "pending", "claimed", "done", "failed", "cancelled", "skipped", NULL };
	if (u && heed_time_parse(u, &until) != HEED_OK)
		return cli_fail(EXIT_USAGE, xasprintf("due: --until '%s' is not an ISO 8601 time"
		                                      " (e.g. 2026-12-10 or 2026-12-10T09:00:00Z)", u));
	if (status) {
		const char *const *p = statuses;
		while (*p && strcmp(*p, status) != 0)
			p++;
		if (!*p)
			return cli_fail(EXIT_USAGE, xasprintf("due: --status '%s' is not one of pending, claimed,"
			                                      " done, failed, cancelled, skipped", status));
	}
	if (parse_long("due", "--limit", cli_opt(a, "--limit"), 0, &limit) != EXIT_OK)
		return EXIT_USAGE;
	if (!cli_store(cli))
		return EXIT_ERROR;
	heed_followup *v;
	size_t n;
	char *err = NULL;
	int rc = heed_store_fu_list(cli->store, until, status, limit, &v, &n, &err);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	static const char *const cols[] = { "id", "due", "contact", "policy", "action", "template",
		                            "title", "status", "attempts", "last_error" };
	heed_table *t = heed_table_new(cols, sizeof cols / sizeof cols[0]);
	for (size_t i = 0; i < n; i++) {
		heed_table_int(t, v[i].id);
		heed_table_time(t, v[i].due_at);
		heed_table_int(t, v[i].contact);
		heed_table_str(t, v[i].policy);
		heed_table_str(t, v[i].action);
		heed_table_str(t, v[i].tmpl);
		heed_table_str(t, v[i].title); /* a task's; an email has its template's subject instead */
		heed_table_str(t, v[i].status);
		heed_table_int(t, v[i].attempts);
		heed_table_str(t, v[i].last_error);
	}
	heed_table_print(t, cli->fmt, stdout);
	heed_table_free(t);
	heed_followups_free(v, n);
	return EXIT_OK;
}

static void print_run(const heed_fu_run *r)
{
	printf("ran %ld follow-up%s: %ld done, %ld skipped, %ld failed", r->done + r->skipped + r->failed,
	       r->done + r->skipped + r->failed == 1 ? "" : "s", r->done, r->skipped, r->failed);
	if (r->released)
		printf(", %ld released unfinished", r->released);
	printf("\n");
}

static int run_due(heed_cli *cli, const cli_args *a, volatile sig_atomic_t *stop, int quiet)
{
	long batch = 0, lease = 0;
	if (parse_long("run-due", "--batch", cli_opt(a, "--batch"), 1, &batch) != EXIT_OK ||
	    parse_long("run-due", "--lease", cli_opt(a, "--lease"), 1, &lease) != EXIT_OK)
		return EXIT_USAGE;
	if (!cli_store(cli) || !cli_plugins(cli))
		return EXIT_ERROR;
	struct fu_cli fc = { cli, 0 };
	heed_fu_eval ev = { .s = cli->store, .p = cli->plugins, .warn = fu_warn, .ud = &fc };
	heed_fu_run r = { .ev = &ev, .batch = batch, .lease = lease, .stop = stop };
	char *err = NULL;
	int rc = heed_followup_run(&r, &err);
	heed_followup_eval_done(&ev);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	if (!quiet || r.done + r.skipped + r.failed)
		print_run(&r);
	return EXIT_OK;
}

int cmd_run_due(heed_cli *cli, const cli_args *a)
{
	return run_due(cli, a, NULL, 0);
}

/* ---- scripts ---- */

/* Evaluate a script's policies over every contact. */
static int run_script(heed_cli *cli, const char *path)
{
	char *err = NULL;
	heed_plugins *p = heed_plugins_open_file(path, &err);
	if (!p)
		return cli_fail(EXIT_ERROR, err);
	int exit = EXIT_OK;
	if (heed_plugins_nerrors(p) > 0) {
		exit = cli_fail(EXIT_ERROR, xstrdup(heed_plugins_error(p, 0)));
	} else if (heed_plugins_npolicies(p) == 0) {
		exit = cli_fail(EXIT_ERROR, xasprintf("script %s declares no policies (return a table"
		                                      " with policies = {…}; see scripts/README.md)", path));
	} else {
		struct fu_cli fc = { cli, 0 };
		heed_fu_eval ev = { .s = cli->store, .p = p, .warn = fu_warn, .ud = &fc };
		int rc = heed_followup_eval_all(&ev, &err);
		if (rc != HEED_OK)
			exit = cli_fail(cli_exit(rc), err);
		else {
			printf("script %s: ", path);
			print_eval(&ev);
		}
		heed_followup_eval_done(&ev);
	}
	heed_plugins_close(p);
	return exit;
}

int cmd_run(heed_cli *cli, const cli_args *a)
{
	if (!cli_store(cli))
		return EXIT_ERROR;
	int exit = run_script(cli, a->pos[0]);
	if (exit != EXIT_OK)
		return exit;
	cli_args none = { 0 };
	return run_due(cli, &none, NULL, 0);
}

/* ---- daemon ---- */

static volatile sig_atomic_t daemon_stop;

static void on_signal(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

/* Hot-swap the plugins that changed (heed_plugins_refresh keeps the old
 * version of one that no longer loads), saying what changed. */
static void reload_if_changed(heed_cli *cli, heed_watch *w)
{
	if (!cli->plugins || !w || !heed_watch_changed(w))
		return;
	char *report = NULL;
	heed_plugins_refresh(cli->plugins, NULL, &report);
	if (report) {
		heed_buf b = { 0 };
		heed_buf_addf(&b, "daemon: plugins changed in %s, reloaded:\n%s", cli->plugins_dir, report);
		cli_print_error(b.s);
		heed_buf_free(&b);
	}
	free(report);
}

/* Run every script of dir whose schedule has come round since the last tick. */
static void run_scripts(heed_cli *cli, const char *dir, heed_time last, heed_time now)
{
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL && !daemon_stop) {
		size_t n = strlen(e->d_name);
		if (n <= 4 || strcmp(e->d_name + n - 4, ".lua") != 0)
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name), *err = NULL;
		heed_plugins *p = heed_plugins_open_file(path, &err);
		int due = 0;
		for (size_t i = 0; p && i < heed_plugins_npolicies(p) && !due; i++) {
			const heed_policy *po = heed_plugins_policy(p, i);
			heed_schedule sc;
			if (po->on == HEED_ON_SCHEDULE && heed_sched_parse(po->schedule, NULL, &sc, NULL) == HEED_OK) {
				heed_time t = heed_sched_prev(&sc, now);
				due = t && (last == 0 || t > last);
			}
		}
		heed_plugins_close(p);
		free(err);
		if (due)
			run_script(cli, path);
		free(path);
	}
	closedir(d);
}

/* Hand over the outbox's due messages: the retries the mail module scheduled. */
static void deliver_retries(heed_cli *cli)
{
	heed_mail_config cfg;
	char *err = NULL;
	long sent = 0, deferred = 0, retry = 0, failed = 0;
	if (heed_mail_config_load(cli->store, &cfg, &err) == HEED_OK) {
		if (heed_mail_deliver_due(cli->store, &cfg, 0, &sent, &deferred, &retry, &failed, &err) != HEED_OK)
			cli_print_error(err);
		else if (sent + deferred + retry + failed)
			printf("outbox: %ld sent, %ld deferred to tomorrow (daily cap), %ld to retry, %ld failed\n",
			       sent, deferred, retry, failed);
		heed_mail_config_clear(&cfg);
	} else {
		cli_print_error(err);
	}
	free(err);
}

static void nap(long seconds)
{
	for (long i = 0; i < seconds * 10 && !daemon_stop; i++) {
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
}

int cmd_daemon(heed_cli *cli, const cli_args *a)
{
	long interval = 60, evaluate_every = 600;
	const char *scripts = cli_opt(a, "--scripts");
	if (parse_long("daemon", "--interval", cli_opt(a, "--interval"), 1, &interval) != EXIT_OK ||
	    parse_long("daemon", "--evaluate-every", cli_opt(a, "--evaluate-every"), 1, &evaluate_every) != EXIT_OK)
		return EXIT_USAGE;
	struct stat st;
	if (scripts && (stat(scripts, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "heed: daemon: --scripts %s is not a folder: no scripts run on schedule\n", scripts);
		scripts = NULL;
	} else if (scripts) { /* script follow-ups read the same folder */
		setenv("HEED_SCRIPTS", scripts, 1);
	} else {
		scripts = heed_scripts_dir();
	}
	if (!cli_store(cli))
		return EXIT_ERROR;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	char *err = NULL;
	heed_watch *w = heed_watch_open(cli->plugins_dir, &err);
	if (!w) { /* the plugins are read anyway; say why changes will not be seen */
		cli_print_error(err);
		free(err);
	}
	cli_plugins(cli);
	heed_time last_eval = 0, last_tick = 0;
	fprintf(stderr, "heed: daemon: running (pid %ld), every %ld s, scripts from %s; SIGTERM stops it\n",
	        (long)getpid(), interval, scripts ? scripts : "nowhere");
	cli_args none = { 0 };
	while (!daemon_stop) {
		heed_time now = (heed_time)time(NULL);
		reload_if_changed(cli, w);
		if (cli->plugins && (last_eval == 0 || now - last_eval >= evaluate_every)) {
			struct fu_cli fc = { cli, 0 };
			heed_fu_eval ev = { .s = cli->store, .p = cli->plugins, .warn = fu_warn, .ud = &fc,
				            .stop = &daemon_stop };
			char *msg = NULL;
			if (heed_followup_eval_all(&ev, &msg) != HEED_OK)
				cli_fail(EXIT_ERROR, msg);
			heed_followup_eval_done(&ev);
			last_eval = now;
		}
		if (!daemon_stop)
			run_scripts(cli, scripts, last_tick, heed_time_now());
		if (!daemon_stop && cli->plugins)
			run_due(cli, &none, &daemon_stop, 1);
		if (!daemon_stop)
			deliver_retries(cli);
		last_tick = heed_time_now();
		fflush(stdout);
		nap(interval);
	}
	heed_watch_close(w);
	fprintf(stderr, "heed: daemon: stopped\n");
	cli->failed = 0; /* warnings were shown as they came; a clean stop exits 0 */
	return EXIT_OK;
}
