/* luahost: the Lua 5.4 plugin engine, heed_lua_engine (see plugin_int.h).
 * Each plugin owns one lua_State with a memory cap, runs in a sandboxed _ENV
 * and gets an instruction budget per call. Every call into plugin code goes
 * through lh_gate_call, which turns failures into heed errors naming plugin,
 * function, file, line and contact or CSV row. Contacts as Lua tables are in
 * luahost_contact.c, map rows in luahost_map.c; only luahost*.c include lua.h. */
#include "plugin_int.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "htime.h"
#include "json.h"
#include "util.h"

#include "luahost_int.h"

lplugin *lh_plugin_of(lua_State *L)
{
	void *ud = NULL;
	lua_getallocf(L, &ud);
	return ud;
}

/* ---- memory ---- */

static int pool_class(size_t size) /* size 1..LH_SMALL */
{
	return (int)((size - 1) / LH_GRAIN);
}

static void *pool_get(lpool *pl, size_t size)
{
	int c = pool_class(size);
	lh_block *b = pl->free[c];
	if (b) {
		pl->free[c] = b->next;
		return b;
	}
	size_t bytes = (size_t)(c + 1) * LH_GRAIN;
	if ((size_t)(pl->end - pl->bump) < bytes) {
		lh_block *slab = xmalloc(LH_SLAB);
		slab->next = pl->slabs;
		pl->slabs = slab;
		pl->bump = (char *)(slab + 1);
		pl->end = (char *)slab + LH_SLAB;
	}
	void *p = pl->bump;
	pl->bump += bytes;
	return p;
}

static void pool_put(lpool *pl, void *p, size_t size)
{
	lh_block *b = p;
	int c = pool_class(size);
	b->next = pl->free[c];
	pl->free[c] = b;
}

static void pool_clear(lpool *pl)
{
	while (pl->slabs) {
		lh_block *next = pl->slabs->next;
		free(pl->slabs);
		pl->slabs = next;
	}
	memset(pl, 0, sizeof *pl);
}

/* The current line in the innermost frame of L that runs the plugin's file, or 0.
 * Reads the call stack only: it allocates nothing, so the allocator may call it. */
static int plugin_line(lua_State *L, const char *chunkname)
{
	lua_Debug ar;
	for (int lv = 0; lua_getstack(L, lv, &ar); lv++)
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strcmp(ar.source, chunkname) == 0)
			return ar.currentline;
	return 0;
}

/* A growth past the cap: note where the plugin was (the first refusal of a call). */
static void refuse(lplugin *lp)
{
	if (!lp->mem_refused && lp->L)
		lp->memline = plugin_line(lp->L, lp->chunkname);
	lp->mem_refused = 1;
}

/* Lua's allocator with a cap: growth beyond lp->memcap fails (Lua raises a
 * memory error), shrinking and freeing always succeed. Lua passes the block's
 * size with every pointer, which picks its free list or malloc. */
static void *lh_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	lplugin *lp = ud;
	int pool = LH_POOL;
	if (!ptr)
		osize = 0;
	if (pool && !ptr && nsize - 1 < LH_SMALL) { /* the usual call: a new small block */
		if (lp->mem + nsize > lp->memcap) {
			refuse(lp);
			return NULL;
		}
		lp->mem += nsize;
		return pool_get(&lp->pool, nsize);
	}
	if (nsize == 0) {
		if (pool && osize <= LH_SMALL && ptr)
			pool_put(&lp->pool, ptr, osize);
		else
			free(ptr);
		lp->mem -= osize;
		return NULL;
	}
	if (nsize > osize && lp->mem - osize + nsize > lp->memcap) {
		refuse(lp);
		return NULL;
	}
	void *p;
	if (!pool || (osize > LH_SMALL && nsize > LH_SMALL)) {
		p = realloc(ptr, nsize);
		if (!p)
			return NULL;
	} else if (ptr && osize <= LH_SMALL && nsize <= LH_SMALL && pool_class(osize) == pool_class(nsize)) {
		p = ptr;
	} else {
		p = nsize <= LH_SMALL ? pool_get(&lp->pool, nsize) : malloc(nsize);
		if (!p)
			return NULL;
		if (ptr) {
			memcpy(p, ptr, osize < nsize ? osize : nsize);
			if (osize <= LH_SMALL)
				pool_put(&lp->pool, ptr, osize);
			else
				free(ptr);
		}
	}
	lp->mem = lp->mem - osize + nsize;
	return p;
}

static int lh_panic(lua_State *L)
{
	fprintf(stderr, "heed: unprotected error in plugin '%s': %s\n", lh_plugin_of(L)->name,
	        lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
	return 0; /* Lua aborts */
}

/* ---- the gate ---- */


/* If msg starts with "<path>:<line>: " (or Lua's shortened "...<tail of path>:<line>: "),
 * return the text after it and set *line; else return msg. */
static const char *strip_where(const char *msg, const char *path, int *line)
{
	size_t plen = strlen(path);
	const char *p = NULL;
	if (strncmp(msg, path, plen) == 0 && msg[plen] == ':') {
		p = msg + plen + 1;
	} else if (strncmp(msg, "...", 3) == 0) {
		const char *colon = strchr(msg + 3, ':');
		size_t tl = colon ? (size_t)(colon - (msg + 3)) : 0;
		if (colon && tl > 0 && tl <= plen && memcmp(msg + 3, path + plen - tl, tl) == 0)
			p = colon + 1;
	}
	if (!p || *p < '0' || *p > '9')
		return msg;
	int n = 0;
	while (*p >= '0' && *p <= '9' && n < 100000000)
		n = n * 10 + (*p++ - '0');
	if (p[0] != ':' || p[1] != ' ')
		return msg;
	*line = n;
	return p + 2;
}

/* Message handler: runs where the error happened, before the stack unwinds.
 * Records the error's line in the plugin file and a traceback; returns the
 * message without Lua's "file:line:" prefix. */
static int gate_msgh(lua_State *L)
{
	lplugin *lp = lh_plugin_of(L);
	const char *msg;
	if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
		msg = lua_tostring(L, 1);
	else
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	int line = 0;
	msg = strip_where(msg, lp->path, &line);
	for (const char *inner = msg; (inner = strip_where(msg, lp->path, &line)) != msg;)
		msg = inner; /* errors passed on by coroutine.wrap carry one prefix per level */
	lua_Debug ar;
	for (int lv = 1; line == 0 && lua_getstack(L, lv, &ar); lv++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strcmp(ar.source, lp->chunkname) == 0)
			line = ar.currentline;
	}
	lp->errline = line;
	luaL_traceback(L, L, NULL, 1);
	heed_buf_reset(&lp->trace);
	heed_buf_adds(&lp->trace, lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_pushstring(L, msg);
	return 1;
}

static int gate_trampoline(lua_State *L)
{
	gate *g = lua_touserdata(L, 1);
	lua_remove(L, 1);
	return g->body(L, g);
}

void lh_add_context(heed_buf *b, const heed_contact *c, const heed_row *row)
{
	if (c && c->email)
		heed_buf_addf(b, " (contact %lld <%s>)", (long long)c->id, c->email);
	else if (c)
		heed_buf_addf(b, " (contact %lld)", (long long)c->id);
	else if (row)
		heed_buf_addf(b, " (row %ld of %s)", row->line, row->file ? row->file : "?");
}

/* Error on top of the stack → "plugin 'NAME' (FILE:LINE) in FUNCTION: MESSAGE (CONTEXT)". */
static void gate_fail(gate *g, int status, char **err)
{
	lplugin *lp = g->lp;
	char mem[64];
	const char *msg = lua_type(lp->L, -1) == LUA_TSTRING ? lua_tostring(lp->L, -1) : "unknown error";
	if (lp->mem_refused && strcmp(msg, "not enough memory") == 0)
		status = LUA_ERRMEM; /* caught by the plugin, then raised again */
	int limit = lp->killed || status == LUA_ERRMEM || strstr(msg, "stack overflow") != NULL;
	if (status == LUA_ERRMEM) {
		snprintf(mem, sizeof mem, "memory limit exceeded (%lld MB per plugin)", lp->lim.memory_mb);
		msg = mem;
		if (lp->memline > 0)
			lp->errline = lp->memline;
	} else if (status == LUA_ERRERR) {
		msg = "error while handling an error";
	}
	heed_buf b = {0};
	heed_buf_addf(&b, "plugin '%s' (%s:%d)", lp->name, lp->path, lp->errline > 0 ? lp->errline : g->line);
	if (g->fn)
		heed_buf_addf(&b, " in %s", g->fn);
	heed_buf_addf(&b, ": %s", msg);
	if (g->fn)
		lh_record_call(lp, limit ? msg : NULL);
	lh_add_context(&b, g->c, g->row);
	if (getenv("HEED_TRACEBACK") && lp->trace.len)
		heed_buf_addf(&b, "\n%s", heed_buf_str(&lp->trace));
	heed_seterr(err, "%s", heed_buf_str(&b));
	heed_buf_free(&b);
}

/* The one gate into Lua. Runs g->body in protected mode with g->nargs arguments
 * already on the stack (replaced by g->nres results on success), a fresh
 * instruction budget and the message handler. HEED_OK, or HEED_EPLUGIN with *err. */
int lh_gate_call(gate *g, char **err)
{
	lplugin *lp = g->lp;
	lua_State *L = lp->L;
	int base = lua_gettop(L) - g->nargs;
	lua_pushcfunction(L, gate_msgh);
	lua_pushcfunction(L, gate_trampoline);
	lua_pushlightuserdata(L, g);
	lua_rotate(L, base + 1, 3);
	if (g->fn && lh_suspended(g, err)) {
		lua_settop(L, base);
		return HEED_EPLUGIN;
	}
	lp->errline = 0;
	lh_limits_arm(lp);
	int status = lua_pcall(L, g->nargs + 1, g->nres, base + 1);
	lua_remove(L, base + 1);
	if (status == LUA_OK) {
		if (g->fn)
			lh_record_call(lp, NULL);
		return HEED_OK;
	}
	gate_fail(g, status, err);
	lua_pop(L, 1);
	return HEED_EPLUGIN;
}

/* ---- the heed library and the sandbox ---- */

static int heed_days(lua_State *L)
{
	lua_Number a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
	lua_pushnumber(L, (b - a) / 86400.0);
	return 1;
}

static int heed_log(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	fprintf(stderr, "heed: [%s] %s\n", lh_plugin_of(L)->name, lua_tostring(L, -1));
	return 0;
}

static int heed_now(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)heed_time_now());
	return 1;
}

static int heed_timeof(lua_State *L)
{
	const char *s = luaL_checkstring(L, 1);
	heed_time t;
	if (heed_time_parse(s, &t) != HEED_OK) {
		luaL_pushfail(L);
		lua_pushfstring(L, "invalid time '%s' (expected ISO 8601, e.g. 2024-05-01 or 2024-05-01T09:30:00Z)", s);
		return 2;
	}
	lua_pushinteger(L, (lua_Integer)t);
	return 1;
}

static const luaL_Reg heed_lib[] = {
	{"days", heed_days},
	{"log", heed_log},
	{"now", heed_now},
	{"time", heed_timeof},
	{NULL, NULL},
};

/* load(chunk [, chunkname [, mode [, env]]]) for plugins: text chunks only, and
 * the sandbox environment unless env is given. Upvalues: the real load, the env. */
static int sandbox_load(lua_State *L)
{
	int has_env = !lua_isnone(L, 4);
	lua_settop(L, 4);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "t");
	lua_pushvalue(L, has_env ? 4 : lua_upvalueindex(2));
	lua_call(L, 4, LUA_MULTRET);
	return lua_gettop(L) - 4;
}

static const char *const sandbox_base[] = {
	"assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget",
	"rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall",
	"_VERSION", NULL,
};
static const char *const sandbox_os[] = {"clock", "date", "difftime", "time", NULL};

static void copy_fields(lua_State *L, int from, int to, const char *const *names)
{
	from = lua_absindex(L, from);
	to = lua_absindex(L, to);
	for (; *names; names++) {
		lua_getfield(L, from, *names);
		lua_setfield(L, to, *names);
	}
}

/* xpcall without a message handler: Lua runs a handler while hooks are off,
 * so a handler that loops would escape the instruction budget. This one
 * catches the error with pcall, then calls the handler as an ordinary
 * function, under the budget. Returns what xpcall returns. */
static int sandbox_xpcall(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checkany(L, 2);
	lua_pushvalue(L, 1); /* f */
	for (int i = 3; i <= n; i++)
		lua_pushvalue(L, i);
	if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
		lua_pushboolean(L, 1);
		lua_insert(L, n + 1);
		return lua_gettop(L) - n;
	}
	lua_pushvalue(L, 2); /* h(err) */
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	lua_pushboolean(L, 0);
	lua_insert(L, -2);
	return 2;
}

/* setmetatable refusing __gc: finalizers run with hooks off, outside the budget. */
static int sandbox_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
		return luaL_error(L, "__gc metamethods are not allowed in plugins (finalizers would run"
		                     " outside the instruction budget)");
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

/* Open the libraries into the hidden real globals and push the plugin's _ENV. */
static void push_sandbox(lua_State *L)
{
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	int G = lua_gettop(L);
	lua_createtable(L, 0, 32);
	int env = G + 1;
	copy_fields(L, G, env, sandbox_base);
	static const struct {
		const char *name;
		lua_CFunction open;
	} libs[] = {
		{LUA_COLIBNAME, luaopen_coroutine},
		{LUA_MATHLIBNAME, luaopen_math},
		{LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table},
		{LUA_UTF8LIBNAME, luaopen_utf8},
	};
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
		luaL_requiref(L, libs[i].name, libs[i].open, 0);
		lua_setfield(L, env, libs[i].name);
	}
	luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
	lua_createtable(L, 0, 4);
	copy_fields(L, -2, -1, sandbox_os);
	lua_setfield(L, env, "os");
	lua_pop(L, 1);
	luaL_newlib(L, heed_lib);
	lh_open_kv(L, lua_gettop(L));
	lua_setfield(L, env, "heed");
	lua_getfield(L, G, "load");
	lua_pushvalue(L, env);
	lua_pushcclosure(L, sandbox_load, 2);
	lua_setfield(L, env, "load");
	lua_pushcfunction(L, heed_log); /* stdout belongs to heed's output */
	lua_setfield(L, env, "print");
	lua_pushcfunction(L, sandbox_xpcall);
	lua_setfield(L, env, "xpcall");
	lua_getfield(L, G, "setmetatable");
	lua_pushcclosure(L, sandbox_setmetatable, 1);
	lua_setfield(L, env, "setmetatable");
	lh_open_require(L, env);
	lua_pushvalue(L, env);
	lua_setfield(L, env, "_G");
	lua_remove(L, G);
}

/* ---- Lua → C ---- */

/* t[k] without metamethods; returns its type. t is an absolute index. */
int lh_rawfield(lua_State *L, int t, const char *k)
{
	lua_pushstring(L, k);
	return lua_rawget(L, t);
}

/* Copy of t[k] when a string, NULL when nil, else an error naming what. */
char *lh_opt_string(lua_State *L, int t, const char *k, const char *what)
{
	char *s = NULL;
	int type = lh_rawfield(L, t, k);
	if (type == LUA_TSTRING)
		s = xstrdup(lua_tostring(L, -1));
	else if (type != LUA_TNIL)
		luaL_error(L, "%s must be a string, got %s", what, luaL_typename(L, -1));
	lua_pop(L, 1);
	return s;
}

void lh_check_keys(lua_State *L, int t, const char *what, const char *const *known)
{
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		const char *const *p = known;
		while (k && *p && strcmp(*p, k) != 0)
			p++;
		if (!k || !*p) {
			heed_buf list = { 0 };
			for (p = known; *p; p++)
				heed_buf_addf(&list, "%s%s", p == known ? "" : ", ", *p);
			lua_pushfstring(L, "%s: unknown key %s (known: %s)", what,
			                k ? lua_pushfstring(L, "'%s'", k) : luaL_typename(L, -1), list.s);
			heed_buf_free(&list);
			lua_error(L);
		}
	}
}

int lh_fn_line(lua_State *L, int idx)
{
	lua_Debug ar;
	lua_pushvalue(L, idx);
	lua_getinfo(L, ">S", &ar);
	return ar.linedefined > 0 ? ar.linedefined : 0;
}

static int target_cmp(const void *a, const void *b)
{
	return strcmp(((const ltarget *)a)->stage, ((const ltarget *)b)->stage);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_criteria(lua_State *L, lplugin *lp, int t, heed_plugin_info *info)
{
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "criteria: keys must be stage names, got %s", luaL_typename(L, -2));
		const char *stage = lua_tostring(L, -2);
		if (!lua_istable(L, -1))
			luaL_error(L, "criteria.%s must be an array of checks, got %s", stage, luaL_typename(L, -1));
		lp->targets = xrealloc(lp->targets, (lp->ntargets + 1) * sizeof *lp->targets);
		ltarget *tg = &lp->targets[lp->ntargets++];
		*tg = (ltarget){.stage = xstrdup(stage), .fn = xasprintf("criteria.%s", stage)};
		lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, i);
			int e = lua_gettop(L);
			if (!lua_istable(L, e))
				luaL_error(L, "criteria.%s[%d] must be a table {name = ..., check = function}", stage, (int)i);
			char *name = lh_opt_string(L, e, "name", "check name");
			if (heed_empty(name)) {
				free(name);
				luaL_error(L, "criteria.%s[%d] has no name", stage, (int)i);
			}
			tg->v = xrealloc(tg->v, (tg->n + 1) * sizeof *tg->v);
			lcheck *k = &tg->v[tg->n++];
			*k = (lcheck){.name = name, .fn = xasprintf("criteria.%s.%s", stage, name), .ref = LUA_NOREF};
			if (lh_rawfield(L, e, "check") != LUA_TFUNCTION)
				luaL_error(L, "criteria.%s.%s: check must be a function, got %s", stage, name,
				           luaL_typename(L, -1));
			k->line = lh_fn_line(L, -1);
			k->ref = luaL_ref(L, LUA_REGISTRYINDEX);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	if (lp->ntargets > 1)
		qsort(lp->targets, lp->ntargets, sizeof *lp->targets, target_cmp);
	info->targets = xcalloc(lp->ntargets, sizeof *info->targets);
	for (size_t i = 0; i < lp->ntargets; i++)
		info->targets[info->ntargets++] = xstrdup(lp->targets[i].stage);
	if (info->ntargets > 1)
		qsort(info->targets, info->ntargets, sizeof *info->targets, str_cmp);
}

static const char *const plugin_keys[] = {
	"api", "criteria", "description", "limits", "map", "name", "policies", "score", "selftest",
	"templates", "tests", "version", NULL,
};

enum { PLUGIN_NAME_MAX = 64 };

/* A plugin's name goes into listings, error lines and key-value keys, so it
 * must be a short printable identifier: 1 to PLUGIN_NAME_MAX of [A-Za-z0-9_.-].
 * Raises an error showing the first bad byte escaped (never raw). */
static void check_name(lua_State *L, int t)
{
	if (lh_rawfield(L, t, "name") != LUA_TSTRING) {
		lua_pop(L, 1);
		return; /* absent or not a string: lh_opt_string says so */
	}
	size_t n;
	const char *s = lua_tolstring(L, -1, &n);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		         ch == '_' || ch == '.' || ch == '-';
		if (!ok && ch > 0x20 && ch < 0x7f)
			luaL_error(L, "name may hold only A-Z a-z 0-9 _ . - (byte %d is '%c')", (int)i + 1, ch);
		if (!ok) {
			char hex[8]; /* lua_pushfstring has no %x */
			snprintf(hex, sizeof hex, "0x%02x", ch);
			luaL_error(L, "name may hold only A-Z a-z 0-9 _ . - (byte %d is %s)", (int)i + 1, hex);
		}
	}
	if (n > PLUGIN_NAME_MAX)
		luaL_error(L, "name is %d bytes long; at most %d", (int)n, PLUGIN_NAME_MAX);
	lua_pop(L, 1);
}

/* The plugin table at t → info (and the function references in lp). */
static void read_plugin(lua_State *L, lplugin *lp, int t, heed_plugin_info *info)
{
	check_name(L, t);
	info->name = lh_opt_string(L, t, "name", "name");
	if (heed_empty(info->name))
		luaL_error(L, "the plugin table has no name (a non-empty string, e.g. name = \"icp\")");
	free(lp->name);
	lp->name = xstrdup(info->name);
	info->version = lh_opt_string(L, t, "version", "version");
	if (heed_empty(info->version))
		luaL_error(L, "the plugin table has no version (a non-empty string, e.g. version = \"1.0.0\")");
	int type = lh_rawfield(L, t, "api");
	if (type == LUA_TNIL)
		info->api = 1;
	else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= 1000)
		info->api = (int)lua_tointeger(L, -1);
	else
		luaL_error(L, "api must be a positive integer (api level), got %s", luaL_typename(L, -1));
	lua_pop(L, 1);
	lh_check_keys(L, t, "plugin table", plugin_keys);
	lh_limits_read(L, lp, t, lp->conf);
	info->limits = lp->lim;

	type = lh_rawfield(L, t, "criteria");
	if (type == LUA_TTABLE)
		read_criteria(L, lp, lua_gettop(L), info);
	else if (type != LUA_TNIL)
		luaL_error(L, "criteria must be a table keyed by stage, got %s", luaL_typename(L, -1));
	lua_pop(L, 1);

	type = lh_rawfield(L, t, "score");
	if (type == LUA_TFUNCTION) {
		lp->score_line = lh_fn_line(L, -1);
		lp->score_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		info->has_score = 1;
	} else {
		if (type != LUA_TNIL)
			luaL_error(L, "score must be a function, got %s", luaL_typename(L, -1));
		lua_pop(L, 1);
	}

	type = lh_rawfield(L, t, "map");
	if (type == LUA_TTABLE) {
		info->has_map = 1;
		lh_read_map(L, lp, lua_gettop(L), &info->map);
	} else if (type != LUA_TNIL) {
		luaL_error(L, "map must be a table, got %s", luaL_typename(L, -1));
	}
	lua_pop(L, 1);

	type = lh_rawfield(L, t, "policies");
	if (type == LUA_TTABLE)
		lh_read_policies(L, lp, lua_gettop(L), info);
	else if (type != LUA_TNIL)
		luaL_error(L, "policies must be an array of policy tables, got %s", luaL_typename(L, -1));
	lua_pop(L, 1);
}

/* Highest line with code in the function on top (where a main chunk returns). */
static int last_line(lua_State *L)
{
	lua_Debug ar;
	int max = 1;
	lua_pushvalue(L, -1);
	lua_getinfo(L, ">L", &ar);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pop(L, 1);
		if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > max)
			max = (int)lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	return max;
}

/* add(name, points [, reason]): the second argument of score, which appends a
 * part; the host validates it like a returned one. */
static int score_add(lua_State *L)
{
	lplugin *lp = lh_plugin_of(L);
	size_t nlen, rlen = 0;
	const char *name = luaL_checklstring(L, 1, &nlen);
	lua_Number points = luaL_checknumber(L, 2);
	const char *reason = luaL_optlstring(L, 3, NULL, &rlen);
	if (!lp->parts)
		luaL_error(L, "add can only be called during a score call");
	heed_parts_add(lp->parts, lp->name, name, nlen, reason, rlen, (double)points);
	return 0;
}

static int body_load(lua_State *L, gate *g)
{
	lplugin *lp = g->lp;
	push_sandbox(L);
	int env = lua_gettop(L);
	lh_make_contact_mt(L, lp, env);
	lua_pushcfunction(L, score_add);
	lp->add_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_createtable(L, ORG_NKEYS, 0);
	for (int k = 0; k < ORG_NKEYS; k++) {
		lua_pushstring(L, lh_org_keys[k]);
		lua_rawseti(L, -2, k + 1);
	}
	lp->org_keys = luaL_ref(L, LUA_REGISTRYINDEX);
	if (luaL_loadfilex(L, lp->path, "t") != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, env);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	g->line = last_line(L);
	lua_call(L, 0, 1);
	if (!lua_istable(L, -1))
		luaL_error(L, "the plugin must return a table, got %s", luaL_typename(L, -1));
	read_plugin(L, lp, lua_gettop(L), g->out);
	lh_load_tests(L, lp, lua_gettop(L), env);
	lh_load_templates(L, lp, lua_gettop(L));
	((heed_plugin_info *)g->out)->has_selftest = lh_load_selftest(L, lp, lua_gettop(L));
	return 0;
}

/* ---- criteria and score ---- */

static void add_check(heed_checks *out, const char *plugin, const char *name, const char *reason, int pass)
{
	out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
	out->v[out->n++] = (heed_check){
		.plugin = xstrdup(plugin), .name = xstrdup(name), .reason = xstrdup(reason), .pass = pass,
	};
}

static int body_contact(lua_State *L, gate *g)
{
	lh_push_contact(L, g->lp, g->c);
	return 1;
}

/* Argument 1: the contact table. */
static int body_check(lua_State *L, gate *g)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 2);
	if (lua_type(L, -2) != LUA_TBOOLEAN || lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "a check must return pass (boolean) and reason (string), got %s and %s",
		           luaL_typename(L, -2), luaL_typename(L, -1));
	add_check(g->out, g->lp->name, g->check, lua_tostring(L, -1), lua_toboolean(L, -2));
	return 0;
}

static int lh_criteria(void *state, const heed_contact *c, const char *target, heed_checks *out, char **err)
{
	lplugin *lp = state;
	lua_State *L = lp->L;
	ltarget *tg = NULL;
	for (size_t i = 0; i < lp->ntargets && !tg; i++)
		if (strcmp(lp->targets[i].stage, target) == 0)
			tg = &lp->targets[i];
	if (!tg || tg->n == 0)
		return HEED_OK;
	int rc = HEED_OK;
	char *msg = NULL;
	gate g = {.lp = lp, .fn = tg->fn, .line = tg->v[0].line, .c = c, .body = body_contact, .nres = 1};
	if (lh_gate_call(&g, &msg) != HEED_OK) {
		lp->cur = NULL;
		for (size_t i = 0; i < tg->n; i++)
			add_check(out, lp->name, tg->v[i].name, msg, 0);
		heed_seterr(err, "%s", msg);
		free(msg);
		return HEED_EPLUGIN;
	}
	for (size_t i = 0; i < tg->n; i++) {
		lcheck *k = &tg->v[i];
		lua_pushvalue(L, -1);
		g = (gate){.lp = lp, .fn = k->fn, .check = k->name, .line = k->line, .ref = k->ref, .c = c,
		           .body = body_check, .out = out, .nargs = 1};
		msg = NULL;
		if (lh_gate_call(&g, &msg) != HEED_OK) {
			add_check(out, lp->name, k->name, msg, 0);
			heed_seterr(err, "%s", msg);
			free(msg);
			rc = HEED_EPLUGIN;
		}
	}
	lp->cur = NULL;
	lua_pop(L, 1);
	return rc;
}

static int body_score(lua_State *L, gate *g)
{
	heed_parts *out = g->out;
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
	lh_push_contact(L, g->lp, g->c);
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->lp->add_ref);
	g->lp->parts = out;
	lua_call(L, 2, 1);
	int t = lua_gettop(L);
	if (lua_isnil(L, t))
		return 0;
	if (!lua_istable(L, t))
		luaL_error(L, "score must return an array of parts {name=, points=, reason=}, got %s",
		           luaL_typename(L, t));
	if (lua_getmetatable(L, t))
		luaL_error(L, "score must return a plain table, not one with a metatable");
	lua_Integer n = (lua_Integer)lua_rawlen(L, t);
	/* the keys, pushed once: t+1 "name", t+2 "points", t+3 "reason" */
	lua_pushliteral(L, "name");
	lua_pushliteral(L, "points");
	lua_pushliteral(L, "reason");
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_rawgeti(L, t, i) != LUA_TTABLE)
			luaL_error(L, "part %d must be a table {name=, points=, reason=}, got %s", (int)i,
			           luaL_typename(L, -1));
		if (lua_getmetatable(L, -1))
			luaL_error(L, "part %d must be a plain table, not one with a metatable", (int)i);
		int e = lua_gettop(L), type[3];
		for (int k = 0; k < 3; k++) {
			lua_pushvalue(L, t + 1 + k);
			type[k] = lua_rawget(L, e);
		}
		if ((type[0] != LUA_TSTRING && type[0] != LUA_TNIL) || (type[2] != LUA_TSTRING && type[2] != LUA_TNIL))
			luaL_error(L, "part %d: name and reason must be strings", (int)i);
		if (type[1] != LUA_TNUMBER)
			luaL_error(L, "part %d: points must be a number, got %s", (int)i, luaL_typename(L, e + 2));
		size_t nlen = 0, rlen = 0;
		const char *name = lua_tolstring(L, e + 1, &nlen);
		const char *reason = type[2] == LUA_TSTRING ? lua_tolstring(L, e + 3, &rlen) : NULL;
		heed_parts_add(out, g->lp->name, name, nlen, reason, rlen, lua_tonumber(L, e + 2));
		lua_settop(L, t + 3);
	}
	return 0;
}

static int lh_score(void *state, const heed_contact *c, heed_parts *out, char **err)
{
	lplugin *lp = state;
	if (lp->score_ref == LUA_NOREF)
		return HEED_OK;
	size_t n0 = out->n;
	gate g = {.lp = lp, .fn = "score", .line = lp->score_line, .ref = lp->score_ref, .c = c,
	          .body = body_score, .out = out};
	int rc = lh_gate_call(&g, err);
	lp->cur = NULL;
	lp->parts = NULL;
	if (rc != HEED_OK)
		heed_parts_cut(out, n0);
	return rc;
}

/* ---- load and unload ---- */

static void lh_unload(void *state)
{
	lplugin *lp = state;
	if (!lp)
		return;
	if (lp->L) {
		lh_limits_arm(lp); /* bounds __gc code run at close */
		lua_close(lp->L);
	}
	pool_clear(&lp->pool);
	for (size_t i = 0; i < lp->ntargets; i++) {
		for (size_t k = 0; k < lp->targets[i].n; k++) {
			free(lp->targets[i].v[k].name);
			free(lp->targets[i].v[k].fn);
		}
		free(lp->targets[i].v);
		free(lp->targets[i].stage);
		free(lp->targets[i].fn);
	}
	free(lp->targets);
	lh_free_policies(lp);
	free(lp->path);
	free(lp->chunkname);
	free(lp->libdir);
	free(lp->last_limit);
	free(lp->name);
	heed_buf_free(&lp->trace);
	heed_buf_free(&lp->json);
	free(lp->keys);
	free(lp);
}

/* "dir/x.lua" → "x": the plugin's name until its table gives one. Caller frees. */
static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".lua") == 0)
		n -= 4;
	return xstrndup(base, n);
}

static int lh_load(const char *path, const heed_limits *conf, void **state, heed_plugin_info *info,
                   char **err)
{
	int rc = HEED_OK;
	lplugin *lp = xcalloc(1, sizeof *lp);
	lp->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	lp->libdir = slash ? xasprintf("%.*s/lib", (int)(slash - path), path) : xstrdup("lib");
	lp->conf = conf;
	lh_limits_default(lp);
	lp->chunkname = xasprintf("@%s", path);
	lp->name = file_stem(path);
	lp->score_ref = lp->row_ref = lp->contact_mt = lp->add_ref = lp->org_keys = LUA_NOREF;
	lp->tests_ref = lp->tester_ref = lp->templates_ref = lp->selftest_ref = LUA_NOREF;
	memset(info, 0, sizeof *info);
	lp->L = lua_newstate(lh_alloc, lp);
	if (!lp->L) {
		heed_seterr(err, "plugin '%s' (%s:1): cannot create a Lua state", lp->name, path);
		rc = HEED_EPLUGIN;
		goto done;
	}
	lua_atpanic(lp->L, lh_panic);
	/* Plugin calls make short-lived tables (a contact, its parts): the
	 * generational collector reclaims those far more cheaply. */
	lua_gc(lp->L, LUA_GCGEN, 0, 0);
	gate g = {.lp = lp, .line = 1, .ref = LUA_NOREF, .body = body_load, .out = info};
	rc = lh_gate_call(&g, err);
	lp->conf = NULL;
	if (rc == HEED_OK) {
		info->line = g.line;
		info->score_line = lp->score_line;
		lp->templates_line = g.line;
	}
done:
	if (rc != HEED_OK) {
		heed_plugin_info_clear(info);
		lh_unload(lp);
		lp = NULL;
	}
	*state = lp;
	return rc;
}

const heed_engine heed_lua_engine = {
	.name = "lua",
	.load = lh_load,
	.criteria = lh_criteria,
	.score = lh_score,
	.map_row = lh_map_row,
	.suspended = lh_suspension,
	.test = lh_test,
	.policy = lh_policy,
	.render = lh_render,
	.selftest = lh_selftest,
	.set_kv = lh_set_kv,
	.unload = lh_unload,
};
