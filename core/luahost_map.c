/* luahost_map: a map's row function — the CSV row in as a Lua table, the
 * returned fields, activities and warnings out as a heed_fieldset; and the
 * declarative map spec read when the plugin loads. Part of the
 * Lua engine (see luahost_int.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htime.h"
#include "json.h"
#include "luahost_int.h"

/* ---- the declarative map spec, read at load ---- */

int lh_field_cmp(const void *a, const void *b)
{
	return strcmp(((const heed_field *)a)->name, ((const heed_field *)b)->name);
}

void lh_add_field(heed_field **v, size_t *n, char *name, char *value)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[*n].name = name;
	(*v)[(*n)++].value = value;
}

/* Read a table of string → string at t[k] into v (sorted by name). */
static void read_pairs(lua_State *L, int t, const char *k, const char *what, heed_field **v, size_t *n,
                       int fieldnames)
{
	int type = lh_rawfield(L, t, k);
	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (type != LUA_TTABLE)
		luaL_error(L, "%s must be a table, got %s", what, luaL_typename(L, -1));
	int m = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, m)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "%s: keys must be strings, got %s", what, luaL_typename(L, -2));
		const char *key = lua_tostring(L, -2);
		if (fieldnames && !heed_field_known(key))
			luaL_error(L, "%s: unknown field '%s' (see plugins/README.md for field names)", what, key);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s['%s'] must be a string, got %s", what, key, luaL_typename(L, -1));
		lh_add_field(v, n, xstrdup(key), xstrdup(lua_tostring(L, -1)));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (*n > 1)
		qsort(*v, *n, sizeof **v, lh_field_cmp);
}

static void read_bool(lua_State *L, int t, const char *k, const char *what, int *out)
{
	int type = lh_rawfield(L, t, k);
	if (type != LUA_TNIL && type != LUA_TBOOLEAN)
		luaL_error(L, "%s must be a boolean, got %s", what, luaL_typename(L, -1));
	*out = lua_toboolean(L, -1);
	lua_pop(L, 1);
}

static const char *const map_keys[] = {
	"fields", "keep_rest", "placeholders", "row", "source", "stage", "time_layout", "update_only", NULL,
};
static const char *const stage_keys[] = {"column", "default", "values", NULL};

void lh_read_map(lua_State *L, lplugin *lp, int t, heed_mapspec *m)
{
	lh_check_keys(L, t, "map", map_keys);
	m->plugin = xstrdup(lp->name);
	m->source = lh_opt_string(L, t, "source", "map.source");
	if (!m->source)
		m->source = xstrdup(lp->name);
	m->time_layout = lh_opt_string(L, t, "time_layout", "map.time_layout");
	read_bool(L, t, "keep_rest", "map.keep_rest", &m->keep_rest);
	read_bool(L, t, "update_only", "map.update_only", &m->update_only);
	read_pairs(L, t, "fields", "map.fields", &m->fields, &m->nfields, 1);

	int type = lh_rawfield(L, t, "placeholders");
	if (type == LUA_TTABLE) {
		lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
		for (lua_Integer i = 1; i <= n; i++) {
			if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
				luaL_error(L, "map.placeholders[%d] must be a string, got %s", (int)i, luaL_typename(L, -1));
			m->placeholders = xrealloc(m->placeholders, (m->nplaceholders + 1) * sizeof *m->placeholders);
			m->placeholders[m->nplaceholders++] = xstrdup(lua_tostring(L, -1));
			lua_pop(L, 1);
		}
	} else if (type != LUA_TNIL) {
		luaL_error(L, "map.placeholders must be an array of strings, got %s", luaL_typename(L, -1));
	}
	lua_pop(L, 1);

	type = lh_rawfield(L, t, "stage");
	if (type == LUA_TTABLE) {
		int s = lua_gettop(L);
		lh_check_keys(L, s, "map.stage", stage_keys);
		m->stage_column = lh_opt_string(L, s, "column", "map.stage.column");
		m->stage_default = lh_opt_string(L, s, "default", "map.stage.default");
		read_pairs(L, s, "values", "map.stage.values", &m->stage_values, &m->nstage_values, 0);
		if (!m->stage_column && m->nstage_values)
			luaL_error(L, "map.stage.values needs map.stage.column");
	} else if (type != LUA_TNIL) {
		luaL_error(L, "map.stage must be a table, got %s", luaL_typename(L, -1));
	}
	lua_pop(L, 1);

	type = lh_rawfield(L, t, "row");
	if (type == LUA_TFUNCTION) {
		lp->row_line = lh_fn_line(L, -1);
		lp->row_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		m->has_row_fn = 1;
	} else {
		if (type != LUA_TNIL)
			luaL_error(L, "map.row must be a function, got %s", luaL_typename(L, -1));
		lua_pop(L, 1);
	}
}

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
