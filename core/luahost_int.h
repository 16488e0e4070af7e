/* luahost_int: what the Lua engine's source files share (luahost.c: states,
 * memory, the gate, the sandbox, loading, criteria and score; luahost_contact.c:
 * contacts as lazy Lua tables; luahost_map.c: map rows in and out;
 * luahost_tests.c: the tests plugins carry and their selftest;
 * luahost_limits.c: instruction, time and memory limits, suspension, require;
 * luahost_kv.c: heed.kv). Only these files include lua.h. */
#ifndef HEED_LUAHOST_INT_H
#define HEED_LUAHOST_INT_H

#include <lauxlib.h>
#include <lua.h>

#include "plugin_int.h"
#include "util.h"

#define LH_STRIKES 3           /* limit errors within the last LH_WINDOW calls that suspend a plugin */
#define LH_WINDOW 10           /* calls looked back on (at most 32) */
#define LH_TICK 1000           /* instructions between two looks at the limits */
#define LH_DEPTH 32            /* nesting limit between JSON and Lua tables */

typedef struct lcheck {
	char *name;
	char *fn; /* "criteria.<target>.<name>", for messages */
	int ref, line;
} lcheck;

typedef struct ltarget {
	char *stage;
	char *fn; /* "criteria.<target>" */
	lcheck *v;
	size_t n;
} ltarget;

typedef struct lkey {
	const char *s;
	size_t n;
} lkey;

/* Small blocks come from per-state free lists, one per LH_GRAIN-byte size class,
 * carved out of LH_SLAB-byte slabs: a score call makes and drops dozens of small
 * tables and strings, and a free list serves them far cheaper than malloc. Larger
 * blocks go to malloc. Slabs are kept until the state closes. The sanitizer
 * build uses malloc for everything, so ASan still sees every Lua block. */
#if defined(__SANITIZE_ADDRESS__)
#define LH_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LH_POOL 0
#endif
#endif
#ifndef LH_POOL
#define LH_POOL 1
#endif
enum { LH_GRAIN = 16, LH_SMALL = 256, LH_CLASSES = LH_SMALL / LH_GRAIN, LH_SLAB = 64 * 1024 };

typedef union lh_block {
	union lh_block *next; /* a free block: the next one of its class; a slab: the next slab */
	max_align_t align;
} lh_block;

typedef struct lpool {
	lh_block *free[LH_CLASSES];
	lh_block *slabs;
	char *bump, *end; /* the unused tail of the newest slab */
} lpool;

typedef struct lplugin {
	lua_State *L;
	char *path, *chunkname, *name; /* name: the file name until the plugin says */
	size_t mem;       /* bytes Lua holds, as it counts them (the cap applies to this) */
	size_t memcap;    /* the memory limit in bytes */
	heed_limits lim;  /* the limits in force */
	const heed_limits *conf; /* limits from the config file, while loading */
	long long left;   /* instructions left in the running call */
	long long t0;     /* ms clock at the first look in the running call; 0 = none yet */
	int killed;       /* LH_KILL_*: the limit the running call hit */
	int mem_refused;  /* the running call was refused memory */
	int memline;      /* where in the plugin file it was first refused, 0 = unknown */
	unsigned recent;  /* the last LH_WINDOW calls, newest in bit 0: 1 = it hit a limit */
	int suspended;    /* LH_STRIKES of them did: calls fail at once until a reload */
	char *last_limit; /* the last limit error's message */
	char *libdir;     /* where require finds modules: <plugin folder>/lib */
	const heed_kv *kv; /* the key-value store the host gives (owned by the host), or NULL */
	lpool pool;
	int score_ref, score_line, row_ref, row_line;
	int contact_mt;            /* registry reference of the contact metatable */
	int add_ref;               /* registry reference of score's add function */
	int templates_line;        /* where the plugin table is returned: the line for table templates */
	int tests_ref, tester_ref; /* the plugin's tests table, and the `t` helpers they get */
	int templates_ref;         /* the plugin's email templates table (luahost_mail.c) */
	int selftest_ref, selftest_line; /* the plugin's selftest function, checked on every load */
	const heed_contact *cur;   /* record behind the running call's contact table */
	const void *cur_table;     /* that table (anchored in the registry, so no other has its address) */
	int org_keys;              /* registry reference of the org table's keys, in push order */
	heed_parts *parts;         /* where the running score call's add appends */
	ltarget *targets;
	size_t ntargets;
	struct lpolicy *policies;  /* the plugin's follow-up policies (luahost_policy.c) */
	size_t npolicies;
	int errline;      /* set by gate_msgh: line of the error in the plugin file, 0 = none */
	heed_buf trace;   /* traceback of the last error */
	heed_buf json;    /* scratch for activity data */
	lkey *keys;       /* stack of object keys while writing JSON */
	size_t nkeys, capkeys;
} lplugin;


typedef struct gate gate;
struct gate {
	lplugin *lp;
	const char *fn;         /* plugin function for messages; NULL while loading */
	const char *check;      /* name of the check being run */
	int line;               /* where fn is defined: the location when no better one is known */
	int ref;                /* registry reference of fn */
	const heed_contact *c;  /* context for messages, or NULL */
	const heed_row *row;
	int (*body)(lua_State *L, gate *g); /* runs in protected mode */
	void *out;
	int nargs, nres;
};

/* The organisation table's keys, in the order contacts push them. */
enum { ORG_EMPLOYEES = 3, ORG_NKEYS = 5 };
extern const char *const lh_org_keys[ORG_NKEYS];

enum { LH_KILL_INSTRUCTIONS = 1, LH_KILL_TIME = 2 };

/* Limits (luahost_limits.c): defaults; the plugin table's `limits` at t with
 * the config on top; arm them for one call (resets the budgets). */
void lh_limits_default(lplugin *lp);
void lh_limits_read(lua_State *L, lplugin *lp, int t, const heed_limits *conf);
void lh_limits_arm(lplugin *lp);
/* Record one call of a plugin function: msg = the limit error it hit, or NULL
 * when it hit none (it succeeded or failed otherwise). After LH_STRIKES limit
 * errors within its last LH_WINDOW calls the plugin is suspended: lh_suspended
 * sets *err and returns 1 instead of running a call. */
void lh_record_call(lplugin *lp, const char *msg);
int lh_suspended(gate *g, char **err);
/* The engine's suspended operation: why the plugin is suspended (owned by the
 * state), or NULL when it is not. */
const char *lh_suspension(void *state);
/* " (contact 12 <a@b>)" or " (row 3 of f.csv)" for messages. */
void lh_add_context(heed_buf *b, const heed_contact *c, const heed_row *row);
/* Put require (Lua text modules from lp->libdir) into the sandbox env. */
void lh_open_require(lua_State *L, int env);

/* heed.kv into the heed table at index heed_table; the engine's set_kv operation. */
void lh_open_kv(lua_State *L, int heed_table);
void lh_set_kv(void *state, const heed_kv *kv);

/* The plugin whose state L is. */
lplugin *lh_plugin_of(lua_State *L);
/* The one gate into Lua: run g->body in protected mode with the budget set;
 * failures become *err naming plugin, function, file, line and contact/row. */
int lh_gate_call(gate *g, char **err);
/* Contacts as lazy tables: the shared metatable, and one contact's table. */
void lh_make_contact_mt(lua_State *L, lplugin *lp, int env);
void lh_push_contact(lua_State *L, lplugin *lp, const heed_contact *c);
/* t[k] without metamethods; returns its type. */
int lh_rawfield(lua_State *L, int t, const char *k);
/* t[k] as a new string, NULL when nil; raises an error naming what otherwise. */
char *lh_opt_string(lua_State *L, int t, const char *k, const char *what);
/* Raise "what: unknown key 'k' (known: …)" for a key of table t not in known (NULL-ended). */
void lh_check_keys(lua_State *L, int t, const char *what, const char *const *known);
/* Read a plugin's `map` table at t into m (luahost_map.c). */
void lh_read_map(lua_State *L, lplugin *lp, int t, heed_mapspec *m);
/* Sorting and appending heed_field arrays (name order). */
int lh_field_cmp(const void *a, const void *b);
void lh_add_field(heed_field **v, size_t *n, char *name, char *value);
/* Line where the function at idx is defined. */
int lh_fn_line(lua_State *L, int idx);
/* Keep a loaded plugin's tests table and build its `t` helpers; the engine's
 * test operation runs them. */
void lh_load_tests(lua_State *L, lplugin *lp, int plugin, int env);
int lh_test(void *state, FILE *out, int *passed, int *failed);
/* Follow-up policies (luahost_policy.c): read the plugin's `policies` table at
 * t into lp and info; run one; free them. */
void lh_read_policies(lua_State *L, lplugin *lp, int t, heed_plugin_info *info);
int lh_policy(void *state, size_t i, const heed_contact *c, const heed_trigger *t, heed_fu_specs *out,
              char **err);
void lh_free_policies(lplugin *lp);
/* Push the JSON object text as a table ({} for NULL); raises an error naming what on bad JSON. */
void lh_push_json_object(lua_State *L, const char *text, const char *what);
int lh_test_render(lua_State *L); /* t.render in a plugin's tests (luahost_mail.c) */
/* Keep and check a loaded plugin's `templates` table; the engine's render operation. */
void lh_load_templates(lua_State *L, lplugin *lp, int plugin);
int lh_render(void *state, const char *name, const heed_contact *c, const char *payload,
              heed_rendered *out, char **err);
/* Keep the plugin's selftest function (1 if it has one); the engine's selftest
 * operation calls it with the `t` helpers. */
int lh_load_selftest(lua_State *L, lplugin *lp, int plugin);
int lh_selftest(void *state, char **err);
/* The engine's map_row operation. */
int lh_map_row(void *state, const heed_row *row, heed_fieldset *out, char **err);

#endif
