/* luahost_map: a map's row function — the CSV row in as a Lua table, the
 * returned fields, activities and warnings out as a heed_fieldset. Part of the
 * Lua engine (see luahost_int.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htime.h"
#include "json.h"
#include "luahost_int.h"

/* ---- map rows ---- */

static int key_cmp(const void *a, const void *b)
{
	const lkey *x = a, *y = b;
	int d = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
	return d ? d : (x->n > y->n) - (x->n < y->n);
}

/* Append the value at idx as JSON: arrays for sequences, objects (sorted keys) for string keys. */
static void json_from_lua(lua_State *L, lplugin *lp, int idx, heed_buf *b, int depth)
{
	idx = lua_absindex(L, idx);
	size_t len;
	const char *s;
	switch (lua_type(L, idx)) {
	case LUA_TNIL: heed_buf_adds(b, "null"); return;
	case LUA_TBOOLEAN: heed_buf_adds(b, lua_toboolean(L, idx) ? "true" : "false"); return;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			heed_json_int(b, (int64_t)lua_tointeger(L, idx));
		else
			heed_json_num(b, (double)lua_tonumber(L, idx));
		return;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		heed_json_strn(b, s, len);
		return;
	case LUA_TTABLE: break;
	default: luaL_error(L, "activity data cannot hold a %s", luaL_typename(L, idx));
	}
	if (depth >= LH_DEPTH)
		luaL_error(L, "activity data nests deeper than %d levels (a cycle?)", LH_DEPTH);
	luaL_checkstack(L, 4, "activity data");
	size_t count = 0, nstr = 0, n = lua_rawlen(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
		nstr += lua_type(L, -1) == LUA_TSTRING;
	}
	if (n > 0 && count == n && nstr == 0) {
		heed_buf_addc(b, '[');
		for (size_t i = 1; i <= n; i++) {
			if (i > 1)
				heed_buf_addc(b, ',');
			lua_rawgeti(L, idx, (lua_Integer)i);
			json_from_lua(L, lp, -1, b, depth + 1);
			lua_pop(L, 1);
		}
		heed_buf_addc(b, ']');
		return;
	}
	if (nstr != count)
		luaL_error(L, "activity data tables must be arrays or have only string keys");
	size_t kb = lp->nkeys;
	if (lp->capkeys < kb + count) {
		lp->capkeys = (kb + count) * 2;
		lp->keys = xrealloc(lp->keys, lp->capkeys * sizeof *lp->keys);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		lkey *k = &lp->keys[lp->nkeys++];
		k->s = lua_tolstring(L, -1, &k->n);
	}
	qsort(lp->keys + kb, count, sizeof *lp->keys, key_cmp);
	heed_buf_addc(b, '{');
	for (size_t i = 0; i < count; i++) {
		lkey k = lp->keys[kb + i];
		if (i)
			heed_buf_addc(b, ',');
		heed_json_strn(b, k.s, k.n);
		heed_buf_addc(b, ':');
		lua_pushlstring(L, k.s, k.n);
		lua_rawget(L, idx);
		json_from_lua(L, lp, -1, b, depth + 1);
		lua_pop(L, 1);
	}
	heed_buf_addc(b, '}');
	lp->nkeys = kb;
}

/* Text of a scalar field value: strings as they are, integers plainly, other
 * numbers with %.17g, booleans "1"/"0". Caller frees. */
static char *value_text(lua_State *L, int idx, const char *field)
{
	char num[48];
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: return xstrdup(lua_tostring(L, idx));
	case LUA_TBOOLEAN: return xstrdup(lua_toboolean(L, idx) ? "1" : "0");
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(L, idx));
		} else {
			double v = (double)lua_tonumber(L, idx);
			if (!isfinite(v))
				luaL_error(L, "field '%s' is not a finite number", field);
			if (v == floor(v) && fabs(v) < 9007199254740992.0)
				snprintf(num, sizeof num, "%.0f", v);
			else
				snprintf(num, sizeof num, "%.17g", v);
		}
		return xstrdup(num);
	default:
		luaL_error(L, "field '%s' must be a string, number or boolean, got %s", field, luaL_typename(L, idx));
		return NULL;
	}
}

static void acts_from_lua(lua_State *L, lplugin *lp, int t, heed_fieldset *out)
{
	if (!lua_istable(L, t))
		luaL_error(L, "activities must be an array of {kind=, at=, data=}, got %s", luaL_typename(L, t));
	lua_Integer n = (lua_Integer)lua_rawlen(L, t);
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_rawgeti(L, t, i) != LUA_TTABLE)
			luaL_error(L, "activities[%d] must be a table {kind=, at=, data=}", (int)i);
		int e = lua_gettop(L);
		if (lh_rawfield(L, e, "kind") != LUA_TSTRING || heed_empty(lua_tostring(L, -1)))
			luaL_error(L, "activities[%d].kind must be a non-empty string", (int)i);
		int ta = lh_rawfield(L, e, "at");
		char at[24];
		if (ta == LUA_TNUMBER && lua_isinteger(L, -1))
			heed_time_format((heed_time)lua_tointeger(L, -1), at);
		else if (ta != LUA_TSTRING && ta != LUA_TNIL)
			luaL_error(L, "activities[%d].at must be a time (text or integer seconds), got %s", (int)i,
			           luaL_typename(L, -1));
		int td = lh_rawfield(L, e, "data");
		heed_buf_reset(&lp->json);
		lp->nkeys = 0;
		if (td == LUA_TTABLE)
			json_from_lua(L, lp, -1, &lp->json, 0);
		else if (td != LUA_TNIL)
			luaL_error(L, "activities[%d].data must be a table, got %s", (int)i, luaL_typename(L, -1));
		out->acts = xrealloc(out->acts, (out->nacts + 1) * sizeof *out->acts);
		out->acts[out->nacts++] = (heed_newact){
			.kind = xstrdup(lua_tostring(L, e + 1)),
			.at = ta == LUA_TNIL ? NULL : xstrdup(ta == LUA_TSTRING ? lua_tostring(L, e + 2) : at),
			.data = td == LUA_TTABLE ? xstrdup(heed_buf_str(&lp->json)) : NULL,
		};
		lua_settop(L, e - 1);
	}
}

static void add_warning(lua_State *L, int idx, heed_fieldset *out)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "warn must be a string or an array of strings, got %s", luaL_typename(L, idx));
	out->warnings = xrealloc(out->warnings, (out->nwarnings + 1) * sizeof *out->warnings);
	out->warnings[out->nwarnings++] = xstrdup(lua_tostring(L, idx));
}

static void fieldset_from_lua(lua_State *L, lplugin *lp, int t, heed_fieldset *out)
{
	if (lua_isnil(L, t))
		return;
	if (!lua_istable(L, t))
		luaL_error(L, "map.row must return a table of fields or nil, got %s", luaL_typename(L, t));
	lua_pushnil(L);
	while (lua_next(L, t)) {
		int v = lua_gettop(L);
		if (lua_type(L, v - 1) != LUA_TSTRING)
			luaL_error(L, "map.row returned a %s key; keys are field names", luaL_typename(L, v - 1));
		const char *k = lua_tostring(L, v - 1);
		if (strcmp(k, "activities") == 0) {
			acts_from_lua(L, lp, v, out);
		} else if (strcmp(k, "warn") == 0) {
			if (lua_istable(L, v)) {
				lua_Integer n = (lua_Integer)lua_rawlen(L, v);
				for (lua_Integer i = 1; i <= n; i++) {
					lua_rawgeti(L, v, i);
					add_warning(L, -1, out);
					lua_pop(L, 1);
				}
			} else {
				add_warning(L, v, out);
			}
		} else if (strcmp(k, "skip") == 0) {
			if (!lua_isboolean(L, v))
				luaL_error(L, "skip must be a boolean, got %s", luaL_typename(L, v));
			out->skip = lua_toboolean(L, v);
		} else {
			if (!heed_field_known(k))
				luaL_error(L, "map.row returned unknown field '%s' (see plugins/README.md for field names)", k);
			char *val = value_text(L, v, k);
			lh_add_field(&out->f, &out->n, xstrdup(k), val);
		}
		lua_settop(L, v - 1);
	}
	if (out->n > 1)
		qsort(out->f, out->n, sizeof *out->f, lh_field_cmp);
}

static int body_row(lua_State *L, gate *g)
{
	const heed_row *row = g->row;
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
	lua_createtable(L, 0, (int)row->n);
	for (size_t i = 0; i < row->n; i++) {
		if (row->names[i] && row->values[i]) {
			lua_pushstring(L, row->values[i]);
			lua_setfield(L, -2, row->names[i]);
		}
	}
	lua_call(L, 1, 1);
	fieldset_from_lua(L, g->lp, lua_gettop(L), g->out);
	return 0;
}

int lh_map_row(void *state, const heed_row *row, heed_fieldset *out, char **err)
{
	lplugin *lp = state;
	if (lp->row_ref == LUA_NOREF) {
		heed_seterr(err, "plugin '%s' (%s): its map has no row function", lp->name, lp->path);
		return HEED_ENOTFOUND;
	}
	gate g = {.lp = lp, .fn = "map.row", .line = lp->row_line, .ref = lp->row_ref, .row = row,
	          .body = body_row, .out = out};
	int rc = lh_gate_call(&g, err);
	if (rc != HEED_OK)
		heed_fieldset_clear(out);
	return rc;
}
