/* luahost_tests: the tests a plugin carries (its `tests` table), run in the
 * plugin's own state through the gate, with the `t` helpers built in that
 * state. Part of the Lua engine (see luahost_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luahost_int.h"

/* The helpers a plugin's tests receive as `t`, made in the plugin's own
 * sandbox with the plugin table as upvalue: t.eq, t.ok, t.contact, t.check
 * (run one of the plugin's criteria), t.score / t.points and t.render (one
 * of its email templates, see luahost_mail.c). */
static const char tester_src[] =
	"local plugin, render = ...\n"
	"local t = { render = render }\n"
	"local function show(v) return type(v) == 'string' and string.format('%q', v) or tostring(v) end\n"
	"function t.eq(got, want, what)\n"
	"  if got ~= want then error((what or 'value') .. ': got ' .. show(got) .. ', want ' .. show(want), 2) end\n"
	"end\n"
	"function t.ok(v, what) if not v then error(what or 'expected a true value', 2) end end\n"
	"function t.contact(f)\n"
	"  local c = { id = 1, stage = 'lead', org = {}, attrs = {}, activities = {} }\n"
	"  for k, v in pairs(f or {}) do c[k] = v end\n"
	"  return c\n"
	"end\n"
	"function t.check(stage, name, c)\n"
	"  for _, k in ipairs(plugin.criteria and plugin.criteria[stage] or {}) do\n"
	"    if k.name == name then return k.check(c) end\n"
	"  end\n"
	"  error('no check ' .. show(name) .. ' for ' .. show(stage), 2)\n"
	"end\n"
	"function t.score(c)\n"
	"  local parts = {}\n"
	"  local r = plugin.score(c, function(name, points, reason)\n"
	"    parts[#parts + 1] = { name = name, points = points, reason = reason } end)\n"
	"  for _, p in ipairs(r or {}) do parts[#parts + 1] = p end\n"
	"  return parts\n"
	"end\n"
	"function t.points(c, name)\n"
	"  for _, p in ipairs(t.score(c)) do if p.name == name then return p.points end end\n"
	"  return nil\n"
	"end\n"
	"return t\n";

/* Keep the plugin's `tests` table (name → function(t)) and build its `t`
 * (also for a selftest alone). */
void lh_load_tests(lua_State *L, lplugin *lp, int plugin, int env)
{
	int has_selftest = lh_rawfield(L, plugin, "selftest") != LUA_TNIL;
	lua_pop(L, 1);
	if (lh_rawfield(L, plugin, "tests") == LUA_TNIL) {
		lua_pop(L, 1);
		if (!has_selftest)
			return;
	} else {
		if (!lua_istable(L, -1))
			luaL_error(L, "tests must be a table of name = function(t), got %s", luaL_typename(L, -1));
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) != LUA_TSTRING || !lua_isfunction(L, -1))
				luaL_error(L, "tests must map names to functions");
			lua_pop(L, 1);
		}
		lp->tests_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	if (luaL_loadbufferx(L, tester_src, sizeof tester_src - 1, "=heed tests", "t") != LUA_OK)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setupvalue(L, -2, 1);
	lua_pushvalue(L, plugin);
	lua_pushcfunction(L, lh_test_render);
	lua_call(L, 2, 1);
	lp->tester_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* ---- tests ---- */

static int body_test(lua_State *L, gate *g)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->lp->tester_ref);
	lua_call(L, 1, 0);
	return 0;
}

static int name_sort(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run the plugin's tests in name order, each through the gate. */
int lh_test(void *state, FILE *out, int *passed, int *failed)
{
	lplugin *lp = state;
	lua_State *L = lp->L;
	if (lp->tests_ref == LUA_NOREF)
		return HEED_OK;
	char **names = NULL;
	size_t n = 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, lp->tests_ref);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(lua_tostring(L, -2));
		lua_pop(L, 1);
	}
	qsort(names, n, sizeof *names, name_sort);
	for (size_t i = 0; i < n; i++) {
		lua_getfield(L, -1, names[i]);
		int line = lh_fn_line(L, -1);
		int ref = luaL_ref(L, LUA_REGISTRYINDEX);
		char *fn = xasprintf("tests[\"%s\"]", names[i]), *err = NULL;
		gate g = {.lp = lp, .fn = fn, .line = line, .ref = ref, .body = body_test};
		if (lh_gate_call(&g, &err) == HEED_OK) {
			(*passed)++;
			fprintf(out, "ok    %s: %s\n", lp->name, names[i]);
		} else {
			(*failed)++;
			fprintf(out, "FAIL  %s\n", err ? err : names[i]);
		}
		luaL_unref(L, LUA_REGISTRYINDEX, ref);
		free(err);
		free(fn);
		free(names[i]);
	}
	lua_pop(L, 1);
	free(names);
	return HEED_OK;
}

/* ---- selftest ---- */

int lh_load_selftest(lua_State *L, lplugin *lp, int plugin)
{
	int type = lh_rawfield(L, plugin, "selftest");
	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (type != LUA_TFUNCTION)
		luaL_error(L, "selftest must be a function, got %s", luaL_typename(L, -1));
	lp->selftest_line = lh_fn_line(L, -1);
	lp->selftest_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 1;
}

static int body_selftest(lua_State *L, gate *g)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->lp->tester_ref);
	lua_call(L, 1, 2);
	if (lua_type(L, -2) == LUA_TBOOLEAN && !lua_toboolean(L, -2))
		luaL_error(L, "selftest failed: %s",
		           lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "it returned false");
	return 0;
}

/* The engine's selftest operation: call the plugin's selftest(t); an error or
 * a false result fails it. */
int lh_selftest(void *state, char **err)
{
	lplugin *lp = state;
	if (lp->selftest_ref == LUA_NOREF)
		return HEED_OK;
	gate g = {.lp = lp, .fn = "selftest", .line = lp->selftest_line, .ref = lp->selftest_ref,
	          .body = body_selftest};
	return lh_gate_call(&g, err);
}
