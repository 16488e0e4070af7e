/* host_peer: the plugin host benchmark's program (see host.sh). Modes:
 *   heed N DIR     call the score function of the plugins in DIR through the
 *                  plugin host for N contacts (1,000 distinct records, cycled)
 *   bare N FILE    the peer: one plain lua_State, the same score function
 *                  (FILE returns the plugin table), called with lua_pcall for
 *                  the same contacts, each passed as a table of its fields,
 *                  the parts read back
 *   bare-id N FILE the same, passing only the contact's id (the one field the
 *                  trivial function reads): the least a host could do
 *   reload N DIR   rewrite DIR's plugin N times, timing heed_plugins_refresh
 * Prints the seconds taken (reload: the median ms of one refresh), and a
 * checksum of the points so the two modes can be compared. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contact.h"
#include "plugin.h"
#include "util.h"

enum { DISTINCT = 1000 };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const titles[] = {"CEO", "VP Sales", "Engineer", "Intern", "CTO", "Director"};
static const char *const industries[] = {"Software", "Finance", "Retail", "Health"};

static void make_contacts(heed_contact *v)
{
	for (int i = 0; i < DISTINCT; i++) {
		heed_contact *c = &v[i];
		heed_contact_init(c);
		c->id = i + 1;
		c->email = xasprintf("c%d@bench.example", i);
		c->title = xstrdup(titles[i % 6]);
		snprintf(c->stage, sizeof c->stage, "lead");
		c->org.name = xasprintf("Org %d", i % 97);
		c->org.industry = xstrdup(industries[i % 4]);
		c->org.employees = (i * 37) % 5000;
	}
}

static int run_heed(long n, const char *dir)
{
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	if (!p || heed_plugins_nerrors(p)) {
		fprintf(stderr, "host_peer: %s\n", p ? heed_plugins_error(p, 0) : err);
		return 1;
	}
	heed_contact *v = xcalloc(DISTINCT, sizeof *v);
	make_contacts(v);
	heed_parts parts = {0};
	double sum = 0, t0 = now();
	for (long i = 0; i < n; i++) {
		heed_parts_reset(&parts);
		if (heed_plugins_score(p, &v[i % DISTINCT], &parts, &err) != HEED_OK) {
			fprintf(stderr, "host_peer: %s\n", err);
			return 1;
		}
		sum += parts.total;
	}
	printf("%.4f %.0f\n", now() - t0, sum);
	heed_parts_clear(&parts);
	for (int i = 0; i < DISTINCT; i++)
		heed_contact_clear(&v[i]);
	free(v);
	heed_plugins_close(p);
	return 0;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	if (v) {
		lua_pushstring(L, v);
		lua_setfield(L, -2, k);
	}
}

/* minimal: pass only the id, the one field the trivial function reads */
/* The contact's other fields into the table on top. */
static void push_fields(lua_State *L, const heed_contact *c)
{
	set_str(L, "email", c->email);
	set_str(L, "title", c->title);
	set_str(L, "stage", c->stage);
	lua_createtable(L, 0, 3);
	set_str(L, "name", c->org.name);
	set_str(L, "industry", c->org.industry);
	lua_pushinteger(L, c->org.employees);
	lua_setfield(L, -2, "employees");
	lua_setfield(L, -2, "org");
}

static int run_bare(long n, const char *file, int minimal)
{
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	if (luaL_dofile(L, file) != LUA_OK) {
		fprintf(stderr, "host_peer: %s\n", lua_tostring(L, -1));
		return 1;
	}
	lua_getfield(L, -1, "score");
	int fn = luaL_ref(L, LUA_REGISTRYINDEX);
	heed_contact *v = xcalloc(DISTINCT, sizeof *v);
	make_contacts(v);
	double sum = 0, t0 = now();
	for (long i = 0; i < n; i++) {
		const heed_contact *c = &v[i % DISTINCT];
		lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
		lua_createtable(L, 0, 6);
		lua_pushinteger(L, c->id);
		lua_setfield(L, -2, "id");
		if (!minimal)
			push_fields(L, c);
		if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
			fprintf(stderr, "host_peer: %s\n", lua_tostring(L, -1));
			return 1;
		}
		lua_Integer np = (lua_Integer)lua_rawlen(L, -1);
		for (lua_Integer k = 1; k <= np; k++) {
			lua_rawgeti(L, -1, k);
			lua_getfield(L, -1, "points");
			sum += lua_tonumber(L, -1);
			lua_pop(L, 2);
		}
		lua_pop(L, 1);
	}
	printf("%.4f %.0f\n", now() - t0, sum);
	for (int i = 0; i < DISTINCT; i++)
		heed_contact_clear(&v[i]);
	free(v);
	lua_close(L);
	return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* DIR holds big.lua (500 lines); each round rewrites it with a new version. */
static int run_reload(long n, const char *dir)
{
	char *err = NULL, *rep = NULL;
	char *path = xasprintf("%s/big.lua", dir), *tmp = xasprintf("%s/.big.tmp", dir);
	char *src = NULL;
	FILE *f = fopen(path, "r");
	heed_buf b = {0};
	char chunk[4096];
	size_t got;
	while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
		heed_buf_add(&b, chunk, got);
	if (f)
		fclose(f);
	src = heed_buf_detach(&b);
	heed_plugins *p = heed_plugins_open(dir, &err);
	if (!p || heed_plugins_count(p) != 1) {
		fprintf(stderr, "host_peer: %s\n", p && heed_plugins_nerrors(p) ? heed_plugins_error(p, 0) : "no plugin");
		return 1;
	}
	double *ms = xcalloc((size_t)n, sizeof *ms);
	for (long i = 0; i < n; i++) {
		FILE *w = fopen(tmp, "w");
		fprintf(w, "%s-- round %ld\n", src, i); /* a new size, so a new version on disk */
		fclose(w);
		rename(tmp, path);
		double t0 = now();
		int changed = heed_plugins_refresh(p, NULL, &rep);
		ms[i] = (now() - t0) * 1000;
		if (changed != 1) {
			fprintf(stderr, "host_peer: reload %ld did not swap: %s\n", i, rep ? rep : "(no report)");
			return 1;
		}
		free(rep);
	}
	qsort(ms, (size_t)n, sizeof *ms, dbl_cmp);
	printf("%.3f\n", ms[n / 2]);
	free(ms);
	free(src);
	free(path);
	free(tmp);
	heed_plugins_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: host_peer heed|bare|bare-id|reload N DIR|FILE\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	if (strcmp(argv[1], "heed") == 0)
		return run_heed(n, argv[3]);
	if (strcmp(argv[1], "bare") == 0)
		return run_bare(n, argv[3], 0);
	if (strcmp(argv[1], "bare-id") == 0)
		return run_bare(n, argv[3], 1);
	if (strcmp(argv[1], "reload") == 0)
		return run_reload(n, argv[3]);
	fprintf(stderr, "host_peer: unknown mode %s\n", argv[1]);
	return 2;
}
