/* luahost_contact: a contact reaches Lua as a table filled on first read from
 * the C record (attributes parsed from JSON only when read), and refuses use
 * after its call ended. Part of the Lua engine (see luahost_int.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htime.h"
#include "json.h"
#include "luahost_int.h"

/* ---- contact → Lua ---- */

typedef struct jbuild {
	lua_State *L;
	int depth;
	int isarr[LH_DEPTH];
	lua_Integer idx[LH_DEPTH];
} jbuild;

/* Store the value on top into the open container (or leave it as the root). */
static int jb_store(jbuild *jb)
{
	if (jb->depth == 0)
		return 0;
	if (jb->isarr[jb->depth - 1])
		lua_rawseti(jb->L, -2, ++jb->idx[jb->depth - 1]);
	else
		lua_rawset(jb->L, -3);
	return 0;
}

static int jb_begin(jbuild *jb, int arr)
{
	if (jb->depth == LH_DEPTH || !lua_checkstack(jb->L, 4))
		return 1;
	int hint = jb->depth == 0 ? 8 : 4; /* attrs usually hold a handful of keys */
	lua_createtable(jb->L, arr ? hint : 0, arr ? 0 : hint);
	jb->isarr[jb->depth] = arr;
	jb->idx[jb->depth] = 0;
	jb->depth++;
	return 0;
}

static int jb_end(jbuild *jb)
{
	jb->depth--;
	return jb_store(jb);
}

static int jb_begin_obj(void *ud) { return jb_begin(ud, 0); }
static int jb_begin_arr(void *ud) { return jb_begin(ud, 1); }
static int jb_end_any(void *ud) { return jb_end(ud); }

static int jb_key(void *ud, const char *s, size_t n)
{
	lua_pushlstring(((jbuild *)ud)->L, s, n);
	return 0;
}

static int jb_str(void *ud, const char *s, size_t n)
{
	lua_pushlstring(((jbuild *)ud)->L, s, n);
	return jb_store(ud);
}

static int jb_num(void *ud, double v)
{
	jbuild *jb = ud;
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		lua_pushinteger(jb->L, (lua_Integer)v);
	else
		lua_pushnumber(jb->L, v);
	return jb_store(jb);
}

static int jb_bool(void *ud, int v)
{
	lua_pushboolean(((jbuild *)ud)->L, v);
	return jb_store(ud);
}

static int jb_null(void *ud)
{
	jbuild *jb = ud;
	if (jb->depth == 0)
		lua_pushnil(jb->L);
	else if (jb->isarr[jb->depth - 1])
		jb->idx[jb->depth - 1]++; /* a hole keeps later positions */
	else
		lua_pop(jb->L, 1); /* drop the key: absent means null */
	return 0;
}

static const heed_json_cb jb_cb = {
	.begin_obj = jb_begin_obj,
	.end_obj = jb_end_any,
	.begin_arr = jb_begin_arr,
	.end_arr = jb_end_any,
	.key = jb_key,
	.str = jb_str,
	.num = jb_num,
	.boolean = jb_bool,
	.null = jb_null,
};

/* Push the JSON object text as a table ({} for NULL); raise an error naming what on bad JSON. */
void lh_push_json_object(lua_State *L, const char *text, const char *what)
{
	if (!text) {
		lua_createtable(L, 0, 0);
		return;
	}
	int top = lua_gettop(L);
	jbuild jb = {.L = L};
	char *err = NULL;
	if (heed_json_parse(text, &jb_cb, &jb, &err) != HEED_OK || lua_gettop(L) != top + 1 ||
	    !lua_istable(L, -1)) {
		lua_settop(L, top);
		lua_pushfstring(L, "%s is not a JSON object: %s", what, err ? err : "wrong type or too deep");
		free(err);
		lua_error(L);
	}
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	if (v) {
		lua_pushlstring(L, v, strlen(v)); /* see push_opt */
		lua_setfield(L, -2, k);
	}
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
	if (!isnan(v)) {
		lua_pushnumber(L, v);
		lua_setfield(L, -2, k);
	}
}

static void set_time(lua_State *L, const char *k, heed_time t)
{
	if (t)
		set_int(L, k, (lua_Integer)t);
}

/* The contact given to plugins is a table filled on first access: the __index
 * of its metatable pushes one field from the C record and stores it in the
 * table, so a call pays only for the fields the plugin reads (the attrs JSON
 * is parsed only when c.attrs is read). __pairs fills every field first.
 * lp->cur is the record of the running call; reading a field that was never
 * filled from a table kept past its call raises an error. */

enum {
	CF_ACTIVITIES, CF_ATTRS, CF_CREATED_AT, CF_DEAL, CF_DO_NOT_CONTACT, CF_EMAIL, CF_EXTERNAL_ID,
	CF_FIRST_NAME, CF_ID, CF_LAST_NAME, CF_ORG, CF_OWNER, CF_PHONE, CF_SCORE, CF_SOURCE, CF_STAGE,
	CF_STAGE_CHANGED_AT, CF_TITLE, CF_UPDATED_AT, CF_N
};

static const char *const cfield_names[CF_N] = {
	"activities", "attrs", "created_at", "deal", "do_not_contact", "email", "external_id",
	"first_name", "id", "last_name", "org", "owner", "phone", "score", "source", "stage",
	"stage_changed_at", "title", "updated_at",
};

static const char contact_key = 'c'; /* registry[&contact_key]: the running call's contact table */

/* Record text is pushed with its length: lua_pushstring would first look it up
 * in Lua's cache of C string addresses, and record text is never there. */
static void push_opt(lua_State *L, const char *s)
{
	if (s)
		lua_pushlstring(L, s, strlen(s));
	else
		lua_pushnil(L);
}

static void push_time(lua_State *L, heed_time t)
{
	if (t)
		lua_pushinteger(L, (lua_Integer)t);
	else
		lua_pushnil(L);
}

static void push_activities(lua_State *L, const heed_contact *c)
{
	lua_createtable(L, (int)c->nacts, 0);
	for (size_t i = 0; i < c->nacts; i++) {
		const heed_activity *a = &c->acts[i];
		lua_createtable(L, 0, 4);
		set_int(L, "id", (lua_Integer)a->id);
		set_str(L, "kind", a->kind);
		set_int(L, "at", (lua_Integer)a->at);
		lh_push_json_object(L, a->data, "activity data");
		lua_setfield(L, -2, "data");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* The org table's keys, created once per state (org_keys) so building the
 * table needs no string lookups. */
const char *const lh_org_keys[ORG_NKEYS] = { "name", "domain", "industry", "employees", "country" };

/* Push field f of c (nil when unknown), as plugins/README.md documents it. */
static void push_cfield(lua_State *L, const heed_contact *c, int f)
{
	switch (f) {
	case CF_ACTIVITIES: push_activities(L, c); break;
	case CF_ATTRS: lh_push_json_object(L, c->attrs, "attrs"); break;
	case CF_CREATED_AT: push_time(L, c->created_at); break;
	case CF_DEAL:
		if (!c->deal.present) {
			lua_pushnil(L);
			break;
		}
		lua_createtable(L, 0, 5);
		set_num(L, "value", c->deal.value);
		set_str(L, "currency", c->deal.currency);
		set_time(L, "close_date", c->deal.close_date);
		set_str(L, "decision_makers", c->deal.decision_makers);
		set_num(L, "probability", c->deal.probability);
		break;
	case CF_DO_NOT_CONTACT: lua_pushboolean(L, c->do_not_contact); break;
	case CF_EMAIL: push_opt(L, c->email); break;
	case CF_EXTERNAL_ID: push_opt(L, c->external_id); break;
	case CF_FIRST_NAME: push_opt(L, c->first_name); break;
	case CF_ID: lua_pushinteger(L, (lua_Integer)c->id); break;
	case CF_LAST_NAME: push_opt(L, c->last_name); break;
	case CF_ORG: {
		const char *v[ORG_NKEYS] = { c->org.name, c->org.domain, c->org.industry, NULL, c->org.country };
		lua_createtable(L, 0, ORG_NKEYS);
		lua_rawgeti(L, LUA_REGISTRYINDEX, lh_plugin_of(L)->org_keys);
		for (int k = 0; k < ORG_NKEYS; k++) {
			if (k == ORG_EMPLOYEES ? c->org.employees < 0 : !v[k])
				continue;
			lua_rawgeti(L, -1, k + 1);
			if (k == ORG_EMPLOYEES)
				lua_pushinteger(L, (lua_Integer)c->org.employees);
			else
				lua_pushlstring(L, v[k], strlen(v[k]));
			lua_rawset(L, -4);
		}
		lua_pop(L, 1);
		break;
	}
	case CF_OWNER: push_opt(L, c->owner); break;
	case CF_PHONE: push_opt(L, c->phone); break;
	case CF_SCORE:
		if (isnan(c->score))
			lua_pushnil(L);
		else
			lua_pushnumber(L, c->score);
		break;
	case CF_SOURCE: push_opt(L, c->source); break;
	case CF_STAGE: push_opt(L, c->stage[0] ? c->stage : NULL); break;
	case CF_STAGE_CHANGED_AT: push_time(L, c->stage_changed_at); break;
	case CF_TITLE: push_opt(L, c->title); break;
	case CF_UPDATED_AT: push_time(L, c->updated_at); break;
	default: lua_pushnil(L); break;
	}
}

/* The record behind the contact table at index 1, or an error if the table outlived its call. */
static const heed_contact *contact_of(lua_State *L)
{
	lplugin *lp = lh_plugin_of(L);
	if (!lp->cur || lua_topointer(L, 1) != lp->cur_table)
		luaL_error(L, "a contact table was used after its call ended; copy the fields you need during the call");
	return lp->cur;
}

/* __index(t, k): fill t[k] from the record. Upvalue 1 maps field names to CF_*. */
static int contact_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER)
		return 0;
	int f = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	push_cfield(L, contact_of(L), f);
	if (!lua_isnil(L, -1)) {
		lua_pushvalue(L, 2);
		lua_pushvalue(L, -2);
		lua_rawset(L, 1);
	}
	return 1;
}

/* __pairs(t): fill every field, then iterate with next (upvalue 1). */
static int contact_pairs(lua_State *L)
{
	const heed_contact *c = contact_of(L);
	for (int f = 0; f < CF_N; f++) {
		lua_pushstring(L, cfield_names[f]);
		if (lua_rawget(L, 1) == LUA_TNIL) {
			push_cfield(L, c, f);
			if (!lua_isnil(L, -1)) {
				lua_pushstring(L, cfield_names[f]);
				lua_insert(L, -2);
				lua_rawset(L, 1);
			}
		}
		lua_settop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* Create the contact metatable (registry reference in lp->contact_mt); env is the sandbox. */
void lh_make_contact_mt(lua_State *L, lplugin *lp, int env)
{
	lua_createtable(L, 0, 3);
	lua_createtable(L, 0, CF_N);
	for (int f = 0; f < CF_N; f++) {
		lua_pushinteger(L, f);
		lua_setfield(L, -2, cfield_names[f]);
	}
	lua_pushcclosure(L, contact_index, 1);
	lua_setfield(L, -2, "__index");
	lua_getfield(L, env, "next");
	lua_pushcclosure(L, contact_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_pushliteral(L, "heed contact"); /* getmetatable returns this; setmetatable refuses */
	lua_setfield(L, -2, "__metatable");
	lp->contact_mt = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Push a contact table for c and make it the running call's. */
void lh_push_contact(lua_State *L, lplugin *lp, const heed_contact *c)
{
	lua_createtable(L, 0, 8); /* room for the fields a plugin usually reads */
	lua_rawgeti(L, LUA_REGISTRYINDEX, lp->contact_mt);
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &contact_key);
	lp->cur = c;
	lp->cur_table = lua_topointer(L, -1);
}
