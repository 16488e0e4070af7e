/* luahost_limits: the limits on every call into a plugin, and `require` of
 * Lua text modules from the plugin library folder. Part of the Lua engine
 * (see luahost_int.h).
 *
 * Limits: an instruction budget and a wall-clock budget, both checked by one
 * count hook every LH_TICK instructions on every thread of the plugin (so a
 * coroutine cannot start a fresh budget), and the memory cap of the state's
 * allocator. Once a limit is hit the plugin is killed for the rest of the
 * call: the hook then fires on every instruction, so a pcall that catches the
 * error cannot carry on. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "luahost_int.h"

static const struct limit_def {
	const char *key;
	long long def, max;
	size_t off;
} limit_defs[] = {
	{"instructions", HEED_LIMIT_INSTRUCTIONS, HEED_LIMIT_INSTRUCTIONS_MAX, offsetof(heed_limits, instructions)},
	{"memory_mb", HEED_LIMIT_MEMORY_MB, HEED_LIMIT_MEMORY_MB_MAX, offsetof(heed_limits, memory_mb)},
	{"time_ms", HEED_LIMIT_TIME_MS, HEED_LIMIT_TIME_MS_MAX, offsetof(heed_limits, time_ms)},
};
enum { NLIMITS = sizeof limit_defs / sizeof limit_defs[0] };

static long long *limit_field(heed_limits *l, const struct limit_def *d)
{
	return (long long *)(void *)((char *)l + d->off);
}

void lh_limits_default(lplugin *lp)
{
	for (int i = 0; i < NLIMITS; i++)
		*limit_field(&lp->lim, &limit_defs[i]) = limit_defs[i].def;
	lp->memcap = (size_t)lp->lim.memory_mb << 20;
}

/* The plugin table's `limits` (at t), then the config file's values on top;
 * each is capped by its ceiling. Raises a Lua error on a bad entry. */
void lh_limits_read(lua_State *L, lplugin *lp, int t, const heed_limits *conf)
{
	int type = lh_rawfield(L, t, "limits");
	if (type != LUA_TNIL && type != LUA_TTABLE)
		luaL_error(L, "limits must be a table {instructions=, time_ms=, memory_mb=}, got %s",
		           luaL_typename(L, -1));
	if (type == LUA_TTABLE) {
		int lt = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, lt)) {
			const struct limit_def *d = NULL;
			for (int i = 0; i < NLIMITS && lua_type(L, -2) == LUA_TSTRING; i++)
				if (strcmp(limit_defs[i].key, lua_tostring(L, -2)) == 0)
					d = &limit_defs[i];
			if (!d)
				luaL_error(L, "limits: unknown key %s (known: instructions, memory_mb, time_ms)",
				           lua_type(L, -2) == LUA_TSTRING ? lua_pushfstring(L, "'%s'", lua_tostring(L, -2))
				                                          : luaL_typename(L, -2));
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > d->max)
				luaL_error(L, "limits.%s must be an integer from 1 to %I", d->key, (lua_Integer)d->max);
			*limit_field(&lp->lim, d) = (long long)lua_tointeger(L, -1);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	for (int i = 0; conf && i < NLIMITS; i++) {
		long long v = *limit_field((heed_limits *)conf, &limit_defs[i]);
		if (v > 0)
			*limit_field(&lp->lim, &limit_defs[i]) = v < limit_defs[i].max ? v : limit_defs[i].max;
	}
	lp->memcap = (size_t)lp->lim.memory_mb << 20;
}

static long long now_ms(void)
{
	struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
	clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void limit_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lplugin *lp = lh_plugin_of(L);
	if (!lp->killed) {
		lp->left -= lua_gethookcount(L);
		long long now = now_ms();
		if (lp->left <= 0)
			lp->killed = LH_KILL_INSTRUCTIONS;
		else if (lp->t0 == 0)
			lp->t0 = now;
		else if (now - lp->t0 > lp->lim.time_ms)
			lp->killed = LH_KILL_TIME;
	}
	if (!lp->killed)
		return;
	/* from now on every instruction fails, in this thread and in the main
	 * one (new coroutines inherit the main thread's hook) */
	lua_sethook(L, limit_hook, LUA_MASKCOUNT, 1);
	if (L != lp->L)
		lua_sethook(lp->L, limit_hook, LUA_MASKCOUNT, 1);
	if (lp->killed == LH_KILL_TIME)
		lua_pushfstring(L, "time limit exceeded (%I ms per call)", (lua_Integer)lp->lim.time_ms);
	else
		lua_pushfstring(L, "instruction budget exceeded (%I instructions per call)",
		                (lua_Integer)lp->lim.instructions);
	lua_error(L);
}

void lh_limits_arm(lplugin *lp)
{
	lp->left = lp->lim.instructions;
	lp->t0 = 0;
	lp->killed = 0;
	lp->mem_refused = 0;
	lp->memline = 0;
	long long tick = lp->lim.instructions < LH_TICK ? lp->lim.instructions : LH_TICK;
	lua_sethook(lp->L, limit_hook, LUA_MASKCOUNT, (int)tick);
}

/* A sliding window, not a run: successes in between (a plugin that loops on
 * every other contact) do not save a plugin that keeps hitting its limits. */
void lh_record_call(lplugin *lp, const char *msg)
{
	lp->recent = ((lp->recent << 1) | (msg != NULL)) & ((1u << LH_WINDOW) - 1);
	if (!msg)
		return;
	free(lp->last_limit);
	lp->last_limit = xstrdup(msg);
	int hits = 0;
	for (unsigned r = lp->recent; r; r &= r - 1)
		hits++;
	if (hits >= LH_STRIKES)
		lp->suspended = 1;
}

const char *lh_suspension(void *state)
{
	lplugin *lp = state;
	return lp->suspended ? lp->last_limit : NULL;
}

/* A suspended plugin's calls fail at once, without running, so a plugin that
 * loops on many contacts cannot stall a batch of a million. Reloading it (a
 * new state) lifts this. */
int lh_suspended(gate *g, char **err)
{
	lplugin *lp = g->lp;
	if (!lp->suspended)
		return 0;
	heed_buf b = {0};
	heed_buf_addf(&b, "plugin '%s' (%s:%d) in %s: suspended after %d limit errors within %d calls (last: %s);"
	              " reload it to try again", lp->name, lp->path, g->line, g->fn, LH_STRIKES, LH_WINDOW,
	              lp->last_limit ? lp->last_limit : "?");
	lh_add_context(&b, g->c, g->row);
	heed_seterr(err, "%s", heed_buf_str(&b));
	heed_buf_free(&b);
	return 1;
}

/* ---- require ---- */

/* Raise "require cycle: a → b → a" when name is being loaded already (the
 * modules in loading are upvalue 3, a list), with the requiring file and
 * line (the gate into Lua names the plugin), instead of recursing until the C stack overflows. */
static void require_cycle(lua_State *L, const char *name)
{
	lua_Integer n = luaL_len(L, lua_upvalueindex(3)), from = 0;
	for (lua_Integer i = 1; i <= n && !from; i++) {
		lua_geti(L, lua_upvalueindex(3), i);
		from = strcmp(lua_tostring(L, -1), name) == 0 ? i : 0;
		lua_pop(L, 1);
	}
	if (!from)
		return;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (lua_Integer i = from; i <= n; i++) {
		lua_geti(L, lua_upvalueindex(3), i);
		luaL_addvalue(&b);
		luaL_addstring(&b, " → ");
	}
	luaL_addstring(&b, name);
	luaL_pushresult(&b);
	/* the requiring file and line, in full (luaL_error would shorten a long
	 * path); the gate into Lua adds the plugin */
	lua_Debug ar;
	const char *file = "?";
	int line = 0;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
		file = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
		line = ar.currentline;
	}
	lua_pushfstring(L, "%s:%d: require cycle: %s", file, line, lua_tostring(L, -1));
	lua_error(L);
}

/* require(name): a Lua text module from the library folder, run once in the
 * plugin's sandbox and cached. name: letters, digits, _ and dots (a dot is a
 * subfolder). Upvalues: the cache table, the sandbox environment, the list
 * of modules being loaded (for require_cycle). */
static int sandbox_require(lua_State *L)
{
	lplugin *lp = lh_plugin_of(L);
	size_t n;
	const char *name = luaL_checklstring(L, 1, &n);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      (c == '.' && i > 0 && i + 1 < n && name[i + 1] != '.')))
			return luaL_error(L, "require '%s': a module name is letters, digits, _ and dots", name);
	}
	if (n == 0)
		return luaL_error(L, "require: empty module name");
	if (lua_getfield(L, lua_upvalueindex(1), name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	require_cycle(L, name);
	char *rel = xstrdup(name);
	for (char *s = rel; *s; s++)
		if (*s == '.')
			*s = '/';
	char *path = xasprintf("%s/%s.lua", lp->libdir, rel);
	free(rel);
	lua_pushstring(L, path);
	free(path);
	path = NULL;
	const char *file = lua_tostring(L, -1);
	struct stat st; /* stat, not open: a FIFO there must not block the plugin's load */
	if (stat(file, &st) != 0)
		return luaL_error(L, "require '%s': no module %s (plugins may require Lua text modules from"
		                     " their lib folder only)", name, file);
	if (!S_ISREG(st.st_mode))
		return luaL_error(L, "require '%s': %s: %s", name, file,
		                  S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
	if (luaL_loadfilex(L, file, "t") != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, lua_upvalueindex(2));
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	lua_pushstring(L, name);
	lua_Integer depth = luaL_len(L, lua_upvalueindex(3));
	lua_pushstring(L, name);
	lua_seti(L, lua_upvalueindex(3), depth + 1);
	int rc = lua_pcall(L, 1, 1, 0);
	lua_pushnil(L);
	lua_seti(L, lua_upvalueindex(3), depth + 1);
	if (rc != LUA_OK)
		return lua_error(L); /* the module's own error, as it was */
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, lua_upvalueindex(1), name);
	return 1;
}

void lh_open_require(lua_State *L, int env)
{
	lua_newtable(L);
	lua_pushvalue(L, env);
	lua_newtable(L); /* the modules being loaded, outermost first */
	lua_pushcclosure(L, sandbox_require, 3);
	lua_setfield(L, env, "require");
}
