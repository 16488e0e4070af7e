/* followup: evaluating policies into the ledger (see followup.h). Running
 * follow-ups is in followup_run.c. */
#include "followup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "store_followup.h"
#include "util.h"

#define EVENT_WINDOW (30 * 86400) /* events a policy without a stage looks back on */

typedef struct owner_zone {
	char *owner, *zone; /* zone NULL = none set */
} owner_zone;

/* Per-evaluation state: parsed schedules, owners' zones, scratch. */
struct fu_evalstate {
	heed_schedule *sched; /* per policy (valid when its on is HEED_ON_SCHEDULE) */
	char **ids;           /* per policy: "plugin/name" */
	int *failed;          /* per policy: it failed for the contact in hand */
	size_t npol;
	owner_zone *owners;
	size_t nowners;
	char *zone;           /* the default zone */
	char **keys;          /* the keys asked for, for the contact in hand */
	size_t nkeys, capkeys;
	heed_fu_ref *refs;    /* the follow-ups of the contacts lo..hi */
	size_t nrefs, at;
	size_t mine, nmine;   /* the slice of refs of the contact in hand */
	int64_t lo, hi;
	heed_buf buf;
};

static void warn(heed_fu_eval *ev, char *msg)
{
	if (ev->warn)
		ev->warn(ev->ud, msg);
	free(msg);
}

static int state_init(heed_fu_eval *ev, char **err)
{
	if (ev->st)
		return HEED_OK;
	struct fu_evalstate *st = ev->st = xcalloc(1, sizeof *st);
	st->npol = heed_plugins_npolicies(ev->p);
	st->sched = xcalloc(st->npol + 1, sizeof *st->sched);
	st->ids = xcalloc(st->npol + 1, sizeof *st->ids);
	st->failed = xcalloc(st->npol + 1, sizeof *st->failed);
	st->lo = 1, st->hi = 0;
	const char *env = getenv("HEED_TZ");
	if (ev->zone || !heed_empty(env)) {
		st->zone = xstrdup(ev->zone ? ev->zone : env);
	} else if (heed_store_setting(ev->s, "timezone", &st->zone, err) != HEED_OK) {
		return HEED_ERR;
	}
	if (!st->zone)
		st->zone = xstrdup("UTC");
	if (!heed_sched_zone_valid(st->zone)) {
		heed_seterr(err, "time zone '%s' (the default: HEED_TZ or the timezone setting) is not an"
		                 " IANA zone the system knows; set one with: heed config timezone Europe/Berlin",
		            st->zone);
		return HEED_EINPUT;
	}
	for (size_t i = 0; i < st->npol; i++) {
		const heed_policy *po = heed_plugins_policy(ev->p, i);
		st->ids[i] = xasprintf("%s/%s", po->plugin, po->name);
		if (po->on == HEED_ON_SCHEDULE &&
		    heed_sched_parse(po->schedule, st->zone, &st->sched[i], err) != HEED_OK)
			return HEED_EINPUT;
	}
	return HEED_OK;
}

void heed_followup_eval_done(heed_fu_eval *ev)
{
	struct fu_evalstate *st = ev->st;
	if (!st)
		return;
	for (size_t i = 0; i < st->npol; i++)
		free(st->ids[i]);
	for (size_t i = 0; i < st->nowners; i++) {
		free(st->owners[i].owner);
		free(st->owners[i].zone);
	}
	for (size_t i = 0; i < st->nkeys; i++)
		free(st->keys[i]);
	free(st->keys);
	heed_fu_refs_free(st->refs, st->nrefs);
	free(st->owners);
	free(st->sched);
	free(st->ids);
	free(st->failed);
	free(st->zone);
	heed_buf_free(&st->buf);
	free(st);
	ev->st = NULL;
}

/* ---- time zones of a contact ---- */

/* The string value of "name" in a flat JSON object text, or NULL. Caller frees. */
static char *json_string_of(const char *json, const char *name)
{
	if (!json)
		return NULL;
	size_t n = strlen(name);
	for (const char *p = strstr(json, name); p; p = strstr(p + 1, name)) {
		if (p == json || p[-1] != '"' || p[n] != '"')
			continue;
		const char *q = p + n + 1;
		while (*q == ' ' || *q == ':')
			q++;
		if (*q != '"')
			return NULL;
		const char *end = strchr(q + 1, '"');
		return end ? xstrndup(q + 1, (size_t)(end - q - 1)) : NULL;
	}
	return NULL;
}

static const char *owner_zone_of(heed_fu_eval *ev, const char *owner)
{
	struct fu_evalstate *st = ev->st;
	for (size_t i = 0; i < st->nowners; i++)
		if (strcmp(st->owners[i].owner, owner) == 0)
			return st->owners[i].zone;
	char *key = xasprintf("timezone.%s", owner), *zone = NULL;
	heed_store_setting(ev->s, key, &zone, NULL);
	free(key);
	st->owners = xrealloc(st->owners, (st->nowners + 1) * sizeof *st->owners);
	st->owners[st->nowners++] = (owner_zone){ xstrdup(owner), zone };
	return zone;
}

/* The zone of a follow-up: its own, else the contact's (attrs tz or
 * timezone), else its owner's (setting timezone.<owner>), else the default.
 * OUT: *own = a string the caller frees, or NULL. */
static const char *zone_for(heed_fu_eval *ev, const heed_contact *c, const char *given, char **own)
{
	*own = NULL;
	if (given)
		return given;
	if (c->attrs && (strstr(c->attrs, "\"tz\"") || strstr(c->attrs, "\"timezone\""))) {
		*own = json_string_of(c->attrs, "tz");
		if (!*own)
			*own = json_string_of(c->attrs, "timezone");
		if (*own && heed_sched_zone_valid(*own))
			return *own;
		if (*own)
			warn(ev, xasprintf("contact %lld%s%s%s: time zone '%s' in attrs is not a zone the"
			                   " system knows; using the owner's or the default zone instead",
			                   (long long)c->id, heed_empty(c->email) ? "" : " (",
			                   heed_empty(c->email) ? "" : c->email, heed_empty(c->email) ? "" : ")",
			                   *own));
		free(*own);
		*own = NULL;
	}
	const char *z = heed_empty(c->owner) ? NULL : owner_zone_of(ev, c->owner);
	return z && heed_sched_zone_valid(z) ? z : ev->st->zone;
}

/* ---- one contact ---- */

/* The loop depth an activity carries: "depth" in the data of one a follow-up made. */
static int act_depth(const heed_activity *a)
{
	const char *d = a->data ? strstr(a->data, "\"depth\":") : NULL;
	return d ? atoi(d + 8) : -1;
}

static void keep_key(struct fu_evalstate *st, const char *key)
{
	if (st->nkeys == st->capkeys) {
		st->capkeys = st->capkeys ? st->capkeys * 2 : 16;
		st->keys = xrealloc(st->keys, st->capkeys * sizeof *st->keys);
	}
	st->keys[st->nkeys++] = xstrdup(key);
}

/* 1 if the contact in hand already has a follow-up with this key. */
static int known(struct fu_evalstate *st, const char *key)
{
	for (size_t k = st->mine; k < st->mine + st->nmine; k++)
		if (strcmp(st->refs[k].key, key) == 0)
			return 1;
	return 0;
}

/* Store the follow-ups one firing of policy i asked for. */
static int store_specs(heed_fu_eval *ev, size_t i, const heed_contact *c, const heed_trigger *t,
                       const heed_fu_specs *sp, int depth, char **err)
{
	struct fu_evalstate *st = ev->st;
	const heed_policy *po = heed_plugins_policy(ev->p, i);
	int rc = HEED_OK;
	for (size_t k = 0; k < sp->n && rc == HEED_OK; k++) {
		const heed_fu_spec *x = &sp->v[k];
		char *own, *msg = NULL;
		const char *zone = zone_for(ev, c, x->tz, &own);
		heed_time due = x->due ? 0 : x->due_at ? x->due_at : t->at;
		if (!x->due && (due < HEED_TIME_MIN || due > HEED_TIME_MAX))
			msg = xasprintf("due %lld is outside the years 0000..9999", (long long)due);
		if (msg || (x->due && heed_sched_due(x->due, t->at, zone, &due, &msg) != HEED_OK)) {
			warn(ev, xasprintf("policy '%s' (plugin '%s', line %d), contact %lld: %s", po->name,
			                   po->plugin, po->line, (long long)c->id, msg));
			free(msg);
			free(own);
			ev->errors++;
			st->failed[i] = 1;
			continue;
		}
		heed_buf_reset(&st->buf);
		heed_buf_addf(&st->buf, "%s|%lld|%s|%s", st->ids[i], (long long)c->id, t->occurrence, x->key);
		keep_key(st, heed_buf_str(&st->buf));
		if (known(st, st->buf.s)) {
			free(own);
			continue; /* made before: nothing to store */
		}
		heed_followup f = { .key = st->buf.s, .policy = st->ids[i], .contact = c->id,
			            .action = x->action, .due_at = due, .tz = (char *)zone, .tmpl = x->tmpl,
			            .title = x->title, .payload = x->payload, .depth = depth };
		int created = 0;
		rc = heed_store_fu_add(ev->s, &f, &created, err);
		ev->created += created;
		free(own);
	}
	return rc;
}

/* Run policy i once for c with trigger t; depth: of the follow-ups it makes. */
static int fire(heed_fu_eval *ev, size_t i, const heed_contact *c, const heed_trigger *t, int depth,
                char **err)
{
	const heed_policy *po = heed_plugins_policy(ev->p, i);
	int max = ev->max_depth > 0 ? ev->max_depth : HEED_FU_MAX_DEPTH;
	if (depth > max) {
		ev->stopped++;
		warn(ev, xasprintf("policy '%s' (plugin '%s', line %d) stopped at depth %d: its follow-ups"
		                   " trigger it again (contact %lld, event %s); no more are made",
		                   po->name, po->plugin, po->line, max, (long long)c->id,
		                   t->event ? t->event->kind : "?"));
		return HEED_OK;
	}
	heed_fu_specs sp = { 0 };
	char *msg = NULL;
	int rc = HEED_OK;
	if (heed_plugins_policy_run(ev->p, i, c, t, &sp, &msg) != HEED_OK) {
		ev->errors++;
		ev->st->failed[i] = 1;
		warn(ev, msg ? msg : xasprintf("policy '%s' failed", po->name));
	} else {
		rc = store_specs(ev, i, c, t, &sp, depth, err);
	}
	heed_fu_specs_clear(&sp);
	return rc;
}

static int has_kind(const heed_policy *po, const char *kind)
{
	for (size_t k = 0; k < po->nevents; k++)
		if (strcmp(po->events[k], kind) == 0)
			return 1;
	return 0;
}

static int fire_policy(heed_fu_eval *ev, size_t i, const heed_contact *c, char **err)
{
	const heed_policy *po = heed_plugins_policy(ev->p, i);
	char occ[64];
	heed_trigger t = { .on = po->on };
	if (po->stage && strcmp(po->stage, c->stage) != 0)
		return HEED_OK;
	if (po->on == HEED_ON_STAGE) {
		snprintf(occ, sizeof occ, "%s@%lld", c->stage, (long long)c->stage_changed_at);
		t.at = c->stage_changed_at;
		t.occurrence = occ;
		return fire(ev, i, c, &t, 0, err);
	}
	heed_time now = heed_time_now();
	if (po->on == HEED_ON_SCHEDULE) {
		t.at = heed_sched_prev(&ev->st->sched[i], now);
		if (!t.at || (po->stage && t.at < c->stage_changed_at))
			return HEED_OK;
		heed_time_format(t.at, occ);
		t.occurrence = occ;
		return fire(ev, i, c, &t, 0, err);
	}
	heed_time since = po->stage ? c->stage_changed_at : now - EVENT_WINDOW;
	int rc = HEED_OK;
	for (size_t k = 0; k < c->nacts && rc == HEED_OK; k++) {
		const heed_activity *a = &c->acts[k];
		if (a->at < since || !has_kind(po, a->kind))
			continue;
		snprintf(occ, sizeof occ, "act%lld", (long long)a->id);
		t.at = a->at;
		t.occurrence = occ;
		t.event = a;
		rc = fire(ev, i, c, &t, act_depth(a) + 1, err);
	}
	return rc;
}

static int key_in(struct fu_evalstate *st, const char *key)
{
	for (size_t i = 0; i < st->nkeys; i++)
		if (strcmp(st->keys[i], key) == 0)
			return 1;
	return 0;
}

/* The policy (index) whose key prefix "<plugin>/<name>|" key has, or npol. */
static size_t policy_of(struct fu_evalstate *st, const char *key)
{
	const char *bar = strchr(key, '|');
	size_t n = bar ? (size_t)(bar - key) : 0, i = 0;
	while (i < st->npol && !(strncmp(st->ids[i], key, n) == 0 && st->ids[i][n] == '\0'))
		i++;
	return i;
}

/* Pending follow-ups of c that a policy (which ran cleanly) no longer asks for. */
static int cancel_unwanted(heed_fu_eval *ev, const heed_contact *c, char **err)
{
	struct fu_evalstate *st = ev->st;
	int rc = HEED_OK;
	for (size_t k = st->mine; k < st->mine + st->nmine && rc == HEED_OK; k++) {
		heed_fu_ref *r = &st->refs[k];
		if (!r->pending)
			continue;
		size_t i = policy_of(st, r->key);
		if (i == st->npol || st->failed[i] || key_in(st, r->key))
			continue; /* not a loaded policy's, or it failed, or still wanted */
		char *why = xasprintf("cancelled: policy %s no longer asks for it (contact in stage %s)",
		                      st->ids[i], c->stage);
		rc = heed_store_fu_cancel(ev->s, r->id, why, heed_time_now(), err);
		free(why);
		ev->cancelled++;
	}
	return rc;
}

/* Evaluate every policy for c; the follow-ups of c must be loaded (refs). */
static int eval_one(heed_fu_eval *ev, const heed_contact *c, char **err)
{
	struct fu_evalstate *st = ev->st;
	int rc = HEED_OK;
	for (size_t i = 0; i < st->nkeys; i++)
		free(st->keys[i]);
	st->nkeys = 0;
	memset(st->failed, 0, st->npol * sizeof *st->failed);
	while (st->at < st->nrefs && st->refs[st->at].contact < c->id)
		st->at++;
	st->mine = st->at;
	while (st->at < st->nrefs && st->refs[st->at].contact == c->id)
		st->at++;
	st->nmine = st->at - st->mine;
	for (size_t i = 0; i < st->npol && rc == HEED_OK; i++)
		rc = fire_policy(ev, i, c, err);
	if (rc == HEED_OK)
		rc = cancel_unwanted(ev, c, err);
	ev->contacts++;
	return rc;
}

enum { REF_SPAN = 2048 }; /* contact ids whose pending follow-ups are read at once */

static int load_refs(heed_fu_eval *ev, int64_t id, int64_t hi, char **err)
{
	struct fu_evalstate *st = ev->st;
	if (id >= st->lo && id <= st->hi)
		return HEED_OK;
	heed_fu_refs_free(st->refs, st->nrefs);
	st->refs = NULL;
	st->nrefs = st->at = st->mine = st->nmine = 0;
	st->lo = id;
	st->hi = hi;
	return heed_store_fu_refs(ev->s, st->lo, st->hi, &st->refs, &st->nrefs, err);
}

struct each_ud {
	heed_fu_eval *ev;
	char **err;
	int rc;
};

static int visit(void *ud, heed_contact *c)
{
	struct each_ud *e = ud;
	e->rc = load_refs(e->ev, c->id, c->id + REF_SPAN - 1, e->err);
	if (e->rc == HEED_OK)
		e->rc = eval_one(e->ev, c, e->err);
	return e->rc != HEED_OK || (e->ev->stop && *e->ev->stop);
}

int heed_followup_eval_all(heed_fu_eval *ev, char **err)
{
	int rc = state_init(ev, err);
	if (rc != HEED_OK || ev->st->npol == 0)
		return rc;
	ev->st->lo = 1, ev->st->hi = 0;
	struct each_ud e = { ev, err, HEED_OK };
	rc = heed_store_each(ev->s, NULL, 1, visit, &e, err);
	return rc != HEED_OK ? rc : e.rc;
}

int heed_followup_eval_contact(heed_fu_eval *ev, int64_t id, char **err)
{
	int rc = state_init(ev, err);
	if (rc != HEED_OK || ev->st->npol == 0)
		return rc;
	heed_contact c;
	heed_contact_init(&c);
	rc = heed_store_begin(ev->s, err);
	if (rc == HEED_OK)
		rc = heed_store_load(ev->s, id, 0, &c, err);
	ev->st->lo = 1, ev->st->hi = 0;
	if (rc == HEED_OK)
		rc = load_refs(ev, id, id, err);
	if (rc == HEED_OK)
		rc = eval_one(ev, &c, err);
	if (rc == HEED_OK)
		rc = heed_store_commit(ev->s, err);
	else
		heed_store_rollback(ev->s);
	heed_contact_clear(&c);
	return rc;
}
