/* test_limits: the limits on plugin calls and the sandbox's loaders: the
 * instruction and time budgets (also across coroutines and pcall), the memory
 * cap, raising limits in the plugin table and in limits.conf, bad config, and
 * require of text modules from lib/ (binary ones refused). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "contact.h"
#include "plugin.h"
#include "tmpstore.h"
#include "util.h"

static char *dir_for(const char *name)
{
	const char *t = getenv("HEED_TMP");
	char *root = xstrdup(t && *t ? t : "/tmp/heedtest");
	char *dir = xasprintf("%s/limits/%s", root, name);
	char *cmd = xasprintf("rm -rf '%s' && mkdir -p '%s/lib/sub'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot make %s\n", dir);
	free(cmd);
	free(root);
	return dir;
}

/* Score the contact; OUT: *total. Returns the error (caller frees) or NULL. */
static char *score(heed_plugins *p, double *total)
{
	heed_contact c;
	heed_contact_init(&c);
	c.id = 42;
	c.email = xstrdup("lim@example.com");
	heed_parts parts = {0};
	char *err = NULL;
	heed_plugins_score(p, &c, &parts, &err);
	*total = parts.total;
	heed_parts_clear(&parts);
	heed_contact_clear(&c);
	return err;
}

static void rm(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	unlink(path);
	free(path);
}

static int has(const char *s, const char *sub)
{
	int ok = s && strstr(s, sub);
	if (!ok)
		fprintf(stderr, "  want \"%s\" in: %s\n", sub, s ? s : "(null)");
	return ok;
}

/* A plugin named name that counts to n, then scores 1; limits as Lua text. */
static void counter(const char *dir, const char *name, long n, const char *limits)
{
	char *src = xasprintf("return { name = '%s', version = '1', limits = %s,\n"
	                      "  score = function(c)\n"
	                      "    local i = 0\n"
	                      "    while i < %ld do i = i + 1 end\n"
	                      "    return { { name = 'n', points = 1 } }\n"
	                      "  end }\n",
	                      name, limits, n);
	char *file = xasprintf("%s.lua", name);
	tmp_put(dir, file, src);
	free(file);
	free(src);
}

static void test_instructions(void)
{
	char *dir = dir_for("instructions");
	counter(dir, "dflt", 5000000, "nil");     /* ~20M instructions: over the default */
	counter(dir, "raised", 5000000, "{ instructions = 100000000 }");
	char *err = NULL;
	double t;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 2);
	err = score(p, &t);
	CHECK_NEAR(t, 1, 0); /* raised ran */
	CHECK(has(err, "plugin 'dflt' ("));
	CHECK(has(err, "dflt.lua:4) in score: instruction budget exceeded (10000000 instructions per call)"
	               " (contact 42 <lim@example.com>)"));
	CHECK(!strstr(err ? err : "", "raised"));
	free(err);
	heed_plugins_close(p);

	/* limits.conf beats the plugin table, for one plugin or all */
	tmp_put(dir, "limits.conf", "# operator's limits\n* instructions 1000\nraised instructions 200000000 # more\n");
	p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_nerrors(p), 0);
	err = score(p, &t);
	CHECK_NEAR(t, 1, 0);
	CHECK(has(err, "instruction budget exceeded (1000 instructions per call)"));
	free(err);
	heed_plugins_close(p);

	tmp_put(dir, "limits.conf", "* instructions 1000\nraised colour 5\n");
	p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_nerrors(p), 1);
	CHECK(has(heed_plugins_error(p, 0), "limits.conf:2: unknown limit 'colour'"));
	heed_plugins_close(p);

	/* a limit above its ceiling is refused where the plugin says it */
	rm(dir, "limits.conf");
	counter(dir, "greedy", 1, "{ memory_mb = 999999 }");
	p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_nerrors(p), 1);
	CHECK(has(heed_plugins_error(p, 0), "greedy.lua:6): limits.memory_mb must be an integer from 1 to 4096"));
	heed_plugins_close(p);
	free(dir);
}

static void test_escapes(void)
{
	char *dir = dir_for("escapes");
	/* each coroutine would get a fresh budget if the budget were per thread */
	tmp_put(dir, "co.lua", "return { name = 'co', version = '1', score = function(c)\n"
	                   "  while true do pcall(coroutine.wrap(function() while true do end end)) end\n"
	                   "end }\n");
	/* a pcall that catches the kill and tries again */
	tmp_put(dir, "retry.lua", "return { name = 'retry', version = '1', score = function(c)\n"
	                      "  for i = 1, 1e9 do pcall(function() while true do end end) end\n"
	                      "end }\n");
	/* little Lua, much C: only the clock stops it */
	tmp_put(dir, "slow.lua", "return { name = 'slow', version = '1', limits = { time_ms = 100 },\n"
	                     "  score = function(c)\n"
	                     "    local s = string.rep('ab', 100000)\n"
	                     "    while true do s:find('b', 1, true) ; s = s:upper():lower() end\n"
	                     "  end }\n");
	tmp_put(dir, "mem.lua", "return { name = 'mem', version = '1', limits = { memory_mb = 8 },\n"
	                    "  score = function(c) local t = {} for i = 1, 1e8 do t[i] = i end end }\n");
	tmp_put(dir, "ok.lua", "return { name = 'ok', version = '1', score = function(c)\n"
	                   "  return { { name = 'ok', points = 7 } } end }\n");
	char *err = NULL;
	double t;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 5);
	err = score(p, &t);
	CHECK_NEAR(t, 7, 0);
	CHECK(has(err, "co.lua:2) in score: instruction budget exceeded"));
	CHECK(has(err, "retry.lua:2) in score: instruction budget exceeded"));
	CHECK(has(err, "slow.lua:4) in score: time limit exceeded (100 ms per call)"));
	CHECK(has(err, "plugin 'mem' ("));
	CHECK(has(err, "memory limit exceeded (8 MB per plugin)"));
	free(err);
	/* the next call runs with fresh budgets */
	err = score(p, &t);
	CHECK_NEAR(t, 7, 0);
	free(err);
	heed_plugins_close(p);
	free(dir);
}

static void test_require(void)
{
	char *dir = dir_for("require");
	tmp_put(dir, "lib/util.lua", "local M = {} function M.double(x) return 2 * x end return M\n");
	tmp_put(dir, "lib/sub/deep.lua", "return { v = require('util').double(3) }\n");
	tmp_put(dir, "req.lua", "local u = require('util')\nlocal d = require('sub.deep')\n"
	                    "assert(require('util') == u, 'cached')\n"
	                    "return { name = 'req', version = '1', score = function(c)\n"
	                    "  return { { name = 'r', points = u.double(10) + d.v } } end }\n");
	tmp_put(dir, "bad.lua", "local ok, m = pcall(require, '../req')\n"
	                    "assert(not ok and m:find('letters, digits'), m)\n"
	                    "require('nosuch')\n"
	                    "return { name = 'bad', version = '1' }\n");
	char *err = NULL;
	double t;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 1);
	CHECK_INT(heed_plugins_nerrors(p), 1);
	CHECK(has(heed_plugins_error(p, 0), "bad.lua:3): require 'nosuch': no module"));
	err = score(p, &t);
	CHECK_NEAR(t, 26, 0);
	CHECK(err == NULL);
	heed_plugins_close(p);

	/* a binary module is refused, however it is reached */
	rm(dir, "bad.lua");
	rm(dir, "req.lua");
	tmp_put(dir, "lib/bin.lua", "\x1bLua\x54");
	tmp_put(dir, "usebin.lua", "require('bin')\nreturn { name = 'usebin', version = '1' }\n");
	p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_nerrors(p), 1);
	CHECK(has(heed_plugins_error(p, 0), "attempt to load a binary chunk"));
	heed_plugins_close(p);
	free(dir);
}

/* A plugin that loops on every other contact is suspended all the same: 3
 * limit errors within its last 10 calls, however many calls succeed between
 * them; the listing shows it, and a reload lifts it. */
static void test_suspension(void)
{
	char *dir = dir_for("suspension");
	const char *src = "return { name = 'alt', version = '1', limits = { instructions = 1000 },\n"
	                  "  score = function(c)\n"
	                  "    while c.id % 2 == 1 do end\n"
	                  "    return { { name = 'n', points = 1 } }\n"
	                  "  end }\n";
	char *text = xstrdup(src);
	tmp_put(dir, "alt.lua", text);
	free(text);
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 1);
	heed_plugin_status st;
	heed_contact c;
	heed_contact_init(&c);
	heed_parts parts = {0};
	int fails = 0;
	for (int id = 1; id <= 5; id++) { /* odd ids hit the limit: 1, 3, 5 */
		c.id = id;
		heed_parts_reset(&parts);
		fails += heed_plugins_score(p, &c, &parts, &err) != HEED_OK;
		CHECK(id % 2 == 1 ? err && strstr(err, "instruction budget exceeded") : !err);
		free(err);
		err = NULL;
		heed_plugins_status(p, 0, &st);
		CHECK_STR(st.status, id < 5 ? "ok" : "suspended");
	}
	CHECK_INT(fails, 3);
	CHECK(has(st.error, "instruction budget exceeded"));
	c.id = 6; /* would succeed, but the plugin no longer runs */
	heed_parts_reset(&parts);
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	CHECK(has(err, "alt.lua:2) in score: suspended after 3 limit errors within 10 calls (last: instruction budget"));
	free(err);
	err = NULL;

	/* a reload (a new state) lifts it */
	text = xasprintf("-- v2\n%s", src);
	tmp_put(dir, "alt.lua", text);
	free(text);
	char *rep = NULL;
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	free(rep);
	heed_plugins_status(p, 0, &st);
	CHECK_STR(st.status, "ok");
	heed_parts_reset(&parts);
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_OK);
	free(err);
	heed_parts_clear(&parts);
	heed_contact_clear(&c);
	heed_plugins_close(p);
	free(dir);
}

int main(void)
{
	test_instructions();
	test_suspension();
	test_escapes();
	test_require();
	return check_done("test_limits");
}
