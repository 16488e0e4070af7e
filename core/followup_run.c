/* followup_run: claiming and executing due follow-ups (see followup.h).
 * A claim is one write transaction, so concurrent runners split the due work
 * without overlap; a runner that dies leaves claims that another takes over
 * once their lease runs out. Tasks are executed and finished in one
 * transaction per batch (a crash leaves none half-done); an email is queued
 * under the follow-up's key and handed over by the mail module, which records
 * the hand-over, so a rerun never sends it twice. */
#include "followup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "mail.h"
#include "stage.h"
#include "store_followup.h"
#include "util.h"

/* ---- crash point, for the crash-recovery test ---- */

static long crash_at = -1, finishing;

/* HEED_CRASH_AT=N: die by SIGKILL while finishing the Nth follow-up (after
 * its action, before its outcome is committed). */
static void crash_point(void)
{
	if (crash_at < 0) {
		const char *e = getenv("HEED_CRASH_AT");
		crash_at = heed_empty(e) ? 0 : atol(e);
	}
	if (crash_at > 0 && ++finishing == crash_at)
		raise(SIGKILL);
}

static void run_warn(heed_fu_run *r, char *msg)
{
	if (r->ev->warn)
		r->ev->warn(r->ev->ud, msg);
	free(msg);
}

/* ---- actions ---- */

/* The activity a task leaves on its contact; depth feeds the loop guard. */
static void task_data(heed_buf *b, const heed_followup *f)
{
	heed_buf_reset(b);
	heed_buf_adds(b, "{\"followup\":");
	heed_json_int(b, f->id);
	heed_buf_adds(b, ",\"policy\":");
	heed_json_str(b, f->policy);
	heed_buf_adds(b, ",\"title\":");
	heed_json_str(b, f->title ? f->title : f->tmpl ? f->tmpl : "follow up");
	if (f->tmpl) {
		heed_buf_adds(b, ",\"template\":");
		heed_json_str(b, f->tmpl);
	}
	if (f->payload && f->payload[0] == '{') {
		heed_buf_adds(b, ",\"payload\":");
		heed_buf_adds(b, f->payload);
	}
	heed_buf_adds(b, ",\"depth\":");
	heed_json_int(b, f->depth);
	heed_buf_addc(b, '}');
}

/* Every task of the batch, each finished with its activity, in one transaction.
 * OUT: touched[i] = 1 for tasks executed. */
static int run_tasks(heed_fu_run *r, heed_followup *v, size_t n, char *touched, char **err)
{
	heed_store *s = r->ev->s;
	heed_buf data = { 0 };
	int rc = heed_store_begin(s, err);
	heed_time now = heed_time_now();
	for (size_t i = 0; i < n && rc == HEED_OK; i++) {
		if (strcmp(v[i].action, "task") != 0)
			continue;
		int mine = 0;
		crash_point();
		rc = heed_store_fu_finish(s, v[i].id, r->who, "done", NULL, "task recorded", now, 0, &mine, err);
		if (rc != HEED_OK || !mine)
			continue; /* its lease ran out and another runner took it */
		task_data(&data, &v[i]);
		rc = heed_store_add_activity(s, v[i].contact, "task", now, data.s, err);
		touched[i] = 1;
	}
	heed_buf_free(&data);
	if (rc == HEED_OK)
		return heed_store_commit(s, err);
	heed_store_rollback(s);
	return rc;
}

/* Finish f; a lost claim is not an error (another runner has it). */
static int finish(heed_fu_run *r, const heed_followup *f, const char *status, const char *error,
                  const char *result, char **err)
{
	int mine;
	crash_point();
	int rc = heed_store_fu_finish(r->ev->s, f->id, r->who, status, error, result, heed_time_now(), 0,
	                              &mine, err);
	if (rc == HEED_OK && mine) {
		if (strcmp(status, "done") == 0)
			r->done++;
		else if (strcmp(status, "skipped") == 0)
			r->skipped++;
		else
			r->failed++;
	}
	return rc;
}

/* Move the contact on when the criteria for its next stage all pass. */
static int run_stage_check(heed_fu_run *r, const heed_followup *f, char **err)
{
	heed_contact c;
	heed_checks k = { 0 };
	char *msg = NULL, *result = NULL;
	const char *status = "done";
	heed_contact_init(&c);
	int rc = heed_store_load(r->ev->s, f->contact, 0, &c, &msg);
	int st = rc == HEED_OK ? heed_stage_parse(c.stage) : -1, next = st >= 0 ? heed_stage_next(st) : -1;
	if (rc != HEED_OK) {
		status = "failed";
	} else if (next < 0) {
		result = xasprintf("%s has no next stage to check", c.stage);
	} else if (heed_plugins_criteria(r->ev->p, &c, heed_stage_names[next], &k, &msg) != HEED_OK) {
		status = "failed";
	} else {
		int pass = k.n > 0;
		for (size_t i = 0; i < k.n; i++)
			pass = pass && k.v[i].pass;
		heed_stage_req req = { c.id, st, next, heed_time_now(), "followup", "stage-check: criteria passed",
			               heed_plugins_versions_for(r->ev->p, heed_stage_names[next]), 0 };
		if (pass && heed_stage_move(r->ev->s, &req, 0, &msg) != HEED_OK)
			status = "failed";
		else
			result = xasprintf(pass ? "moved %s → %s" : "stays in %s: the criteria for %s do not all pass",
			                   c.stage, heed_stage_names[next]);
		free((char *)req.plugins);
	}
	rc = finish(r, f, status, msg, result, err);
	heed_checks_clear(&k);
	heed_contact_clear(&c);
	free(msg);
	free(result);
	return rc;
}

/* Queue the email under the follow-up's key (a rerun finds the same message)
 * and hand it over; the mail module records the hand-over, so a message
 * already handed over is not sent again. cfg: NULL until loaded (once). */
static int run_email(heed_fu_run *r, const heed_followup *f, heed_mail_config *cfg, int *cfg_ready,
                     char **err)
{
	char *msg = NULL, *result = NULL;
	int64_t id = 0;
	const char *status = "done";
	int rc = HEED_OK;
	if (!*cfg_ready) {
		rc = heed_mail_config_load(r->ev->s, cfg, &msg);
		*cfg_ready = rc == HEED_OK;
	}
	if (rc == HEED_OK)
		rc = heed_mail_queue(r->ev->s, r->ev->p, f->contact, f->tmpl, f->payload, f->key, &id, &msg);
	if (rc == HEED_OK)
		rc = heed_mail_deliver(r->ev->s, cfg, id, &msg);
	if (rc == HEED_OK) {
		result = xasprintf("message %lld handed to the transport", (long long)id);
	} else if (rc == HEED_ERETRY) {
		result = xasprintf("message %lld stays queued; the outbox sends it later (%s)",
		                   (long long)id, msg ? msg : "");
	} else {
		status = rc == HEED_ESKIPPED ? "skipped" : "failed";
	}
	rc = finish(r, f, status, strcmp(status, "done") ? msg : NULL, result, err);
	free(msg);
	free(result);
	return rc;
}

const char *heed_scripts_dir(void)
{
	const char *env = getenv("HEED_SCRIPTS");
	struct stat st;
	if (!heed_empty(env))
		return env;
	if (stat("scripts", &st) == 0 && S_ISDIR(st.st_mode))
		return "scripts";
#ifdef HEED_DEFAULT_SCRIPTS
	return HEED_DEFAULT_SCRIPTS;
#else
	return "scripts";
#endif
}

/* A script follow-up runs <scripts folder>/<template>.lua (heed_scripts_dir)
 * for its contact: the script's policies evaluate that contact. */
static int run_script(heed_fu_run *r, const heed_followup *f, char **err)
{
	const char *dir = heed_scripts_dir();
	char *msg = NULL, *result = NULL, *path = NULL;
	const char *status = "failed";
	if (heed_empty(f->tmpl) || strchr(f->tmpl, '/') || strstr(f->tmpl, "..")) {
		msg = xasprintf("a script follow-up names its script in template (a file name in scripts/,"
		                " without .lua), got '%s'", f->tmpl ? f->tmpl : "");
	} else {
		path = xasprintf("%s/%s.lua", dir, f->tmpl);
		heed_plugins *p = heed_plugins_open_file(path, &msg);
		if (p && heed_plugins_nerrors(p) > 0) {
			msg = xstrdup(heed_plugins_error(p, 0));
		} else if (p) {
			heed_fu_eval ev = { .s = r->ev->s, .p = p, .zone = r->ev->zone, .warn = r->ev->warn,
				            .ud = r->ev->ud };
			if (heed_followup_eval_contact(&ev, f->contact, &msg) == HEED_OK && ev.errors == 0) {
				status = "done";
				result = xasprintf("script %s: %ld follow-up%s added", path, ev.created,
				                   ev.created == 1 ? "" : "s");
			} else if (!msg) {
				msg = xasprintf("script %s failed for contact %lld", path, (long long)f->contact);
			}
			heed_followup_eval_done(&ev);
		}
		heed_plugins_close(p);
	}
	int rc = finish(r, f, status, msg, result, err);
	free(msg);
	free(result);
	free(path);
	return rc;
}

/* ---- the loop ---- */

static int stopping(const heed_fu_run *r)
{
	return r->stop && *r->stop;
}

/* 1 if a policy fires on task events (then executed tasks are evaluated). */
static int answers_tasks(heed_plugins *p)
{
	for (size_t i = 0; i < heed_plugins_npolicies(p); i++) {
		const heed_policy *po = heed_plugins_policy(p, i);
		for (size_t k = 0; po->on == HEED_ON_EVENT && k < po->nevents; k++)
			if (strcmp(po->events[k], "task") == 0)
				return 1;
	}
	return 0;
}

/* Re-evaluate the contacts tasks touched: event policies may answer a task. */
static void reevaluate(heed_fu_run *r, heed_followup *v, size_t n, const char *touched)
{
	for (size_t i = 0; i < n; i++) {
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = touched[k] && v[k].contact == v[i].contact;
		if (!touched[i] || seen)
			continue;
		char *msg = NULL;
		if (heed_followup_eval_contact(r->ev, v[i].contact, &msg) != HEED_OK)
			run_warn(r, msg ? msg : xstrdup("evaluation failed"));
		else
			free(msg);
	}
}

static int run_batch(heed_fu_run *r, heed_followup *v, size_t n, char **err)
{
	char *touched = xcalloc(n + 1, 1);
	heed_mail_config cfg;
	int cfg_ready = 0;
	int rc = run_tasks(r, v, n, touched, err);
	for (size_t i = 0; i < n; i++)
		r->done += touched[i];
	for (size_t i = 0; i < n && rc == HEED_OK && !stopping(r); i++) {
		if (strcmp(v[i].action, "email") == 0)
			rc = run_email(r, &v[i], &cfg, &cfg_ready, err);
		else if (strcmp(v[i].action, "stage-check") == 0)
			rc = run_stage_check(r, &v[i], err);
		else if (strcmp(v[i].action, "script") == 0)
			rc = run_script(r, &v[i], err);
	}
	if (rc == HEED_OK && answers_tasks(r->ev->p))
		reevaluate(r, v, n, touched);
	if (cfg_ready)
		heed_mail_config_clear(&cfg);
	free(touched);
	return rc;
}

int heed_followup_run(heed_fu_run *r, char **err)
{
	char host[64] = "host", *who = NULL;
	if (!r->who) {
		gethostname(host, sizeof host - 1);
		host[sizeof host - 1] = '\0';
		r->who = who = xasprintf("%s:%ld", host, (long)getpid());
	}
	heed_time lease = r->lease > 0 ? r->lease : HEED_FU_LEASE;
	long batch = r->batch > 0 ? r->batch : 200;
	int rc = HEED_OK;
	while (rc == HEED_OK && !stopping(r)) {
		heed_followup *v;
		size_t n;
		rc = heed_store_fu_claim(r->ev->s, r->who, heed_time_now(), lease, batch, &v, &n, err);
		if (rc != HEED_OK || n == 0)
			break;
		rc = run_batch(r, v, n, err);
		heed_followups_free(v, n);
	}
	long released = 0;
	char *msg = NULL;
	if (heed_store_fu_release(r->ev->s, r->who, &released, &msg) != HEED_OK)
		run_warn(r, msg);
	else
		free(msg);
	r->released += released;
	if (who)
		r->who = NULL;
	free(who);
	return rc;
}
