/* luahost_kv: heed.kv, the plugins' key-value store: state that outlives a
 * reload (Lua globals do not). Each plugin sees its own keys only (they are
 * kept under its name). The host gives the storage (heed_kv, see plugin.h);
 * without it every call fails with a clear message. Part of the Lua engine
 * (see luahost_int.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luahost_int.h"

enum { KV_KEY_MAX = 256, KV_VALUE_MAX = 65536 };

static const heed_kv *kv_of(lua_State *L, lplugin *lp)
{
	if (!lp->kv || !lp->kv->get)
		luaL_error(L, "heed.kv: no store here (the key-value store needs a heed store)");
	return lp->kv;
}

static const char *kv_key(lua_State *L)
{
	size_t n;
	const char *k = luaL_checklstring(L, 1, &n);
	if (n == 0 || n > KV_KEY_MAX)
		luaL_error(L, "heed.kv: a key is 1 to %d bytes, got %d", KV_KEY_MAX, (int)n);
	if (memchr(k, '\0', n)) { /* the store would keep the key only up to the NUL */
		char shown[KV_KEY_MAX * 2 + 1];
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			if (k[i] == '\0') {
				shown[j++] = '\\';
				shown[j++] = '0';
			} else {
				shown[j++] = k[i];
			}
		}
		shown[j] = '\0';
		luaL_error(L, "heed.kv: plugin '%s': key '%s' has a NUL byte (keys are text without NUL)",
		           lh_plugin_of(L)->name, shown);
	}
	return k;
}

/* Raise err (freed) as the call's error. */
static int kv_fail(lua_State *L, char *err)
{
	lua_pushstring(L, err ? err : "heed.kv: failed");
	free(err);
	return lua_error(L);
}

/* Values are kept as text with a type tag: s (string), n (number), b (boolean). */
static int kv_get(lua_State *L)
{
	lplugin *lp = lh_plugin_of(L);
	const char *key = kv_key(L);
	const heed_kv *kv = kv_of(L, lp);
	char *val = NULL, *err = NULL;
	if (kv->get(kv->ctx, lp->name, key, &val, &err) != HEED_OK)
		return kv_fail(L, err);
	free(err);
	if (!val) {
		lua_pushnil(L);
		return 1;
	}
	if (val[0] == 'n' && val[1] == ':')
		lua_stringtonumber(L, val + 2) ? (void)0 : lua_pushnil(L);
	else if (val[0] == 'b' && val[1] == ':')
		lua_pushboolean(L, val[2] == '1');
	else
		lua_pushstring(L, val[0] && val[1] == ':' ? val + 2 : val);
	free(val);
	return 1;
}

/* The text of number 2 (without tag) that reads back as exactly the same
 * number: integers as integers; floats in the shortest %.*g that round-trips,
 * marked as a float (".0") when that text would read back as an integer.
 * Raises an error naming the key for NaN and infinities (the gate into Lua
 * adds plugin, function, file and line). */
static void kv_number(lua_State *L, const char *key, char *buf, size_t size)
{
	if (lua_isinteger(L, 2)) {
		snprintf(buf, size, "%lld", (long long)lua_tointeger(L, 2));
		return;
	}
	double d = lua_tonumber(L, 2);
	if (!isfinite(d))
		luaL_error(L, "heed.kv.set: key '%s': a number must be finite, got %s", key,
		           isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eEn"))
		strncat(buf, ".0", size - strlen(buf) - 1);
}

static int kv_set(lua_State *L)
{
	lplugin *lp = lh_plugin_of(L);
	const char *key = kv_key(L);
	const heed_kv *kv = kv_of(L, lp);
	char *text = NULL, *err = NULL;
	switch (lua_type(L, 2)) {
	case LUA_TNIL:
	case LUA_TNONE:
		break;
	case LUA_TBOOLEAN:
		text = xstrdup(lua_toboolean(L, 2) ? "b:1" : "b:0");
		break;
	case LUA_TNUMBER: {
		char num[64];
		kv_number(L, key, num, sizeof num);
		text = xasprintf("n:%s", num);
		break;
	}
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, 2, &n);
		if (n > KV_VALUE_MAX || strlen(s) != n)
			return luaL_error(L, "heed.kv.set: a value is text of at most %d bytes without NUL", KV_VALUE_MAX);
		text = xasprintf("s:%s", s);
		break;
	}
	default:
		return luaL_error(L, "heed.kv.set: a value is a string, number or boolean (nil deletes), got %s",
		                  luaL_typename(L, 2));
	}
	int rc = kv->set(kv->ctx, lp->name, key, text, &err);
	free(text);
	if (rc != HEED_OK)
		return kv_fail(L, err);
	free(err);
	return 0;
}

static const luaL_Reg kv_lib[] = {
	{"get", kv_get},
	{"set", kv_set},
	{NULL, NULL},
};

void lh_open_kv(lua_State *L, int heed_table)
{
	luaL_newlib(L, kv_lib);
	lua_setfield(L, heed_table, "kv");
}

void lh_set_kv(void *state, const heed_kv *kv)
{
	((lplugin *)state)->kv = kv;
}
