/* test_plugin: the plugin host and the Lua engine — loading and load errors,
 * the sandbox, the instruction budget and memory cap, error messages, criteria
 * and score composition, maps — and the default plugins on hand-built contacts. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "contact.h"
#include "htime.h"
#include "plugin.h"
#include "tmpstore.h"
#include "util.h"

#define NOW "2024-06-01T00:00:00Z"
#define DAY 86400

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	heed_buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		heed_buf_add(&b, chunk, n);
	fclose(f);
	return heed_buf_detach(&b);
}

static heed_time at(const char *iso)
{
	heed_time t = 0;
	if (heed_time_parse(iso, &t) != HEED_OK)
		fprintf(stderr, "bad time in test: %s\n", iso);
	return t;
}

/* Ann: a VP at a German software company of 250, with a need in attrs. */
static void ann(heed_contact *c)
{
	heed_contact_init(c);
	c->id = 7;
	c->email = xstrdup("ann@example.com");
	c->first_name = xstrdup("Ann");
	c->last_name = xstrdup("Lee");
	c->title = xstrdup("VP Sales");
	snprintf(c->stage, sizeof c->stage, "lead");
	c->org.name = xstrdup("Acme GmbH");
	c->org.industry = xstrdup("Software");
	c->org.employees = 250;
	c->org.country = xstrdup("DE");
	c->attrs = xstrdup("{\"need\":\"faster onboarding\",\"lead_source\":\"web\",\"seats\":12,"
	                   "\"vip\":true,\"tags\":[\"a\",\"b\"],\"gone\":null}");
	c->created_at = at("2024-01-02");
	c->score = 12.5;
}

static const heed_check *find_check(const heed_checks *cs, const char *name)
{
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->v[i].name, name) == 0)
			return &cs->v[i];
	return NULL;
}

static const heed_part *find_part(const heed_parts *ps, const char *plugin, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].plugin, plugin) == 0 && strcmp(ps->v[i].name, name) == 0)
			return &ps->v[i];
	return NULL;
}

static int has(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

/* ---- loading ---- */

static void test_load(void)
{
	char *dir = tmp_case_dir("plugin", "load");
	tmp_put(dir, "b_good.lua", "return { name = \"good\", version = \"1.2.3\", api = 1 }\n");
	tmp_put(dir, "a_other.lua", "return { name = \"zeta\", version = \"0.1\" }\n");
	tmp_put(dir, "broken.lua", "return {\n  name = \"broken\",\n  version = = \"1\",\n}\n");
	tmp_put(dir, "atload.lua", "local x = nil\nreturn x.y\n");
	tmp_put(dir, "nover.lua", "return { name = \"nover\" }\n");
	tmp_put(dir, "future.lua", "return { name = \"future\", version = \"1\", api = 2 }\n");
	tmp_put(dir, "z_twin.lua", "return {\n  name = \"good\",\n  version = \"9\",\n}\n");
	tmp_put(dir, "typo.lua", "return { name = \"typo\", version = \"1\", scroe = function() end }\n");
	tmp_put(dir, "notes.txt", "not a plugin\n");

	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK(p != NULL);
	CHECK(err == NULL);
	CHECK_INT(heed_plugins_count(p), 2);
	CHECK_STR(heed_plugins_name(p, 0), "zeta"); /* file name order: a_other.lua first */
	CHECK_STR(heed_plugins_name(p, 1), "good");
	CHECK_STR(heed_plugins_versions(p), "good@1.2.3,zeta@0.1");
	CHECK_INT(heed_plugins_nerrors(p), 6);

	char want[1024];
	/* errors come in file name order: atload, broken, future, nover, typo, z_twin */
	snprintf(want, sizeof want, "plugin 'atload' (%s/atload.lua:2): attempt to index a nil value (local 'x')", dir);
	CHECK_STR(heed_plugins_error(p, 0), want);
	snprintf(want, sizeof want, "plugin 'broken' (%s/broken.lua:3): ", dir);
	CHECK(strncmp(heed_plugins_error(p, 1), want, strlen(want)) == 0);
	CHECK(has(heed_plugins_error(p, 1), "near '='"));
	snprintf(want, sizeof want, "plugin 'future' (%s/future.lua:1): api level 2 is newer than this heed supports (1)",
	         dir);
	CHECK_STR(heed_plugins_error(p, 2), want);
	snprintf(want, sizeof want, "plugin 'nover' (%s/nover.lua:1): the plugin table has no version", dir);
	CHECK(strncmp(heed_plugins_error(p, 3), want, strlen(want)) == 0);
	CHECK(has(heed_plugins_error(p, 4), "unknown key 'scroe'"));
	snprintf(want, sizeof want, "plugin 'good' (%s/z_twin.lua:4): duplicate plugin name, already loaded from %s/b_good.lua",
	         dir, dir);
	CHECK_STR(heed_plugins_error(p, 5), want);
	for (size_t i = 0; i < heed_plugins_nerrors(p); i++)
		if (getenv("HEED_TEST_VERBOSE"))
			fprintf(stderr, "  load error: %s\n", heed_plugins_error(p, i));
	heed_plugins_close(p);

	p = heed_plugins_open("/nonexistent/heed/plugins", &err);
	CHECK(p == NULL);
	CHECK(has(err, "/nonexistent/heed/plugins"));
	free(err);
	free(dir);
}

/* ---- score errors ---- */

static void test_score_errors(void)
{
	char *dir = tmp_case_dir("plugin", "score_errors");
	tmp_put(dir, "a_fine.lua",
	    "return {\n"
	    "  name = \"fine\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    return { { name = \"base\", points = 5, reason = \"always\" }, { name = \"more\", points = 2.5 } }\n"
	    "  end,\n"
	    "}\n");
	tmp_put(dir, "b_bad.lua",
	    "return {\n"
	    "  name = \"bad\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    error(\"boom\")\n"
	    "  end,\n"
	    "}\n");
	tmp_put(dir, "c_nan.lua",
	    "return {\n"
	    "  name = \"nan\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    return { { name = \"ok\", points = 1 }, { name = \"odd\", points = 0/0, reason = \"x\" } }\n"
	    "  end,\n"
	    "}\n");
	tmp_put(dir, "d_inf.lua",
	    "return {\n"
	    "  name = \"inf\", version = \"1\",\n"
	    "\n"
	    "  score = function(c) return { { name = \"huge\", points = math.huge } } end,\n"
	    "}\n");
	tmp_put(dir, "e_type.lua",
	    "return {\n"
	    "  name = \"typed\", version = \"1\",\n"
	    "  score = function(c) return { { name = \"s\", points = \"12\" } } end,\n"
	    "}\n");
	tmp_put(dir, "f_nil.lua",
	    "return {\n"
	    "  name = \"nilidx\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    local t = c.org.nothing\n"
	    "    return { { name = \"x\", points = t.y } }\n"
	    "  end,\n"
	    "}\n");
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 6);
	CHECK(heed_plugins_has_score(p));
	heed_contact c;
	ann(&c);
	heed_parts parts = {0};
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	char want[1024];
	snprintf(want, sizeof want, "plugin 'bad' (%s/b_bad.lua:4) in score: boom (contact 7 <ann@example.com>)\n", dir);
	/* every failed plugin is reported, one line each, in load order */
	CHECK(err && strncmp(err, want, strlen(want)) == 0);
	CHECK(err && strstr(err, "\nplugin 'nan' (") && strstr(err, "\nplugin 'inf' (") &&
	      strstr(err, "\nplugin 'typed' (") && strstr(err, "\nplugin 'nilidx' ("));
	/* only the healthy plugin's parts count */
	CHECK_INT(parts.n, 2);
	CHECK_NEAR(parts.total, 7.5, 1e-9);
	CHECK_STR(parts.v[0].plugin, "fine");
	CHECK_STR(parts.v[1].reason, "");
	heed_parts_clear(&parts);
	free(err);
	err = NULL;

	/* each failing plugin alone, to see its own message */
	const char *alone[][2] = {
		{"c_nan.lua", "plugin 'nan' (%s/c_nan.lua:3) in score: part 2 'odd' points"},
		{"d_inf.lua", "plugin 'inf' (%s/d_inf.lua:4) in score: part 1 'huge' points inf is not a finite number"},
		{"e_type.lua", "plugin 'typed' (%s/e_type.lua:3) in score: part 1: points must be a number, got string"},
		{"f_nil.lua", "plugin 'nilidx' (%s/f_nil.lua:5) in score: attempt to index a nil value (local 't')"},
	};
	for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++) {
		heed_plugins_close(p);
		char *d2 = tmp_case_dir("plugin", "score_alone");
		char *src = xasprintf("%s/%s", dir, alone[i][0]);
		char *text = slurp(src);
		tmp_put(d2, alone[i][0], text ? text : "");
		free(text);
		p = heed_plugins_open(d2, &err);
		CHECK_INT(heed_plugins_count(p), 1);
		CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
		snprintf(want, sizeof want, alone[i][1], d2);
		CHECK(err && strncmp(err, want, strlen(want)) == 0);
		CHECK(has(err, "(contact 7 <ann@example.com>)"));
		if (!err || strncmp(err, want, strlen(want)) != 0)
			fprintf(stderr, "  got: %s\n  want prefix: %s\n", err ? err : "(null)", want);
		CHECK_INT(parts.n, 0);
		CHECK_NEAR(parts.total, 0, 0);
		heed_parts_clear(&parts);
		free(err);
		err = NULL;
		free(src);
		free(d2);
	}
	heed_plugins_close(p);

	/* a path longer than Lua's 60-byte source names still gives the full path and the line */
	char *deep = tmp_case_dir("plugin", "a_directory_name_long_enough_that_lua_shortens_it_in_its_own_messages");
	tmp_put(deep, "deep.lua",
	    "return {\n"
	    "  name = \"deep\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    local n = nil\n"
	    "    return { { name = \"x\", points = n + 1 } }\n"
	    "  end,\n"
	    "}\n");
	p = heed_plugins_open(deep, &err);
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	snprintf(want, sizeof want,
	         "plugin 'deep' (%s/deep.lua:5) in score: attempt to perform arithmetic on a nil value (local 'n') "
	         "(contact 7 <ann@example.com>)",
	         deep);
	CHECK_STR(err, want);
	free(err);
	heed_parts_clear(&parts);
	heed_plugins_close(p);
	free(deep);
	heed_contact_clear(&c);
	free(dir);
}

/* score(c, add): parts added one by one, alone or with returned ones; add's
 * arguments are checked, a kept add fails later, and its parts are validated
 * like returned ones. heed_parts_reset reuses the parts for the next contact. */
static void test_score_add(void)
{
	char *dir = tmp_case_dir("plugin", "score_add");
	tmp_put(dir, "a_add.lua",
	    "local keep\n"
	    "return {\n"
	    "  name = \"adder\", version = \"1\",\n"
	    "  score = function(c, add)\n"
	    "    add(\"title\", 20, c.title)\n"
	    "    add(\"size\", c.org.employees / 100)\n"
	    "    keep = add\n"
	    "    return { { name = \"returned\", points = 0.5, reason = \"too\" } }\n"
	    "  end,\n"
	    "  criteria = { prospect = { { name = \"kept\", check = function(c)\n"
	    "    keep(\"late\", 1)\n"
	    "    return true, \"\"\n"
	    "  end } } },\n"
	    "}\n");
	tmp_put(dir, "b_bad.lua",
	    "return {\n"
	    "  name = \"badadd\", version = \"1\",\n"
	    "  score = function(c, add)\n"
	    "    add(\"fine\", 1)\n"
	    "    if c.id == 7 then add(\"nan\", 0/0) else add(nil, 1) end\n"
	    "  end,\n"
	    "}\n");
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 2);
	heed_contact c;
	ann(&c);
	heed_parts parts = {0};
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	CHECK_INT(parts.n, 3);
	CHECK_STR(parts.v[0].plugin, "adder");
	CHECK_STR(parts.v[0].name, "title");
	CHECK_STR(parts.v[0].reason, "VP Sales");
	CHECK_STR(parts.v[1].name, "size");
	CHECK_STR(parts.v[1].reason, "");
	CHECK_NEAR(parts.v[1].points, 2.5, 0);
	CHECK_STR(parts.v[2].name, "returned"); /* returned parts follow the added ones */
	CHECK_NEAR(parts.total, 23, 1e-12);
	char want[1024];
	snprintf(want, sizeof want, "plugin 'badadd' (%s/b_bad.lua:3) in score: part 2 'nan' points", dir);
	CHECK(err && strncmp(err, want, strlen(want)) == 0);
	free(err);
	err = NULL;

	c.id = 8; /* a wrong argument names add and the line of the call */
	heed_parts_reset(&parts);
	CHECK_INT(parts.n, 0);
	CHECK_NEAR(parts.total, 0, 0);
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	CHECK_INT(parts.n, 3);
	CHECK_STR(parts.v[0].reason, "VP Sales");
	snprintf(want, sizeof want, "plugin 'badadd' (%s/b_bad.lua:5) in score: bad argument #1 to 'add'", dir);
	CHECK(err && strncmp(err, want, strlen(want)) == 0);
	free(err);
	err = NULL;

	heed_parts_clear(&parts);
	heed_checks checks = {0}; /* an add kept past its call */
	CHECK_INT(heed_plugins_criteria(p, &c, "prospect", &checks, &err), HEED_EPLUGIN);
	snprintf(want, sizeof want,
	         "plugin 'adder' (%s/a_add.lua:11) in criteria.prospect.kept: add can only be called during a score call",
	         dir);
	CHECK(err && strncmp(err, want, strlen(want)) == 0);
	free(err);
	heed_checks_clear(&checks);
	heed_contact_clear(&c);
	heed_plugins_close(p);
	free(dir);
}

/* ---- sandbox, budget, memory ---- */

static void test_sandbox(void)
{
	char *dir = tmp_case_dir("plugin", "sandbox");
	tmp_put(dir, "box.lua",
	    "local function absent(name) return { name = name, check = function() return _ENV[name] == nil, name end } end\n"
	    "return {\n"
	    "  name = \"box\", version = \"1\",\n"
	    "  criteria = { prospect = {\n"
	    "    absent(\"io\"), absent(\"dofile\"), absent(\"loadfile\"), absent(\"package\"),\n"
	    "    { name = \"require\", check = function() local ok, msg = pcall(require, \"io\")\n"
	    "        return not ok and msg:find(\"lib folder\") ~= nil, tostring(msg) end },\n"
	    "    absent(\"debug\"), absent(\"collectgarbage\"),\n"
	    "    { name = \"os.execute\", check = function() return os.execute == nil and os.exit == nil\n"
	    "        and os.getenv == nil and os.remove == nil, \"os\" end },\n"
	    "    { name = \"os.time\", check = function() return type(os.time()) == \"number\" and os.date ~= nil, \"os\" end },\n"
	    "    { name = \"binary\", check = function()\n"
	    "        local f, msg = load(string.dump(function() return 1 end))\n"
	    "        return f == nil and msg:find(\"binary\") ~= nil, tostring(msg) end },\n"
	    "    { name = \"text_load\", check = function()\n"
	    "        local f = load(\"return io, heed.now\")\n"
	    "        local a, b = f()\n"
	    "        return a == nil and b ~= nil, \"load\" end },\n"
	    "    { name = \"libs\", check = function()\n"
	    "        return string.upper(\"a\") == \"A\" and #table.pack(1, 2) == 2 and math.floor(2.5) == 2\n"
	    "          and utf8.char(228) == \"\\u{e4}\", \"libs\" end },\n"
	    "    { name = \"heed\", check = function()\n"
	    "        local t = heed.time(\"2024-05-01\")\n"
	    "        local bad, msg = heed.time(\"yesterday\")\n"
	    "        return t == 1714521600 and bad == nil and msg:find(\"yesterday\") ~= nil\n"
	    "          and heed.days(0, 129600) == 1.5 and heed.now() == 1717200000, \"heed\" end },\n"
	    "  } },\n"
	    "}\n");
	tmp_put(dir, "loop.lua",
	    "return {\n"
	    "  name = \"loop\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    while true do end\n"
	    "  end,\n"
	    "  criteria = { prospect = { { name = \"sneaky\", check = function()\n"
	    "    while true do pcall(function() while true do end end) end\n"
	    "  end }, { name = \"deep\", check = function() local function f(n) return 1 + f(n + 1) end return f(1) end },\n"
	    "  } },\n"
	    "}\n");
	tmp_put(dir, "memory.lua",
	    "return {\n"
	    "  name = \"memory\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    local s = string.rep(\"x\", 100 * 1024 * 1024)\n"
	    "    return { { name = \"n\", points = #s } }\n"
	    "  end,\n"
	    "}\n");
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 3);
	CHECK_INT(heed_plugins_nerrors(p), 0);
	heed_contact c;
	ann(&c);
	heed_checks checks = {0};
	CHECK_INT(heed_plugins_criteria(p, &c, "prospect", &checks, &err), HEED_EPLUGIN);
	CHECK_INT(checks.n, 15);
	for (size_t i = 0; i < checks.n; i++) {
		if (strcmp(checks.v[i].plugin, "box") == 0) {
			CHECK(checks.v[i].pass);
			if (!checks.v[i].pass)
				fprintf(stderr, "  sandbox check %s failed: %s\n", checks.v[i].name, checks.v[i].reason);
		}
	}
	const heed_check *sneaky = find_check(&checks, "sneaky");
	CHECK(sneaky && !sneaky->pass);
	CHECK(sneaky && has(sneaky->reason, "instruction budget exceeded"));
	const heed_check *deep = find_check(&checks, "deep");
	CHECK(deep && !deep->pass && has(deep->reason, "stack overflow"));
	CHECK(deep && has(deep->reason, "loop.lua:8) in criteria.prospect.deep"));
	char want[1024];
	snprintf(want, sizeof want, "plugin 'loop' (%s/loop.lua:7) in criteria.prospect.sneaky: instruction budget exceeded",
	         dir);
	CHECK(err && strncmp(err, want, strlen(want)) == 0);
	free(err);
	err = NULL;
	heed_checks_clear(&checks);

	heed_parts parts = {0};
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	snprintf(want, sizeof want, "plugin 'loop' (%s/loop.lua:4) in score: instruction budget exceeded", dir);
	CHECK(err && strncmp(err, want, strlen(want)) == 0);
	free(err);
	err = NULL;
	heed_parts_clear(&parts);

	/* the memory plugin alone */
	heed_plugins_close(p);
	char *d2 = tmp_case_dir("plugin", "memory");
	tmp_put(d2, "memory.lua",
	    "return {\n"
	    "  name = \"memory\", version = \"1\",\n"
	    "  score = function(c)\n"
	    "    local s = string.rep(\"x\", 100 * 1024 * 1024)\n"
	    "    return { { name = \"n\", points = #s } }\n"
	    "  end,\n"
	    "}\n");
	p = heed_plugins_open(d2, &err);
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	CHECK(has(err, "memory limit exceeded (64 MB per plugin)"));
	CHECK(has(err, "in score"));
	free(err);
	err = NULL;
	/* the state is still usable after a memory error */
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	free(err);
	heed_parts_clear(&parts);
	heed_plugins_close(p);
	heed_contact_clear(&c);
	free(d2);
	free(dir);
}

/* ---- the contact table ---- */

static void test_contact_table(void)
{
	char *dir = tmp_case_dir("plugin", "contact_table");
	tmp_put(dir, "look.lua",
	    "local function show(v)\n"
	    "  if type(v) ~= \"table\" then return tostring(v) end\n"
	    "  local keys = {}\n"
	    "  for k in pairs(v) do keys[#keys + 1] = tostring(k) end\n"
	    "  table.sort(keys)\n"
	    "  local out = {}\n"
	    "  for _, k in ipairs(keys) do out[#out + 1] = k .. \"=\" .. show(v[k] == nil and v[tonumber(k)] or v[k]) end\n"
	    "  return \"{\" .. table.concat(out, \",\") .. \"}\"\n"
	    "end\n"
	    "return {\n"
	    "  name = \"look\", version = \"1\",\n"
	    "  criteria = { prospect = {\n"
	    "    { name = \"top\", check = function(c)\n"
	    "      return true, table.concat({ c.id, c.email, c.first_name, c.last_name, c.title, tostring(c.phone),\n"
	    "        c.stage, tostring(c.do_not_contact), c.created_at, tostring(c.updated_at), tostring(c.deal) }, \"|\") end },\n"
	    "    { name = \"org\", check = function(c) return true, show(c.org) end },\n"
	    "    { name = \"attrs\", check = function(c) return true, show(c.attrs) end },\n"
	    "    { name = \"acts\", check = function(c) return true, show(c.activities) end },\n"
	    "    { name = \"types\", check = function(c)\n"
	    "      return math.type(c.attrs.seats) == \"integer\" and math.type(c.id) == \"integer\", \"types\" end },\n"
	    "    { name = \"pairs\", check = function(c)\n"
	    "      local keys = {}\n"
	    "      for k in pairs(c) do keys[#keys + 1] = k end\n"
	    "      table.sort(keys)\n"
	    "      return getmetatable(c) == \"heed contact\" and not pcall(setmetatable, c, {}), table.concat(keys, \",\") end },\n"
	    "    { name = \"keep\", check = function(c) kept = c; return true, \"kept\" end },\n"
	    "  } },\n"
	    "  score = function(c)\n"
	    "    if kept then local old = kept; kept = nil; return { { name = \"old\", points = 1, reason = old.phone } } end\n"
	    "    return { { name = \"deal\", points = c.deal.value, reason = show(c.deal) } }\n"
	    "  end,\n"
	    "}\n");
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 1);
	heed_contact c;
	ann(&c);
	c.org.employees = -1;
	heed_activity_add(&c, "call", at("2024-05-02T10:00:00Z"), "{\"minutes\":30,\"who\":{\"name\":\"Bo\"}}");
	heed_activity_add(&c, "visit", at("2024-05-01"), NULL);
	heed_checks checks = {0};
	CHECK_INT(heed_plugins_criteria(p, &c, "prospect", &checks, &err), HEED_OK);
	CHECK_INT(checks.n, 7);
	CHECK_STR(find_check(&checks, "top")->reason,
	          "7|ann@example.com|Ann|Lee|VP Sales|nil|lead|false|1704153600|nil|nil");
	CHECK_STR(find_check(&checks, "org")->reason, "{country=DE,industry=Software,name=Acme GmbH}");
	CHECK_STR(find_check(&checks, "attrs")->reason,
	          "{lead_source=web,need=faster onboarding,seats=12,tags={1=a,2=b},vip=true}");
	CHECK_STR(find_check(&checks, "acts")->reason,
	          "{1={at=1714521600,data={},id=0,kind=visit},"
	          "2={at=1714644000,data={minutes=30,who={name=Bo}},id=0,kind=call}}");
	CHECK(find_check(&checks, "types")->pass);
	CHECK(find_check(&checks, "pairs")->pass);
	CHECK_STR(find_check(&checks, "pairs")->reason,
	          "activities,attrs,created_at,do_not_contact,email,first_name,id,last_name,org,score,stage,title");
	heed_checks_clear(&checks);

	/* a contact table kept past its call cannot read the (gone) record */
	heed_parts parts = {0};
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_EPLUGIN);
	char want[1024];
	snprintf(want, sizeof want,
	         "plugin 'look' (%s/look.lua:29) in score: a contact table was used after its call ended; "
	         "copy the fields you need during the call (contact 7 <ann@example.com>)",
	         dir);
	CHECK_STR(err, want);
	free(err);
	err = NULL;

	c.deal.present = 1;
	c.deal.value = 12000;
	c.deal.currency = xstrdup("EUR");
	c.deal.close_date = at("2024-07-01");
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_OK);
	CHECK_INT(parts.n, 1);
	CHECK_NEAR(parts.total, 12000, 0);
	CHECK_STR(parts.v[0].reason, "{close_date=1719792000,currency=EUR,value=12000.0}");
	heed_parts_clear(&parts);

	/* bad attrs JSON is an error naming the contact, not a crash; only checks reading attrs fail */
	free(c.attrs);
	c.attrs = xstrdup("{\"need\": ");
	CHECK_INT(heed_plugins_criteria(p, &c, "prospect", &checks, &err), HEED_EPLUGIN);
	snprintf(want, sizeof want, "plugin 'look' (%s/look.lua:17) in criteria.prospect.attrs: attrs is not a JSON object",
	         dir);
	CHECK(err && strncmp(err, want, strlen(want)) == 0);
	CHECK(has(err, "(contact 7 <ann@example.com>)"));
	CHECK(!find_check(&checks, "attrs")->pass);
	CHECK(find_check(&checks, "org")->pass);
	free(err);
	heed_checks_clear(&checks);
	heed_parts_clear(&parts);
	heed_contact_clear(&c);
	heed_plugins_close(p);
	free(dir);
}

/* ---- composition ---- */

static void test_composition(void)
{
	char *dir = tmp_case_dir("plugin", "composition");
	tmp_put(dir, "one.lua",
	    "return {\n"
	    "  name = \"one\", version = \"1.0\",\n"
	    "  criteria = {\n"
	    "    prospect = {\n"
	    "      { name = \"has_email\", check = function(c) return c.email ~= nil, \"email \" .. tostring(c.email) end },\n"
	    "      { name = \"big\", check = function(c) return (c.org.employees or 0) > 1000, \"size\" end },\n"
	    "    },\n"
	    "  },\n"
	    "  score = function(c) return { { name = \"a\", points = 10, reason = \"ten\" } } end,\n"
	    "}\n");
	tmp_put(dir, "two.lua",
	    "return {\n"
	    "  name = \"two\", version = \"2.0\",\n"
	    "  criteria = {\n"
	    "    prospect = { { name = \"german\", check = function(c) return c.org.country == \"DE\", \"country\" end } },\n"
	    "    opportunity = {\n"
	    "      { name = \"weird\", check = function(c) return \"yes\", \"not a boolean\" end },\n"
	    "      { name = \"mute\", check = function(c) return true end },\n"
	    "      { name = \"fine\", check = function(c) return true, \"ok\" end },\n"
	    "    },\n"
	    "  },\n"
	    "  score = function(c) return { { name = \"b\", points = -2.5, reason = \"minus\" }, { name = \"c\", points = 1 } } end,\n"
	    "}\n");
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 2);
	CHECK_STR(heed_plugins_versions(p), "one@1.0,two@2.0");
	CHECK(heed_plugins_has_criteria(p, "prospect"));
	CHECK(heed_plugins_has_criteria(p, "opportunity"));
	CHECK(!heed_plugins_has_criteria(p, "won"));
	heed_contact c;
	ann(&c);
	heed_checks checks = {0};
	CHECK_INT(heed_plugins_criteria(p, &c, "prospect", &checks, &err), HEED_OK);
	CHECK_INT(checks.n, 3);
	CHECK_STR(checks.v[0].plugin, "one");
	CHECK_STR(checks.v[0].name, "has_email");
	CHECK(checks.v[0].pass);
	CHECK_STR(checks.v[0].reason, "email ann@example.com");
	CHECK_STR(checks.v[1].name, "big");
	CHECK(!checks.v[1].pass);
	CHECK_STR(checks.v[2].plugin, "two");
	CHECK(checks.v[2].pass);
	heed_checks_clear(&checks);

	CHECK_INT(heed_plugins_criteria(p, &c, "opportunity", &checks, &err), HEED_EPLUGIN);
	CHECK_INT(checks.n, 3);
	char want[1024];
	snprintf(want, sizeof want,
	         "plugin 'two' (%s/two.lua:6) in criteria.opportunity.weird: a check must return pass (boolean) and "
	         "reason (string), got string and string (contact 7 <ann@example.com>)",
	         dir);
	CHECK_STR(err, want); /* the first error wins */
	CHECK_STR(checks.v[0].name, "weird");
	CHECK(!checks.v[0].pass);
	CHECK_STR(checks.v[0].reason, want);
	CHECK_STR(checks.v[1].name, "mute");
	CHECK(!checks.v[1].pass);
	CHECK(has(checks.v[1].reason, "in criteria.opportunity.mute"));
	CHECK(checks.v[2].pass); /* later checks still run */
	free(err);
	err = NULL;
	heed_checks_clear(&checks);

	heed_parts parts = {0};
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_OK);
	CHECK_INT(parts.n, 3);
	CHECK_NEAR(parts.total, 8.5, 1e-9);
	CHECK(find_part(&parts, "two", "b") != NULL);
	heed_parts_clear(&parts);
	heed_contact_clear(&c);
	heed_plugins_close(p);
	free(dir);
}

/* ---- maps ---- */

static void test_map(void)
{
	char *dir = tmp_case_dir("plugin", "map");
	tmp_put(dir, "sf.lua",
	    "return {\n"
	    "  name = \"sfimport\", version = \"1\",\n"
	    "  map = {\n"
	    "    source = \"sf\",\n"
	    "    placeholders = { \"Select\", \"n/a\" },\n"
	    "    fields = { email = \"Email\", first_name = \"FirstName\", [\"org.name\"] = \"Company\",\n"
	    "               [\"attrs.lead_source\"] = \"LeadSource\" },\n"
	    "    stage = { column = \"Status\", values = { [\"Closed - Converted\"] = \"opportunity\", Dead = \"lost\" },\n"
	    "              default = \"lead\" },\n"
	    "    time_layout = \"DD-MM-YYYY\",\n"
	    "    keep_rest = true,\n"
	    "    row = function(row)\n"
	    "      if row.Status == \"Junk\" then return { skip = true, warn = \"junk row\" } end\n"
	    "      if row.Status == \"Broken\" then error(\"cannot read status\") end\n"
	    "      return {\n"
	    "        [\"attrs.score_hint\"] = tonumber(row.Hint),\n"
	    "        [\"deal.probability\"] = 0.25,\n"
	    "        [\"org.employees\"] = 1200.0,\n"
	    "        do_not_contact = row.Optout == \"yes\",\n"
	    "        stage_at = \"2018-02-03\",\n"
	    "        warn = { \"w1\", \"w2\" },\n"
	    "        activities = {\n"
	    "          { kind = \"visit\", at = \"2018-02-01\", data = { page = \"/pricing\", n = 2, tags = { \"x\", \"y\" },\n"
	    "            ok = true, nested = { b = 1, a = 0.5 } } },\n"
	    "          { kind = \"call\", at = 1517616000 },\n"
	    "          { kind = \"note\" },\n"
	    "        },\n"
	    "      }\n"
	    "    end,\n"
	    "  },\n"
	    "}\n");
	tmp_put(dir, "plain.lua",
	    "return { name = \"plain\", version = \"1\", map = { fields = { email = \"E-mail\" }, update_only = true } }\n");
	tmp_put(dir, "typo.lua",
	    "return {\n  name = \"typo\", version = \"1\",\n  map = { fields = { emial = \"Email\" } },\n}\n");
	tmp_put(dir, "nomap.lua", "return { name = \"nomap\", version = \"1\" }\n");
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK_INT(heed_plugins_count(p), 3);
	CHECK_INT(heed_plugins_nerrors(p), 1);
	char want[1024];
	snprintf(want, sizeof want, "plugin 'typo' (%s/typo.lua:4): map.fields: unknown field 'emial'", dir);
	CHECK(strncmp(heed_plugins_error(p, 0), want, strlen(want)) == 0);

	const heed_mapspec *m = heed_plugins_mapspec(p, "sfimport", &err);
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->plugin, "sfimport");
		CHECK_STR(m->source, "sf");
		CHECK_INT(m->nplaceholders, 2);
		CHECK_STR(m->placeholders[1], "n/a");
		CHECK_INT(m->nfields, 4);
		CHECK_STR(m->fields[0].name, "attrs.lead_source"); /* sorted by field name */
		CHECK_STR(m->fields[0].value, "LeadSource");
		CHECK_STR(m->fields[1].name, "email");
		CHECK_STR(m->fields[3].name, "org.name");
		CHECK_STR(m->fields[3].value, "Company");
		CHECK_STR(m->stage_column, "Status");
		CHECK_INT(m->nstage_values, 2);
		CHECK_STR(m->stage_values[0].name, "Closed - Converted");
		CHECK_STR(m->stage_values[0].value, "opportunity");
		CHECK_STR(m->stage_default, "lead");
		CHECK_STR(m->time_layout, "DD-MM-YYYY");
		CHECK(m->keep_rest);
		CHECK(!m->update_only);
		CHECK(m->has_row_fn);
	}
	m = heed_plugins_mapspec(p, "plain", &err);
	CHECK(m && !m->has_row_fn && m->update_only && !m->keep_rest);
	CHECK(m && heed_streq(m->source, "plain"));
	CHECK(heed_plugins_mapspec(p, "nomap", &err) == NULL);
	CHECK(has(err, "has no map"));
	free(err);
	err = NULL;
	CHECK(heed_plugins_mapspec(p, "nosuch", &err) == NULL);
	CHECK(has(err, "no plugin named 'nosuch'"));
	free(err);
	err = NULL;

	const char *names[] = {"Email", "Status", "Hint", "Optout", "Company"};
	const char *values[] = {"ann@example.com", "Open", "42", "yes", NULL};
	heed_row row = {.names = names, .values = values, .n = 5, .file = "leads.csv", .line = 5};
	heed_fieldset fs = {0};
	CHECK_INT(heed_plugins_map_row(p, "sfimport", &row, &fs, &err), HEED_OK);
	CHECK_INT(fs.n, 5);
	if (fs.n == 5) {
		CHECK_STR(fs.f[0].name, "attrs.score_hint");
		CHECK_STR(fs.f[0].value, "42");
		CHECK_STR(fs.f[1].name, "deal.probability");
		CHECK_STR(fs.f[1].value, "0.25");
		CHECK_STR(fs.f[2].name, "do_not_contact");
		CHECK_STR(fs.f[2].value, "1");
		CHECK_STR(fs.f[3].name, "org.employees");
		CHECK_STR(fs.f[3].value, "1200");
		CHECK_STR(fs.f[4].name, "stage_at");
		CHECK_STR(fs.f[4].value, "2018-02-03");
	}
	CHECK_INT(fs.nwarnings, 2);
	CHECK_INT(fs.nacts, 3);
	if (fs.nacts == 3) {
		CHECK_STR(fs.acts[0].kind, "visit");
		CHECK_STR(fs.acts[0].at, "2018-02-01");
		CHECK_STR(fs.acts[0].data,
		          "{\"n\":2,\"nested\":{\"a\":0.5,\"b\":1},\"ok\":true,\"page\":\"/pricing\",\"tags\":[\"x\",\"y\"]}");
		CHECK_STR(fs.acts[1].at, "2018-02-03T00:00:00Z");
		CHECK(fs.acts[1].data == NULL);
		CHECK(fs.acts[2].at == NULL); /* the importer uses the time of the import */
	}
	CHECK(!fs.skip);
	heed_fieldset_clear(&fs);

	values[1] = "Junk";
	CHECK_INT(heed_plugins_map_row(p, "sfimport", &row, &fs, &err), HEED_OK);
	CHECK(fs.skip);
	CHECK_INT(fs.nwarnings, 1);
	CHECK_STR(fs.warnings[0], "junk row");
	heed_fieldset_clear(&fs);

	values[1] = "Broken";
	CHECK_INT(heed_plugins_map_row(p, "sfimport", &row, &fs, &err), HEED_EPLUGIN);
	snprintf(want, sizeof want, "plugin 'sfimport' (%s/sf.lua:14) in map.row: cannot read status (row 5 of leads.csv)",
	         dir);
	CHECK_STR(err, want);
	CHECK_INT(fs.n, 0);
	free(err);
	err = NULL;
	heed_fieldset_clear(&fs);

	CHECK_INT(heed_plugins_map_row(p, "plain", &row, &fs, &err), HEED_ENOTFOUND);
	CHECK(has(err, "no row function"));
	free(err);
	heed_plugins_close(p);
	free(dir);
}

/* ---- the default plugins ---- */

/* Every shipped plugin loads; then qualify.lua and score.lua alone, so that
 * the other shipped plugins' parts do not change the numbers tested here. */
static heed_plugins *open_defaults(void)
{
	const char *src = getenv("HEED_SRC");
	char *shipped = xasprintf("%s/plugins", src && *src ? src : ".");
	char *err = NULL;
	heed_plugins *p = heed_plugins_open(shipped, &err);
	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "  %s (set HEED_SRC to the source tree)\n", err);
		free(err);
		free(shipped);
		return NULL;
	}
	CHECK_INT(heed_plugins_nerrors(p), 0);
	for (size_t i = 0; i < heed_plugins_nerrors(p); i++)
		fprintf(stderr, "  %s\n", heed_plugins_error(p, i));
	CHECK(has(heed_plugins_versions(p), "qualify@1.0.0"));
	CHECK(has(heed_plugins_versions(p), "score@1.0.0"));
	heed_plugins_close(p);

	char *dir = tmp_case_dir("plugin", "defaults");
	const char *files[] = {"qualify.lua", "score.lua"};
	for (size_t i = 0; i < 2; i++) {
		char *path = xasprintf("%s/%s", shipped, files[i]);
		char *text = slurp(path);
		CHECK(text != NULL);
		tmp_put(dir, files[i], text ? text : "");
		free(text);
		free(path);
	}
	p = heed_plugins_open(dir, &err);
	CHECK_STR(heed_plugins_versions(p), "qualify@1.0.0,score@1.0.0");
	free(shipped);
	free(dir);
	return p;
}

/* The check `name` of qualify for target on c (owned by cs until cleared). */
static const heed_check *run_check(heed_plugins *p, const heed_contact *c, const char *target, const char *name,
                                   heed_checks *cs)
{
	char *err = NULL;
	heed_checks_clear(cs);
	CHECK_INT(heed_plugins_criteria(p, c, target, cs, &err), HEED_OK);
	if (err)
		fprintf(stderr, "  %s\n", err);
	free(err);
	const heed_check *k = find_check(cs, name);
	CHECK(k != NULL);
	return k;
}

static void test_default_prospect(heed_plugins *p)
{
	heed_contact c;
	heed_checks cs = {0};
	heed_time now = heed_time_now();
	ann(&c);
	const heed_check *k = run_check(p, &c, "prospect", "org_fit", &cs);
	CHECK(k && k->pass);
	CHECK_STR(k ? k->reason : NULL, "software, 250 staff, DE");
	k = run_check(p, &c, "prospect", "need", &cs);
	CHECK(k && k->pass);
	CHECK_STR(k ? k->reason : NULL, "need: faster onboarding");
	k = run_check(p, &c, "prospect", "stakeholder", &cs);
	CHECK(k && k->pass);
	k = run_check(p, &c, "prospect", "engagement", &cs);
	CHECK(k && !k->pass);
	CHECK_INT(cs.n, 4);

	/* org fit names the failing part */
	free(c.org.industry);
	c.org.industry = xstrdup("retail");
	c.org.employees = 20;
	k = run_check(p, &c, "prospect", "org_fit", &cs);
	CHECK(k && !k->pass);
	CHECK_STR(k ? k->reason : NULL, "industry 'retail' not in ICP; 20 staff outside ICP 50-5000");

	/* stakeholder: an analyst carries no authority, a VP does; a recorded stakeholder counts */
	free(c.title);
	c.title = xstrdup("Analyst");
	k = run_check(p, &c, "prospect", "stakeholder", &cs);
	CHECK(k && !k->pass);
	CHECK_STR(k ? k->reason : NULL,
	          "no stakeholder with influence or authority: title 'Analyst' carries none; "
	          "record one with `heed event 7 stakeholder name=... role=...`");
	free(c.title);
	c.title = xstrdup("Product Owner");
	k = run_check(p, &c, "prospect", "stakeholder", &cs);
	CHECK(k && !k->pass);
	free(c.title);
	c.title = xstrdup("Head of Operations");
	k = run_check(p, &c, "prospect", "stakeholder", &cs);
	CHECK(k && k->pass);
	free(c.title);
	c.title = xstrdup("Vice President, Marketing");
	k = run_check(p, &c, "prospect", "stakeholder", &cs);
	CHECK_STR(k ? k->reason : NULL, "title 'Vice President, Marketing' carries authority (VP)");
	free(c.title);
	c.title = xstrdup("Analyst");
	heed_activity_add(&c, "stakeholder", now - 3 * DAY, "{\"name\":\"Kim\",\"role\":\"CFO\"}");
	k = run_check(p, &c, "prospect", "stakeholder", &cs);
	CHECK(k && k->pass);
	CHECK(k && has(k->reason, "Kim (CFO)"));
	heed_contact_clear(&c);

	/* need: absent, then as an activity */
	ann(&c);
	free(c.attrs);
	c.attrs = NULL;
	k = run_check(p, &c, "prospect", "need", &cs);
	CHECK(k && !k->pass);
	heed_activity_add(&c, "need", now - DAY, "{\"text\":\"manual invoicing\"}");
	k = run_check(p, &c, "prospect", "need", &cs);
	CHECK(k && k->pass);
	CHECK(k && has(k->reason, "manual invoicing"));
	heed_contact_clear(&c);

	/* engagement: two days and one two-way kind */
	ann(&c);
	heed_activity_add(&c, "visit", now - 5 * DAY, NULL);
	heed_activity_add(&c, "email_open", now - 2 * DAY, NULL);
	k = run_check(p, &c, "prospect", "engagement", &cs);
	CHECK(k && !k->pass); /* two days, but one-way only */
	CHECK(k && has(k->reason, "two-way"));
	heed_contact_clear(&c);
	ann(&c);
	heed_activity_add(&c, "call", now - 2 * DAY, NULL);
	heed_activity_add(&c, "visit", now - 2 * DAY + 60, NULL);
	k = run_check(p, &c, "prospect", "engagement", &cs);
	CHECK(k && !k->pass); /* two-way, but one day */
	CHECK(k && has(k->reason, "1 day"));
	heed_activity_add(&c, "visit", now - 9 * DAY, NULL);
	k = run_check(p, &c, "prospect", "engagement", &cs);
	CHECK(k && k->pass);
	CHECK_STR(k ? k->reason : NULL, "3 engagements over 2 days, latest two-way: call on 2024-05-30");
	for (size_t i = 0; i < cs.n; i++)
		CHECK(cs.v[i].pass);
	heed_checks_clear(&cs);
	heed_contact_clear(&c);
}

static void test_default_opportunity(heed_plugins *p)
{
	heed_contact c;
	heed_checks cs = {0};
	heed_time now = heed_time_now();
	ann(&c);
	const heed_check *k = run_check(p, &c, "opportunity", "intent", &cs);
	CHECK_INT(cs.n, 4);
	for (size_t i = 0; i < cs.n; i++)
		CHECK(!cs.v[i].pass);
	CHECK(k && has(k->reason, "demo_request"));
	heed_activity_add(&c, "demo_request", now - DAY, NULL);
	heed_activity_add(&c, "stakeholder", now - DAY, "{\"name\":\"Kim\",\"decides\":true}");
	c.deal.present = 1;
	c.deal.value = 12000;
	c.deal.currency = xstrdup("EUR");
	c.deal.close_date = at("2024-09-30");
	k = run_check(p, &c, "opportunity", "intent", &cs);
	CHECK_STR(k ? k->reason : NULL, "demo_request on 2024-05-31");
	for (size_t i = 0; i < cs.n; i++)
		CHECK(cs.v[i].pass);
	CHECK_STR(find_check(&cs, "decision_maker")->reason, "Kim decides (recorded on 2024-05-31)");
	CHECK_STR(find_check(&cs, "timeline")->reason, "close date 2024-09-30");
	CHECK_STR(find_check(&cs, "deal_value")->reason, "value 12000 EUR");
	c.deal.value = 0;
	k = run_check(p, &c, "opportunity", "deal_value", &cs);
	CHECK(k && !k->pass);
	heed_checks_clear(&cs);
	heed_contact_clear(&c);
}

static double engagement_points(heed_plugins *p, const heed_contact *c, char **reason)
{
	heed_parts parts = {0};
	char *err = NULL;
	CHECK_INT(heed_plugins_score(p, c, &parts, &err), HEED_OK);
	if (err)
		fprintf(stderr, "  %s\n", err);
	free(err);
	const heed_part *e = find_part(&parts, "score", "engagement");
	CHECK(e != NULL);
	CHECK(find_part(&parts, "qualify", "fit") != NULL);
	double pts = e ? e->points : NAN;
	if (reason)
		*reason = xstrdup(e ? e->reason : NULL);
	heed_parts_clear(&parts);
	return pts;
}

static void test_default_score(heed_plugins *p)
{
	heed_contact c;
	heed_time now = heed_time_now();
	char *reason = NULL;

	ann(&c);
	heed_activity_add(&c, "meeting", now, NULL);
	double today = engagement_points(p, &c, &reason);
	CHECK_NEAR(today, 20, 1e-9);
	CHECK_STR(reason, "1 activity, latest today");
	free(reason);
	heed_contact_clear(&c);

	ann(&c);
	heed_activity_add(&c, "meeting", now - 30 * DAY, NULL);
	double month = engagement_points(p, &c, &reason);
	CHECK_NEAR(month, today / 2, 1e-9);
	CHECK_STR(reason, "1 activity, latest 30 days ago");
	free(reason);
	heed_activity_add(&c, "visit", now - 2 * DAY, NULL);
	heed_activity_add(&c, "email_open", now - 60 * DAY, NULL);
	heed_activity_add(&c, "note", now - DAY, NULL); /* no weight */
	double three = engagement_points(p, &c, &reason);
	CHECK_NEAR(three, 10 + 2 * pow(0.5, 2.0 / 30) + 0.25, 0.01);
	CHECK_STR(reason, "3 activities, latest 2 days ago");
	free(reason);
	heed_contact_clear(&c);

	ann(&c);
	CHECK_NEAR(engagement_points(p, &c, &reason), 0, 0);
	CHECK_STR(reason, "no engagement activities yet");
	free(reason);

	/* fit: software +10, 250 staff +10, DE +5, VP +8 */
	heed_parts parts = {0};
	char *err = NULL;
	CHECK_INT(heed_plugins_score(p, &c, &parts, &err), HEED_OK);
	const heed_part *fit = find_part(&parts, "qualify", "fit");
	CHECK(fit && fit->points == 33);
	CHECK_STR(fit ? fit->reason : NULL, "software +10, 250 staff +10, DE +5, VP +8");
	CHECK_NEAR(parts.total, 33, 1e-9);
	heed_parts_clear(&parts);
	heed_contact_clear(&c);
}

static void test_defaults(void)
{
	heed_plugins *p = open_defaults();
	if (!p)
		return;
	test_default_prospect(p);
	test_default_opportunity(p);
	test_default_score(p);
	heed_plugins_close(p);
}

int main(void)
{
	char *err = NULL;
	setenv("HEED_NOW", NOW, 1);
	if (heed_time_init(&err) != HEED_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	test_load();
	test_score_errors();
	test_score_add();
	test_sandbox();
	test_contact_table();
	test_composition();
	test_map();
	test_defaults();
	return check_done("plugin");
}
