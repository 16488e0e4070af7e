/* luahost_repl: the REPL's Lua environment. One full Lua state (the user's
 * own, not a plugin sandbox) holding the standard libraries and a `heed`
 * table: contact queries (count, find, get), qualification (why), scoring
 * (score) and any dot-command (run). Expressions print their values; a list
 * of records prints as a table in the session's output mode. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "repl_int.h"
#include "stage.h"
#include "util.h"

struct repl_lua {
	lua_State *L;
	repl *r;
	volatile sig_atomic_t running; /* a chunk runs: Ctrl-C may stop it */
};

static const char REPL_KEY = 'r'; /* registry key of the session (light userdata) */

static repl *session(lua_State *L)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &REPL_KEY);
	repl *r = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return r;
}

/* The store, or a Lua error when there is none (cli_store printed why). */
static heed_store *need_store(lua_State *L)
{
	heed_store *s = cli_store(session(L)->cli);
	if (!s)
		luaL_error(L, "no store (see the message above)");
	return s;
}

static const char *opt_stage(lua_State *L, int idx, const char *fn)
{
	const char *st = NULL;
	if (lua_type(L, idx) == LUA_TSTRING)
		st = lua_tostring(L, idx);
	else if (lua_type(L, idx) == LUA_TTABLE) {
		lua_getfield(L, idx, "stage");
		st = lua_tostring(L, -1);
		lua_pop(L, 1); /* the string stays in the caller's table */
	} else if (!lua_isnoneornil(L, idx))
		luaL_error(L, "heed.%s: give a stage name or a table {stage=…}", fn);
	if (st && heed_stage_parse(st) < 0)
		luaL_error(L, "heed.%s: unknown stage '%s' (stages: lead, prospect, opportunity, won,"
		              " lost, disqualified)", fn, st);
	return st;
}

static void set_s(lua_State *L, const char *k, const char *v)
{
	if (v) {
		lua_pushstring(L, v);
		lua_setfield(L, -2, k);
	}
}

static void set_n(lua_State *L, const char *k, double v)
{
	if (!isnan(v)) {
		lua_pushnumber(L, v);
		lua_setfield(L, -2, k);
	}
}

/* heed.count([stage | {stage=…}]) → contacts in the stage (all when none). */
static int l_count(lua_State *L)
{
	const char *st = opt_stage(L, 1, "count");
	int64_t n;
	char *err = NULL;
	if (heed_store_count(need_store(L), st, &n, &err) != HEED_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		free(err);
		return 2;
	}
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

/* heed.find{stage=, min_score=, order='score', limit=20} → list of records. */
static int l_find(lua_State *L)
{
	heed_listq q = { .stage = opt_stage(L, 1, "find"), .min_score = NAN, .order = "score",
		             .desc = -1, .limit = 20 };
	if (lua_istable(L, 1)) {
		if (lua_getfield(L, 1, "min_score") != LUA_TNIL)
			q.min_score = luaL_checknumber(L, -1);
		if (lua_getfield(L, 1, "order") != LUA_TNIL)
			q.order = luaL_checkstring(L, -1);
		if (lua_getfield(L, 1, "limit") != LUA_TNIL)
			q.limit = (long)luaL_checkinteger(L, -1);
		lua_pop(L, 3);
	}
	int known = 0;
	for (int i = 0; heed_store_orders[i]; i++)
		known |= strcmp(q.order, heed_store_orders[i]) == 0;
	if (!known)
		return luaL_error(L, "heed.find: unknown order '%s'", q.order);
	heed_listrow *rows;
	size_t n;
	char *err = NULL;
	if (heed_store_list(need_store(L), &q, &rows, &n, &err) != HEED_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		free(err);
		return 2;
	}
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 8);
		lua_pushinteger(L, rows[i].id);
		lua_setfield(L, -2, "id");
		set_s(L, "email", rows[i].email);
		set_s(L, "name", heed_empty(rows[i].name) ? NULL : rows[i].name);
		set_s(L, "organisation", rows[i].org);
		set_s(L, "title", rows[i].title);
		set_s(L, "stage", rows[i].stage);
		set_n(L, "score", rows[i].score);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	heed_listrows_free(rows, n);
	return 1;
}

/* Load CONTACT (argument idx) into c; on failure push nil, message and return 0. */
static int load(lua_State *L, int idx, unsigned flags, heed_contact *c)
{
	const char *ref = luaL_checkstring(L, idx);
	heed_store *s = need_store(L);
	int64_t id;
	char *err = NULL;
	heed_contact_init(c);
	if (heed_store_resolve(s, ref, &id, &err) != HEED_OK ||
	    heed_store_load(s, id, flags, c, &err) != HEED_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		free(err);
		return 0;
	}
	return 1;
}

/* heed.get(CONTACT) → a record of its fields, organisation and deal. */
static int l_get(lua_State *L)
{
	heed_contact c;
	if (!load(L, 1, HEED_LOAD_BARE, &c))
		return 2;
	lua_createtable(L, 0, 16);
	lua_pushinteger(L, c.id);
	lua_setfield(L, -2, "id");
	set_s(L, "email", c.email);
	set_s(L, "external_id", c.external_id);
	set_s(L, "source", c.source);
	set_s(L, "first_name", c.first_name);
	set_s(L, "last_name", c.last_name);
	set_s(L, "title", c.title);
	set_s(L, "phone", c.phone);
	set_s(L, "owner", c.owner);
	set_s(L, "stage", c.stage);
	set_n(L, "score", c.score);
	if (c.org.id) {
		lua_createtable(L, 0, 4);
		set_s(L, "name", c.org.name);
		set_s(L, "industry", c.org.industry);
		set_s(L, "country", c.org.country);
		if (c.org.employees >= 0) {
			lua_pushinteger(L, c.org.employees);
			lua_setfield(L, -2, "employees");
		}
		lua_setfield(L, -2, "org");
	}
	if (c.deal.present) {
		lua_createtable(L, 0, 3);
		set_n(L, "value", c.deal.value);
		set_n(L, "probability", c.deal.probability);
		set_s(L, "currency", c.deal.currency);
		lua_setfield(L, -2, "deal");
	}
	heed_contact_clear(&c);
	return 1;
}

/* heed.why(CONTACT [, STAGE]) → list of {plugin, name, pass, reason}. */
static int l_why(lua_State *L)
{
	heed_contact c;
	if (!load(L, 1, 0, &c))
		return 2;
	const char *target = luaL_optstring(L, 2, NULL);
	int cur = heed_stage_parse(c.stage);
	if (!target && heed_stage_next(cur) >= 0)
		target = heed_stage_names[heed_stage_next(cur)];
	if (!target || heed_stage_parse(target) < 0) {
		lua_pushfstring(L, "heed.why: %s '%s'", target ? "unknown stage" : "no stage follows",
		                target ? target : c.stage);
		heed_contact_clear(&c);
		return lua_error(L);
	}
	heed_plugins *p = cli_plugins(session(L)->cli);
	heed_checks k = { 0 };
	char *err = NULL;
	if (p)
		heed_plugins_criteria(p, &c, target, &k, &err);
	heed_contact_clear(&c);
	lua_createtable(L, (int)k.n, 0);
	for (size_t i = 0; i < k.n; i++) {
		lua_createtable(L, 0, 4);
		set_s(L, "plugin", k.v[i].plugin);
		set_s(L, "name", k.v[i].name);
		lua_pushboolean(L, k.v[i].pass);
		lua_setfield(L, -2, "pass");
		set_s(L, "reason", k.v[i].reason);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	heed_checks_clear(&k);
	if (err) {
		lua_pushstring(L, err);
		free(err);
		return 2;
	}
	return 1;
}

/* heed.score(CONTACT) → total, parts: computed by the plugins now, not stored. */
static int l_score(lua_State *L)
{
	heed_contact c;
	if (!load(L, 1, 0, &c))
		return 2;
	heed_plugins *p = cli_plugins(session(L)->cli);
	heed_parts parts = { 0 };
	char *err = NULL;
	if (p)
		heed_plugins_score(p, &c, &parts, &err);
	heed_contact_clear(&c);
	lua_pushnumber(L, parts.total);
	lua_createtable(L, (int)parts.n, 0);
	for (size_t i = 0; i < parts.n; i++) {
		lua_createtable(L, 0, 4);
		set_s(L, "plugin", parts.v[i].plugin);
		set_s(L, "name", parts.v[i].name);
		set_n(L, "points", parts.v[i].points);
		set_s(L, "reason", parts.v[i].reason);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	heed_parts_clear(&parts);
	if (err) {
		lua_pushstring(L, err);
		free(err);
		return 3;
	}
	return 2;
}

/* heed.run('.command args') → true when the command succeeded. */
static int l_run(lua_State *L)
{
	const char *line = luaL_checkstring(L, 1);
	if (line[0] == '.')
		line++;
	const char *p = line;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (!*p) { /* an empty prefix would match every command as "ambiguous" */
		repl_output_error(session(L), "heed.run: empty command");
		lua_pushboolean(L, 0);
		return 1;
	}
	char *copy = xstrdup(line);
	int exit = repl_dot(session(L), copy);
	free(copy);
	lua_pushboolean(L, exit == EXIT_OK);
	return 1;
}

static const luaL_Reg heed_lib[] = {
	{ "count", l_count }, { "find", l_find }, { "get", l_get }, { "run", l_run },
	{ "score", l_score }, { "why", l_why }, { NULL, NULL },
};

repl_lua *repl_lua_new(repl *r)
{
	repl_lua *rl = xcalloc(1, sizeof *rl);
	rl->r = r;
	rl->L = luaL_newstate();
	if (!rl->L) {
		fprintf(stderr, "heed: out of memory starting Lua\n");
		abort();
	}
	luaL_openlibs(rl->L);
	lua_pushlightuserdata(rl->L, r);
	lua_rawsetp(rl->L, LUA_REGISTRYINDEX, &REPL_KEY);
	luaL_newlib(rl->L, heed_lib);
	lua_createtable(rl->L, HEED_NSTAGES, 0);
	for (int i = 0; i < HEED_NSTAGES; i++) {
		lua_pushstring(rl->L, heed_stage_names[i]);
		lua_rawseti(rl->L, -2, i + 1);
	}
	lua_setfield(rl->L, -2, "stages");
	lua_setglobal(rl->L, "heed");
	return rl;
}

void repl_lua_free(repl_lua *rl)
{
	if (!rl)
		return;
	lua_close(rl->L);
	free(rl);
}

/* ---- Ctrl-C ---- */

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted");
}

void repl_lua_interrupt(repl_lua *rl)
{
	/* lua_sethook may be called from a signal handler (see lua.c's laction) */
	if (rl && rl->running)
		lua_sethook(rl->L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* ---- printing values ---- */

static void write_value(lua_State *L, int idx, heed_buf *b, int depth);

static int is_ident(const char *s)
{
	if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 0;
	for (s++; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static void write_table(lua_State *L, int idx, heed_buf *b, int depth)
{
	if (depth > 3) {
		heed_buf_adds(b, "{…}");
		return;
	}
	lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
	int first = 1;
	heed_buf_addc(b, '{');
	for (lua_Integer i = 1; i <= len; i++) {
		heed_buf_adds(b, first ? "" : ", ");
		first = 0;
		lua_rawgeti(L, idx, i);
		write_value(L, lua_gettop(L), b, depth + 1);
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= len) {
			lua_pop(L, 1);
			continue;
		}
		heed_buf_adds(b, first ? "" : ", ");
		first = 0;
		if (lua_type(L, -2) == LUA_TSTRING && is_ident(lua_tostring(L, -2)))
			heed_buf_adds(b, lua_tostring(L, -2));
		else {
			heed_buf_addc(b, '[');
			write_value(L, lua_gettop(L) - 1, b, depth + 1);
			heed_buf_addc(b, ']');
		}
		heed_buf_adds(b, " = ");
		write_value(L, lua_gettop(L), b, depth + 1);
		lua_pop(L, 1);
	}
	heed_buf_addc(b, '}');
}

static void write_value(lua_State *L, int idx, heed_buf *b, int depth)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		heed_buf_addc(b, '"');
		for (const char *p = lua_tostring(L, idx); *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '"' || c == '\\')
				heed_buf_addc(b, '\\');
			if (c == '\n')
				heed_buf_adds(b, "\\n");
			else if (c < 0x20 || c == 0x7f) /* terminal escapes from imported data */
				heed_buf_addf(b, "\\%d", c);
			else
				heed_buf_addc(b, *p);
		}
		heed_buf_addc(b, '"');
		break;
	}
	case LUA_TTABLE:
		if (!luaL_getmetafield(L, idx, "__tostring")) {
			write_table(L, idx, b, depth);
			break;
		}
		lua_pop(L, 1);
		/* fall through */
	default:
		heed_buf_adds(b, luaL_tolstring(L, idx, NULL));
		lua_pop(L, 1);
	}
}

/* The columns of a list of records: the usual ones first, then the rest by name. */
static const char *const preferred[] = { "id", "email", "name", "organisation", "title", "stage",
	                                     "score", "plugin", "pass", "points", "reason", NULL };

static int col_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A non-empty sequence whose items are all tables of scalars: print as a table. */
static int is_records(lua_State *L, int idx)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
	if (n == 0)
		return 0;
	for (lua_Integer i = 1; i <= n; i++) {
		int t = lua_rawgeti(L, idx, i);
		lua_pop(L, 1);
		if (t != LUA_TTABLE)
			return 0;
	}
	return 1;
}

static char **record_cols(lua_State *L, int idx, size_t *ncols)
{
	char **cols = NULL;
	size_t n = 0, cap = 0, fixed = 0;
	for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, idx); i++) {
		lua_rawgeti(L, idx, i);
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			lua_pop(L, 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				continue;
			const char *k = lua_tostring(L, -1);
			size_t j = 0;
			while (j < n && strcmp(cols[j], k) != 0)
				j++;
			if (j < n)
				continue;
			if (n == cap)
				cols = xrealloc(cols, (cap = cap ? cap * 2 : 16) * sizeof *cols);
			cols[n++] = xstrdup(k);
		}
		lua_pop(L, 1);
	}
	/* the preferred columns to the front, in their order */
	for (int p = 0; preferred[p]; p++)
		for (size_t j = fixed; j < n; j++)
			if (strcmp(cols[j], preferred[p]) == 0) {
				char *t = cols[j];
				memmove(cols + fixed + 1, cols + fixed, (j - fixed) * sizeof *cols);
				cols[fixed++] = t;
				break;
			}
	qsort(cols + fixed, n - fixed, sizeof *cols, col_cmp);
	*ncols = n;
	return cols;
}

static void print_records(lua_State *L, int idx, heed_format fmt)
{
	size_t ncols;
	char **cols = record_cols(L, idx, &ncols);
	heed_table *t = heed_table_new((const char *const *)cols, ncols);
	heed_buf b = { 0 };
	for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, idx); i++) {
		lua_rawgeti(L, idx, i);
		for (size_t c = 0; c < ncols; c++) {
			int ty = lua_getfield(L, -1, cols[c]);
			if (ty == LUA_TNIL)
				heed_table_str(t, NULL);
			else if (lua_isinteger(L, -1))
				heed_table_int(t, lua_tointeger(L, -1));
			else if (ty == LUA_TNUMBER)
				heed_table_num(t, lua_tonumber(L, -1), 2);
			else if (ty == LUA_TBOOLEAN)
				heed_table_bool(t, lua_toboolean(L, -1));
			else if (ty == LUA_TSTRING)
				heed_table_str(t, lua_tostring(L, -1));
			else {
				heed_buf_reset(&b);
				write_value(L, lua_gettop(L), &b, 1);
				heed_table_str(t, heed_buf_str(&b));
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	heed_table_print(t, fmt, stdout);
	heed_table_free(t);
	heed_buf_free(&b);
	for (size_t c = 0; c < ncols; c++)
		free(cols[c]);
	free(cols);
}

/* Print the values on the stack from index base on, tab-separated. */
static void print_values(repl_lua *rl, int base)
{
	lua_State *L = rl->L;
	int top = lua_gettop(L);
	if (top - base == 0 && lua_istable(L, base) && is_records(L, base)) {
		print_records(L, base, rl->r->cli->fmt);
		return;
	}
	heed_buf b = { 0 };
	for (int i = base; i <= top; i++) {
		if (i > base)
			heed_buf_addc(&b, '\t');
		if (lua_type(L, i) == LUA_TSTRING) { /* as print() would: quotes only inside tables */
			for (const char *p = lua_tostring(L, i); *p; p++) {
				unsigned char c = (unsigned char)*p; /* but no terminal escapes */
				heed_buf_addc(&b, (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : *p);
			}
		}
		else
			write_value(L, i, &b, 0);
	}
	heed_buf_addc(&b, '\n');
	fputs(b.s, stdout);
	heed_buf_free(&b);
}

/* ---- evaluation ---- */

static int msgh(lua_State *L)
{
	const char *m = lua_tostring(L, 1);
	if (!m)
		m = luaL_tolstring(L, 1, NULL);
	luaL_traceback(L, L, m, 1);
	/* the first line is the message; a traceback helps only with nested calls */
	const char *tb = lua_tostring(L, -1), *nl = strstr(tb, "\nstack traceback:");
	lua_pushlstring(L, tb, nl ? (size_t)(nl - tb) : strlen(tb));
	return 1;
}

/* Compile chunk: as an expression first (so `1+1` prints), then as statements. */
static int compile(lua_State *L, const char *chunk, char **err)
{
	const char *code = chunk[0] == '=' ? chunk + 1 : chunk;
	char *ret = xasprintf("return %s;", code);
	int st = luaL_loadbuffer(L, ret, strlen(ret), "=input");
	free(ret);
	if (st == LUA_OK || chunk[0] == '=') {
		if (st == LUA_OK)
			return HEED_OK;
	} else {
		lua_pop(L, 1);
		st = luaL_loadbuffer(L, code, strlen(code), "=input");
		if (st == LUA_OK)
			return HEED_OK;
	}
	size_t len;
	const char *m = lua_tolstring(L, -1, &len);
	/* a syntax error at the end of the text: the chunk goes on on the next line */
	if (st == LUA_ERRSYNTAX && len >= 5 && strcmp(m + len - 5, "<eof>") == 0) {
		lua_pop(L, 1);
		return REPL_INCOMPLETE;
	}
	heed_seterr(err, "%s", m);
	lua_pop(L, 1);
	return HEED_EINPUT;
}

int repl_lua_eval(repl_lua *rl, const char *chunk, char **err)
{
	lua_State *L = rl->L;
	int base = lua_gettop(L);
	lua_sethook(L, NULL, 0, 0);
	lua_pushcfunction(L, msgh);
	int rc = compile(L, chunk, err);
	if (rc != HEED_OK) {
		lua_settop(L, base);
		return rc;
	}
	rl->running = 1;
	int st = lua_pcall(L, 0, LUA_MULTRET, base + 1);
	rl->running = 0;
	if (st != LUA_OK) {
		heed_seterr(err, "%s", lua_tostring(L, -1));
		rc = HEED_ERR;
	} else if (lua_gettop(L) > base + 1) {
		print_values(rl, base + 2);
	}
	lua_sethook(L, NULL, 0, 0); /* an interrupt that came after the chunk ended */
	lua_settop(L, base);
	return rc;
}

/* ---- completion ---- */

void repl_lua_complete(repl_lua *rl, const char *word, void (*add)(void *ud, const char *text),
                       void *ud)
{
	lua_State *L = rl->L;
	int top = lua_gettop(L);
	const char *last = word, *p;
	lua_pushglobaltable(L);
	/* walk a.b:c down to the table holding the last name */
	for (p = word; *p; p++) {
		if (*p != '.' && *p != ':')
			continue;
		lua_pushlstring(L, last, (size_t)(p - last));
		if (!lua_istable(L, -2) || lua_gettable(L, -2) != LUA_TTABLE) {
			lua_settop(L, top);
			return;
		}
		last = p + 1;
	}
	if (!lua_istable(L, -1)) {
		lua_settop(L, top);
		return;
	}
	size_t plen = (size_t)(last - word), n = strlen(last);
	/* heed's functions are documented with a table argument (heed.count{…}): name only */
	lua_getglobal(L, "heed");
	int in_heed = lua_rawequal(L, -1, -2);
	lua_pop(L, 1);
	heed_buf b = { 0 };
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -2);
			if (strncmp(k, last, n) == 0 && is_ident(k)) {
				heed_buf_reset(&b);
				heed_buf_add(&b, word, plen);
				heed_buf_adds(&b, k);
				if (lua_type(L, -1) == LUA_TFUNCTION && !in_heed)
					heed_buf_addc(&b, '(');
				else if (lua_type(L, -1) == LUA_TTABLE)
					heed_buf_addc(&b, '.');
				add(ud, heed_buf_str(&b));
			}
		}
		lua_pop(L, 1);
	}
	heed_buf_free(&b);
	lua_settop(L, top);
}
