/* luahost_mail: email templates, the Lua side. A plugin's `templates` table
 * maps a template name to {subject = ..., body = ...} (each a string with
 * {{placeholders}} or a function(c, payload) returning a string) or to a
 * function(c, payload) returning {subject = ..., body = ...}. Placeholders are
 * filled from the contact table and the payload. Part of the Lua engine (see
 * luahost_int.h); every call into the plugin goes through the gate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luahost_int.h"

/* Placeholder roots: the contact's fields a template may name, and payload. */
static const char *const roots[] = {
	"attrs", "created_at", "deal", "email", "external_id", "first_name", "id", "last_name", "org",
	"owner", "payload", "phone", "score", "source", "stage", "title", NULL,
};

static int known_root(const char *s, size_t n)
{
	for (int i = 0; roots[i]; i++)
		if (strlen(roots[i]) == n && memcmp(roots[i], s, n) == 0)
			return 1;
	return 0;
}

/* One placeholder's text between {{ and }}: PATH or PATH|DEFAULT. */
typedef struct ph {
	const char *path, *def; /* def NULL = none */
	size_t npath, ndef;
} ph;

static void ph_split(const char *s, size_t n, ph *p)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	const char *bar = memchr(s, '|', n);
	p->path = s;
	p->npath = bar ? (size_t)(bar - s) : n;
	while (p->npath && (s[p->npath - 1] == ' ' || s[p->npath - 1] == '\t'))
		p->npath--;
	p->def = bar ? bar + 1 : NULL;
	p->ndef = bar ? n - (size_t)(bar + 1 - s) : 0;
	while (p->ndef && (p->def[p->ndef - 1] == ' ' || p->def[p->ndef - 1] == '\t'))
		p->ndef--;
}

/* Raise an error unless every placeholder of text names a known root and a
 * well-formed path. what: "templates.x.subject", for the message. */
static void check_text(lua_State *L, const char *text, const char *what)
{
	const char *p = text;
	while ((p = strstr(p, "{{")) != NULL) {
		const char *end = strstr(p + 2, "}}");
		if (!end)
			luaL_error(L, "%s: '{{' without '}}' at offset %d", what, (int)(p - text));
		ph h;
		ph_split(p + 2, (size_t)(end - p - 2), &h);
		size_t root = 0;
		while (root < h.npath && h.path[root] != '.')
			root++;
		if (!known_root(h.path, root))
			luaL_error(L, "%s: unknown placeholder {{%s}} (it must start with a contact field such as"
			              " first_name, org, deal, attrs, or with payload)",
			           what, lua_pushlstring(L, h.path, h.npath));
		for (size_t i = 0; i < h.npath; i++)
			if (h.path[i] == '.' && (i + 1 == h.npath || h.path[i + 1] == '.'))
				luaL_error(L, "%s: placeholder {{%s}} has an empty name after '.'", what,
				           lua_pushlstring(L, h.path, h.npath));
		p = end + 2;
	}
}

/* Raise an error unless the string at idx is text an email can carry: no NUL
 * byte (C would cut it there) and valid UTF-8 (the message says utf-8). */
static void check_mail_text(lua_State *L, int idx, const char *what, const char *stage)
{
	size_t n, bad = 0;
	const char *s = lua_tolstring(L, idx, &n);
	const char *nul = memchr(s, '\0', n);
	if (nul)
		luaL_error(L, "%s: the %s text has a NUL byte at offset %d (email text must not contain NUL)",
		           what, stage, (int)(nul - s));
	if (!heed_utf8_valid(s, n, &bad))
		luaL_error(L, "%s: the %s text is not valid UTF-8 (at byte offset %d)", what, stage, (int)bad);
}

static void check_part(lua_State *L, int t, const char *name, const char *part)
{
	int type = lua_getfield(L, t, part);
	char *what = xasprintf("templates.%s.%s", name, part);
	lua_pushstring(L, what);
	free(what);
	what = (char *)lua_tostring(L, -1); /* anchored on the stack while we may raise */
	if (type == LUA_TSTRING) {
		check_mail_text(L, -2, what, "template");
		check_text(L, lua_tostring(L, -2), what);
	}
	else if (type != LUA_TFUNCTION)
		luaL_error(L, "%s must be a string with {{placeholders}} or a function(c, payload), got %s",
		           what, luaL_typename(L, -2));
	lua_pop(L, 2);
}

void lh_load_templates(lua_State *L, lplugin *lp, int plugin)
{
	if (lua_getfield(L, plugin, "templates") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "templates must be a table of name = {subject=, body=} or function(c, payload),"
		              " got %s", luaL_typename(L, -1));
	int t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "templates must be keyed by name (a string), got a %s key", luaL_typename(L, -2));
		const char *name = lua_tostring(L, -2);
		if (lua_istable(L, -1)) {
			int e = lua_gettop(L);
			check_part(L, e, name, "subject");
			check_part(L, e, name, "body");
			lua_pushnil(L);
			while (lua_next(L, e)) {
				const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
				if (strcmp(k, "subject") != 0 && strcmp(k, "body") != 0)
					luaL_error(L, "templates.%s: unknown key '%s' (a template has subject and body)", name, k);
				lua_pop(L, 1);
			}
		} else if (!lua_isfunction(L, -1)) {
			luaL_error(L, "templates.%s must be a table {subject=, body=} or a function(c, payload),"
			              " got %s", name, luaL_typename(L, -1));
		}
		lua_pop(L, 1);
	}
	lp->templates_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Push the value at path (root.a.b) from the contact at c or the payload at pl. */
static void push_path(lua_State *L, int c, int pl, const ph *h)
{
	const char *s = h->path, *end = h->path + h->npath;
	const char *dot = memchr(s, '.', (size_t)(end - s));
	size_t n = dot ? (size_t)(dot - s) : (size_t)(end - s);
	if (n == 7 && memcmp(s, "payload", 7) == 0) {
		lua_pushvalue(L, pl);
	} else {
		lua_pushlstring(L, s, n);
		lua_gettable(L, c);
	}
	while (dot) {
		s = dot + 1;
		dot = memchr(s, '.', (size_t)(end - s));
		n = dot ? (size_t)(dot - s) : (size_t)(end - s);
		if (!lua_istable(L, -1)) {
			lua_pop(L, 1);
			lua_pushnil(L);
			return;
		}
		lua_pushlstring(L, s, n);
		lua_gettable(L, -2);
		lua_remove(L, -2);
	}
}

/* Fill the placeholders of text → a new Lua string on the stack. */
static void fill(lua_State *L, const char *text, int c, int pl, const char *what)
{
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	const char *p = text;
	for (;;) {
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!close) {
			luaL_addstring(&b, p);
			break;
		}
		luaL_addlstring(&b, p, (size_t)(open - p));
		ph h;
		ph_split(open + 2, (size_t)(close - open - 2), &h);
		push_path(L, c, pl, &h);
		int type = lua_type(L, -1);
		if (type == LUA_TNIL) {
			lua_pop(L, 1);
			if (h.def)
				luaL_addlstring(&b, h.def, h.ndef);
		} else if (type == LUA_TTABLE) {
			luaL_error(L, "%s: {{%s}} is a table; name one of its fields", what,
			           lua_pushlstring(L, h.path, h.npath));
		} else if (type == LUA_TNUMBER && !lua_isinteger(L, -1)) {
			char num[64];
			snprintf(num, sizeof num, "%.15g", (double)lua_tonumber(L, -1));
			lua_pop(L, 1);
			luaL_addstring(&b, num);
		} else {
			luaL_tolstring(L, -1, NULL);
			lua_remove(L, -2);
			luaL_addvalue(&b);
		}
		p = close + 2;
	}
	luaL_pushresult(&b);
}

/* Turn the template's part (at index t, key part) into a string on the stack. */
static void render_part(lua_State *L, int t, const char *part, int c, int pl, const char *name)
{
	char what[160];
	snprintf(what, sizeof what, "templates.%s.%s", name, part);
	int type = lua_getfield(L, t, part);
	if (type == LUA_TFUNCTION) {
		lua_pushvalue(L, c);
		lua_pushvalue(L, pl);
		lua_call(L, 2, 1);
		if (!lua_isstring(L, -1))
			luaL_error(L, "%s must return a string, got %s", what, luaL_typename(L, -1));
	} else if (type == LUA_TSTRING) {
		check_mail_text(L, -1, what, "template");
		fill(L, lua_tostring(L, -1), c, pl, what);
		lua_remove(L, -2);
	} else {
		luaL_error(L, "%s must be a string or a function(c, payload), got %s", what, luaL_typename(L, -1));
	}
	check_mail_text(L, -1, what, "rendered");
}

/* Argument 1: the template (table or function). Results: subject, body. */
static int body_render(lua_State *L, gate *g)
{
	const char *payload = g->out;
	const char *first = payload ? payload + strspn(payload, " \t\r\n") : NULL;
	if (first && *first != '{')
		luaL_error(L, "payload is not a JSON object: %s", payload);
	lh_push_contact(L, g->lp, g->c);
	int c = lua_gettop(L);
	lh_push_json_object(L, payload, "payload");
	int pl = lua_gettop(L);
	if (lua_isfunction(L, 1)) {
		lua_pushvalue(L, 1);
		lua_pushvalue(L, c);
		lua_pushvalue(L, pl);
		lua_call(L, 2, 1);
		if (!lua_istable(L, -1))
			luaL_error(L, "must return a table {subject=, body=}, got %s", luaL_typename(L, -1));
		lua_replace(L, 1);
	}
	render_part(L, 1, "subject", c, pl, g->check);
	render_part(L, 1, "body", c, pl, g->check);
	return 2; /* subject, body */
}

/* t.render(name, c [, payload]) for a plugin's tests: its template `name`
 * rendered for the plain table c; returns subject, body. */
int lh_test_render(lua_State *L)
{
	lplugin *lp = lh_plugin_of(L);
	const char *name = luaL_checkstring(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	if (lua_isnoneornil(L, 3)) {
		lua_settop(L, 2);
		lua_newtable(L);
	}
	luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	if (lp->templates_ref == LUA_NOREF)
		return luaL_error(L, "this plugin has no templates");
	lua_rawgeti(L, LUA_REGISTRYINDEX, lp->templates_ref);
	lua_pushvalue(L, 1);
	if (lua_rawget(L, -2) == LUA_TNIL)
		return luaL_error(L, "no template '%s' in this plugin", name);
	lua_replace(L, 4); /* 4: the template */
	lua_settop(L, 4);
	if (lua_isfunction(L, 4)) {
		lua_pushvalue(L, 2);
		lua_pushvalue(L, 3);
		lua_call(L, 2, 1); /* the function at 4 is replaced by its result */
		if (!lua_istable(L, 4))
			return luaL_error(L, "templates.%s must return a table {subject=, body=}, got %s", name,
			                  luaL_typename(L, 4));
	}
	render_part(L, 4, "subject", 2, 3, name);
	render_part(L, 4, "body", 2, 3, name);
	return 2;
}

int lh_render(void *state, const char *name, const heed_contact *c, const char *payload,
              heed_rendered *out, char **err)
{
	lplugin *lp = state;
	lua_State *L = lp->L;
	if (lp->templates_ref == LUA_NOREF)
		return HEED_ENOTFOUND;
	lua_rawgeti(L, LUA_REGISTRYINDEX, lp->templates_ref);
	lua_pushstring(L, name);
	int type = lua_rawget(L, -2);
	lua_remove(L, -2);
	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return HEED_ENOTFOUND;
	}
	char *fn = xasprintf("templates.%s", name);
	gate g = {.lp = lp, .fn = fn, .check = name, .line = lua_isfunction(L, -1) ? lh_fn_line(L, -1) : lp->templates_line,
	          .c = c, .body = body_render, .out = (void *)payload, .nargs = 1, .nres = 2};
	int rc = lh_gate_call(&g, err);
	lp->cur = NULL;
	if (rc == HEED_OK) {
		out->subject = xstrdup(lua_tostring(L, -2));
		out->body = xstrdup(lua_tostring(L, -1));
		lua_pop(L, 2);
	}
	free(fn);
	return rc;
}
