/* luahost_policy: follow-up policies in plugins, part of the Lua engine (see
 * luahost_int.h). Reads a plugin's `policies` array at load and runs one
 * policy's function for a contact and trigger, turning the follow-ups it
 * returns into heed_fu_spec records (validated here: unknown keys, wrong types
 * and duplicate keys are errors naming the policy). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "luahost_int.h"
#include "sched.h"
#include "stage.h"

typedef struct lpolicy {
	char *fn; /* "policies.<name>", for messages */
	int ref, line;
} lpolicy;

static const char *const policy_keys[] = {
	"event", "name", "run", "schedule", "stage", NULL,
};

static const char *const fu_keys[] = {
	"action", "due", "key", "payload", "template", "title", "tz", NULL,
};

static const char *const actions[] = { "task", "email", "stage-check", "script", NULL };

/* t[k] as a string (NULL when nil); error naming what otherwise. Not copied. */
static const char *str_field(lua_State *L, int t, const char *k, const char *what)
{
	int type = lh_rawfield(L, t, k);
	const char *s = NULL;
	if (type == LUA_TSTRING)
		s = lua_tostring(L, -1);
	else if (type != LUA_TNIL)
		luaL_error(L, "%s: %s must be a string, got %s", what, k, luaL_typename(L, -1));
	lua_pop(L, 1); /* the string stays alive in t */
	return s;
}

/* The event kinds of policy table t (a string or an array of strings). */
static void read_events(lua_State *L, int t, const char *what, heed_policy *out)
{
	int type = lh_rawfield(L, t, "event");
	if (type == LUA_TSTRING) {
		out->events = xmalloc(sizeof *out->events);
		out->events[out->nevents++] = xstrdup(lua_tostring(L, -1));
	} else if (type == LUA_TTABLE) {
		lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
		if (n == 0)
			luaL_error(L, "%s: event is an empty list", what);
		for (lua_Integer i = 1; i <= n; i++) {
			if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
				luaL_error(L, "%s: event[%d] must be a string (an activity kind)", what, (int)i);
			lua_pop(L, 1);
		}
		out->events = xcalloc((size_t)n, sizeof *out->events);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, i);
			out->events[out->nevents++] = xstrdup(lua_tostring(L, -1));
			lua_pop(L, 1);
		}
	} else if (type != LUA_TNIL) {
		luaL_error(L, "%s: event must be an activity kind or a list of them, got %s", what,
		           luaL_typename(L, -1));
	}
	lua_pop(L, 1);
}

/* Validate policy table e (number i) and return its description; the strings
 * are copied only once everything checked out, except events (freed with it). */
static void read_policy(lua_State *L, int e, int i, heed_policy *out, lpolicy *lpo)
{
	const char *what = lua_pushfstring(L, "policies[%d]", i);
	if (!lua_istable(L, e))
		luaL_error(L, "%s must be a table {name=, stage=|event=|schedule=, run=}, got %s", what,
		           luaL_typename(L, e));
	lh_check_keys(L, e, what, policy_keys);
	const char *name = str_field(L, e, "name", what);
	if (heed_empty(name))
		luaL_error(L, "%s has no name (a non-empty string)", what);
	what = lua_pushfstring(L, "policy '%s'", name);
	const char *stage = str_field(L, e, "stage", what);
	const char *schedule = str_field(L, e, "schedule", what);
	if (stage && heed_stage_parse(stage) < 0)
		luaL_error(L, "%s: stage '%s' is not a stage (lead, prospect, opportunity, won, lost,"
		              " disqualified)", what, stage);
	if (schedule) {
		heed_schedule sc;
		char *err = NULL;
		if (heed_sched_parse(schedule, NULL, &sc, &err) != HEED_OK) {
			lua_pushfstring(L, "%s: %s", what, err);
			free(err);
			lua_error(L);
		}
	}
	if (lh_rawfield(L, e, "run") != LUA_TFUNCTION)
		luaL_error(L, "%s: run must be a function (contact, ctx) returning follow-ups, got %s", what,
		           luaL_typename(L, -1));
	int line = lh_fn_line(L, -1);
	read_events(L, e, what, out); /* after the checks that need no freeing */
	if (out->nevents && schedule)
		luaL_error(L, "%s: give event or schedule, not both", what);
	if (!out->nevents && !schedule && !stage)
		luaL_error(L, "%s: say when it fires: stage = (on entering it), event = or schedule =", what);
	out->on = out->nevents ? HEED_ON_EVENT : schedule ? HEED_ON_SCHEDULE : HEED_ON_STAGE;
	out->line = line;
	out->name = xstrdup(name);
	out->stage = xstrdup(stage);
	out->schedule = xstrdup(schedule);
	lpo->line = line;
	lpo->fn = xasprintf("policies.%s", name);
	lpo->ref = luaL_ref(L, LUA_REGISTRYINDEX); /* pops run */
	lua_pop(L, 2);                             /* the two what strings */
}

void lh_read_policies(lua_State *L, lplugin *lp, int t, heed_plugin_info *info)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, t);
	if (n > 1000)
		luaL_error(L, "policies: %d policies; a plugin may declare at most 1000", (int)n);
	info->policies = xcalloc((size_t)n + 1, sizeof *info->policies);
	lp->policies = xcalloc((size_t)n + 1, sizeof *lp->policies);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, t, i);
		size_t k = info->npolicies;
		/* counted before reading, so a failure half-way is freed with the rest */
		info->npolicies++;
		lp->npolicies++;
		lp->policies[k].ref = LUA_NOREF;
		read_policy(L, lua_gettop(L), (int)i, &info->policies[k], &lp->policies[k]);
		info->policies[k].plugin = info->name;
		for (size_t j = 0; j < k; j++)
			if (strcmp(info->policies[j].name, info->policies[k].name) == 0)
				luaL_error(L, "policies: two policies are named '%s'", info->policies[k].name);
		lua_pop(L, 1);
	}
}

void lh_free_policies(lplugin *lp)
{
	for (size_t i = 0; i < lp->npolicies; i++)
		free(lp->policies[i].fn);
	free(lp->policies);
	lp->policies = NULL;
	lp->npolicies = 0;
}

/* ---- running a policy ---- */

/* A payload table (string keys; string, number or boolean values) as JSON. */
static char *payload_json(lua_State *L, int t, const char *what)
{
	if (lua_type(L, t) == LUA_TSTRING)
		return xstrdup(lua_tostring(L, t));
	if (!lua_istable(L, t))
		luaL_error(L, "%s: payload must be a table, got %s", what, luaL_typename(L, t));
	heed_buf b = { 0 };
	heed_buf_addc(&b, '{');
	lua_pushnil(L);
	while (lua_next(L, t)) {
		int kt = lua_type(L, -2), vt = lua_type(L, -1);
		if (kt != LUA_TSTRING || (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)) {
			heed_buf_free(&b);
			luaL_error(L, "%s: payload keys must be strings and values strings, numbers or"
			              " booleans (got %s = %s)", what, luaL_typename(L, -2), luaL_typename(L, -1));
		}
		if (b.len > 1)
			heed_buf_addc(&b, ',');
		heed_json_str(&b, lua_tostring(L, -2));
		heed_buf_addc(&b, ':');
		if (vt == LUA_TSTRING)
			heed_json_str(&b, lua_tostring(L, -1));
		else if (vt == LUA_TBOOLEAN)
			heed_buf_adds(&b, lua_toboolean(L, -1) ? "true" : "false");
		else
			heed_json_num(&b, lua_tonumber(L, -1));
		lua_pop(L, 1);
	}
	heed_buf_addc(&b, '}');
	return heed_buf_detach(&b);
}

/* Follow-up number i at index e → a spec appended to out (validated first). */
static void read_fu(lua_State *L, int e, int i, heed_fu_specs *out)
{
	const char *what = lua_pushfstring(L, "follow-up %d", i);
	if (!lua_istable(L, e))
		luaL_error(L, "%s must be a table {action=, due=, …}, got %s", what, luaL_typename(L, e));
	lh_check_keys(L, e, what, fu_keys);
	const char *action = str_field(L, e, "action", what);
	const char *const *a = actions;
	while (action && *a && strcmp(*a, action) != 0)
		a++;
	if (!action || !*a)
		luaL_error(L, "%s: action must be task, email, stage-check or script, got %s", what,
		           action ? action : "nothing");
	const char *key = str_field(L, e, "key", what), *tmpl = str_field(L, e, "template", what);
	const char *title = str_field(L, e, "title", what), *tz = str_field(L, e, "tz", what);
	const char *due = NULL;
	lua_Integer due_at = 0;
	int type = lh_rawfield(L, e, "due");
	if (type == LUA_TNUMBER && lua_isinteger(L, -1))
		due_at = lua_tointeger(L, -1);
	else if (type == LUA_TSTRING)
		due = lua_tostring(L, -1);
	else if (type != LUA_TNIL)
		luaL_error(L, "%s: due must be a time expression (\"+3d\", \"next business day 09:00\") or"
		              " epoch seconds, got %s", what, luaL_typename(L, -1));
	lua_pop(L, 1);
	if (tz && !heed_sched_zone_valid(tz))
		luaL_error(L, "%s: unknown time zone '%s' (want an IANA name such as Europe/Warsaw)", what, tz);
	if (!key)
		key = tmpl ? tmpl : title ? title : action;
	for (size_t k = 0; k < out->n; k++)
		if (strcmp(out->v[k].key, key) == 0)
			luaL_error(L, "%s: key '%s' is used twice in one run (give each follow-up its own key)",
			           what, key);
	char *payload = NULL;
	if (lh_rawfield(L, e, "payload") != LUA_TNIL)
		payload = payload_json(L, lua_gettop(L), what);
	lua_pop(L, 1);
	out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
	out->v[out->n++] = (heed_fu_spec){
		.action = xstrdup(action), .key = xstrdup(key), .due = xstrdup(due), .tz = xstrdup(tz),
		.tmpl = xstrdup(tmpl), .title = xstrdup(title), .payload = payload, .due_at = due_at,
	};
	lua_pop(L, 1); /* what */
}

enum { LH_MAX_FOLLOWUPS = 1000 };

static const char *const trigger_names[] = { "stage", "event", "schedule" };

/* Arguments: none. Pushes run, the contact and ctx, calls, reads the result. */
static int body_policy(lua_State *L, gate *g)
{
	const heed_trigger *t = ((void **)g->out)[1];
	heed_fu_specs *out = ((void **)g->out)[0];
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
	lh_push_contact(L, g->lp, g->c);
	lua_createtable(L, 0, 5);
	lua_pushstring(L, trigger_names[t->on]);
	lua_setfield(L, -2, "trigger");
	lua_pushinteger(L, (lua_Integer)t->at);
	lua_setfield(L, -2, "at");
	lua_pushinteger(L, (lua_Integer)heed_time_now());
	lua_setfield(L, -2, "now");
	lua_pushstring(L, t->occurrence ? t->occurrence : "");
	lua_setfield(L, -2, "occurrence");
	if (t->event) {
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, (lua_Integer)t->event->id);
		lua_setfield(L, -2, "id");
		lua_pushstring(L, t->event->kind);
		lua_setfield(L, -2, "kind");
		lua_pushinteger(L, (lua_Integer)t->event->at);
		lua_setfield(L, -2, "at");
		lua_setfield(L, -2, "event");
	}
	lua_call(L, 2, 1);
	int r = lua_gettop(L);
	if (lua_isnil(L, r))
		return 0;
	if (!lua_istable(L, r))
		luaL_error(L, "a policy must return an array of follow-ups (or nil), got %s", luaL_typename(L, r));
	lua_Integer n = (lua_Integer)lua_rawlen(L, r);
	/* keys are checked against each other in C, outside the plugin's budgets:
	 * a bound keeps that cheap, and no contact needs more in one firing */
	if (n > LH_MAX_FOLLOWUPS)
		luaL_error(L, "a policy returned %I follow-ups for one contact; at most %d per firing",
		           (LUAI_UACINT)n, LH_MAX_FOLLOWUPS);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, r, i);
		read_fu(L, lua_gettop(L), (int)i, out);
		lua_settop(L, r);
	}
	return 0;
}

int lh_policy(void *state, size_t i, const heed_contact *c, const heed_trigger *t, heed_fu_specs *out,
              char **err)
{
	lplugin *lp = state;
	if (i >= lp->npolicies)
		return HEED_ENOTFOUND;
	lpolicy *po = &lp->policies[i];
	size_t n0 = out->n;
	void *io[2] = { out, (void *)t };
	gate g = { .lp = lp, .fn = po->fn, .line = po->line, .ref = po->ref, .c = c, .body = body_policy,
		   .out = io };
	int rc = lh_gate_call(&g, err);
	lp->cur = NULL;
	if (rc != HEED_OK) { /* drop what a failed run returned */
		heed_fu_specs tail = { out->v + n0, out->n - n0 };
		for (size_t k = 0; k < tail.n; k++) {
			heed_fu_spec *x = &tail.v[k];
			free(x->action), free(x->key), free(x->due), free(x->tz);
			free(x->tmpl), free(x->title), free(x->payload);
		}
		out->n = n0;
	}
	return rc;
}
