/* test_reload: hot-swap of plugins (heed_plugins_refresh) and the folder
 * watcher: a rewrite takes effect, a broken rewrite keeps the old version and
 * its error, fixing it activates it, a failing selftest keeps the old one,
 * files added and removed load and unload, and parts made before a refresh
 * stay readable until the next one. */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "contact.h"
#include "plugin.h"
#include "util.h"
#include "watch.h"

static char *dir_for(const char *name)
{
	const char *t = getenv("HEED_TMP");
	char *root = xstrdup(t && *t ? t : "/tmp/heedtest");
	mkdir(root, 0755);
	char *d = xasprintf("%s/reload", root);
	mkdir(d, 0755);
	char *dir = xasprintf("%s/%s", d, name);
	mkdir(dir, 0755);
	char *cmd = xasprintf("rm -f '%s'/*.lua", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot clean %s\n", dir);
	free(cmd);
	free(d);
	free(root);
	return dir;
}

/* Write file atomically (temp file, then rename), as editors and git do. */
static void put(const char *dir, const char *file, const char *text)
{
	char *tmp = xasprintf("%s/.%s.tmp", dir, file);
	char *path = xasprintf("%s/%s", dir, file);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", tmp, strerror(errno));
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	if (rename(tmp, path) != 0)
		exit(2);
	free(tmp);
	free(path);
}

static void drop(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	unlink(path);
	free(path);
}

/* A score plugin "s" at version v giving `points` points. Caller frees. */
static char *score_src(const char *v, int points)
{
	return xasprintf("return { name = 's', version = '%s', api = 1,\n"
	                 "  score = function(c) return { { name = 'p', points = %d } } end }\n",
	                 v, points);
}

static double total(heed_plugins *p, const heed_contact *c)
{
	heed_parts parts = {0};
	char *err = NULL;
	heed_plugins_score(p, c, &parts, &err);
	double t = parts.total;
	free(err);
	heed_parts_clear(&parts);
	return t;
}

static void test_rewrite(void)
{
	char *dir = dir_for("rewrite");
	char *src = score_src("1", 1);
	put(dir, "s.lua", src);
	free(src);
	char *err = NULL, *rep = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	CHECK(p != NULL);
	heed_contact c;
	heed_contact_init(&c);
	c.id = 1;
	CHECK_NEAR(total(p, &c), 1, 0);
	CHECK_STR(heed_plugins_versions(p), "s@1");

	/* nothing changed: nothing to say */
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 0);
	CHECK(rep == NULL);

	/* parts made before the swap stay readable after it */
	heed_parts before = {0};
	heed_plugins_score(p, &c, &before, &err);
	const char *old_versions = heed_plugins_versions(p);

	src = score_src("2", 2);
	put(dir, "s.lua", src);
	free(src);
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	CHECK_STR(rep, "reloaded s 1 → 2");
	free(rep);
	CHECK_NEAR(total(p, &c), 2, 0);
	CHECK_STR(heed_plugins_versions(p), "s@2");
	CHECK_STR(before.v[0].plugin, "s");
	CHECK_STR(old_versions, "s@1");
	heed_parts_clear(&before);

	/* a syntax error keeps version 2 and says where */
	put(dir, "s.lua", "return { name = 's', version = '3', score = function(c) return { end }\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 0);
	CHECK(rep && strncmp(rep, "kept s 2: ", 10) == 0);
	CHECK(rep && strstr(rep, "s.lua:1): unexpected symbol near") != NULL);
	free(rep);
	CHECK_NEAR(total(p, &c), 2, 0);
	CHECK_INT(heed_plugins_count(p), 1);
	CHECK_INT(heed_plugins_nerrors(p), 1);
	CHECK(heed_plugins_nerrors(p) && strstr(heed_plugins_error(p, 0), "s.lua:1): unexpected symbol") != NULL);
	/* an unchanged broken file is not tried again */
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 0);
	CHECK(rep == NULL);
	CHECK_INT(heed_plugins_nerrors(p), 1);

	/* fixing it activates the fix and clears the error */
	src = score_src("3", 3);
	put(dir, "s.lua", src);
	free(src);
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	CHECK_STR(rep, "reloaded s 2 → 3");
	free(rep);
	CHECK_NEAR(total(p, &c), 3, 0);
	CHECK_INT(heed_plugins_nerrors(p), 0);

	/* a missing version (required field) and a newer api level keep the old one */
	put(dir, "s.lua", "return { name = 's', score = function(c) return {} end }\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 0);
	CHECK(rep && strstr(rep, "kept s 3") && strstr(rep, "no version"));
	free(rep);
	put(dir, "s.lua", "return { name = 's', version = '9', api = 99, score = function(c) return {} end }\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 0);
	CHECK(rep && strstr(rep, "kept s 3") && strstr(rep, "api level 99"));
	free(rep);
	CHECK_NEAR(total(p, &c), 3, 0);

	/* a failing selftest keeps the old version; a passing one activates */
	put(dir, "s.lua", "return { name = 's', version = '4', api = 1,\n"
	                  "  score = function(c) return { { name = 'p', points = 4 } } end,\n"
	                  "  selftest = function(t) return false, 'four is wrong' end }\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 0);
	CHECK(rep && strstr(rep, "kept s 3") && strstr(rep, "in selftest: selftest failed: four is wrong"));
	free(rep);
	put(dir, "s.lua", "return { name = 's', version = '5', api = 1,\n"
	                  "  score = function(c) return { { name = 'p', points = 5 } } end,\n"
	                  "  selftest = function(t) t.eq(t.points(t.contact{}, 'p'), 5) end }\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	free(rep);
	CHECK_NEAR(total(p, &c), 5, 0);
	/* a changed library module reloads the plugins (they may require it) */
	char *lib = xasprintf("%s/lib", dir);
	mkdir(lib, 0755);
	put(lib, "pts.lua", "return 6\n");
	put(dir, "s.lua", "local pts = require('pts')\n"
	                  "return { name = 's', version = '6', api = 1,\n"
	                  "  score = function(c) return { { name = 'p', points = pts } } end }\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	free(rep);
	CHECK_NEAR(total(p, &c), 6, 0);
	put(lib, "pts.lua", "return 7\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	CHECK_STR(rep, "reloaded s 6 → 6");
	free(rep);
	CHECK_NEAR(total(p, &c), 7, 0);
	drop(lib, "pts.lua");
	rmdir(lib);
	free(lib);
	heed_contact_clear(&c);
	heed_plugins_close(p);
	free(dir);
}

static void test_add_remove(void)
{
	char *dir = dir_for("addremove");
	char *src = score_src("1", 1);
	put(dir, "s.lua", src);
	free(src);
	char *err = NULL, *rep = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	heed_contact c;
	heed_contact_init(&c);
	c.id = 1;
	put(dir, "t.lua", "return { name = 't', version = '1.0', api = 1,\n"
	                  "  score = function(c) return { { name = 'q', points = 10 } } end }\n");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	CHECK_STR(rep, "loaded t 1.0");
	free(rep);
	CHECK_INT(heed_plugins_count(p), 2);
	CHECK_NEAR(total(p, &c), 11, 0);
	CHECK_STR(heed_plugins_versions(p), "s@1,t@1.0");

	/* a refresh of one plugin leaves the others alone */
	src = score_src("2", 2);
	put(dir, "s.lua", src);
	free(src);
	drop(dir, "t.lua");
	CHECK_INT(heed_plugins_refresh(p, "t", &rep), 1);
	CHECK(rep && strstr(rep, "unloaded t 1.0") != NULL);
	free(rep);
	CHECK_NEAR(total(p, &c), 1, 0);
	CHECK_INT(heed_plugins_refresh(p, "nosuch", &rep), HEED_ENOTFOUND);
	CHECK(rep && strstr(rep, "no plugin 'nosuch'") != NULL);
	free(rep);
	CHECK_NEAR(total(p, &c), 1, 0); /* s changed on disk but was not asked for */
	CHECK_INT(heed_plugins_refresh(p, "s", &rep), 1);
	free(rep);
	CHECK_NEAR(total(p, &c), 2, 0);

	/* a new file that claims a loaded name is refused */
	src = score_src("9", 9);
	put(dir, "u.lua", src);
	free(src);
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 0);
	CHECK(rep && strstr(rep, "duplicate plugin name") != NULL);
	free(rep);
	CHECK_NEAR(total(p, &c), 2, 0);
	drop(dir, "u.lua");
	drop(dir, "s.lua");
	CHECK_INT(heed_plugins_refresh(p, NULL, &rep), 1);
	CHECK(rep && strncmp(rep, "unloaded s 2 (", 14) == 0);
	free(rep);
	CHECK_INT(heed_plugins_count(p), 0);
	CHECK_INT(heed_plugins_nerrors(p), 0);
	CHECK_STR(heed_plugins_versions(p), "");
	heed_contact_clear(&c);
	heed_plugins_close(p);
	free(dir);
}

static void test_watch(int polling)
{
	char *dir = dir_for(polling ? "watchpoll" : "watch");
	setenv("HEED_WATCH_POLL", polling ? "1" : "0", 1);
	char *err = NULL;
	heed_watch *w = heed_watch_open(dir, &err);
	CHECK(w != NULL);
	if (!w)
		return;
	CHECK(polling ? heed_watch_fd(w) < 0 : heed_watch_fd(w) >= 0);
	CHECK_INT(heed_watch_changed(w), 0);
	char *src = score_src("1", 1);
	if (polling)
		usleep(20000);
	put(dir, "s.lua", src);
	free(src);
	CHECK_INT(heed_watch_wait(w, 2000), 1);
	CHECK_INT(heed_watch_changed(w), 0);
	drop(dir, "s.lua");
	CHECK_INT(heed_watch_wait(w, 2000), 1);
	CHECK_INT(heed_watch_wait(w, 50), 0);
	heed_watch_close(w);
	CHECK(heed_watch_open("/nonexistent/plugins", &err) == NULL);
	CHECK(err && strstr(err, "/nonexistent/plugins") != NULL);
	free(err);
	free(dir);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct writer {
	const char *dir;
};

/* Another process's edits, as a thread: a new version, a broken one, a fix. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	usleep(200000);
	char *src = score_src("2", 2);
	put(w->dir, "s.lua", src);
	free(src);
	usleep(2500000);
	put(w->dir, "s.lua", "return { name = 's', version = '3' score = 1 }\n");
	usleep(500000);
	src = score_src("4", 4);
	put(w->dir, "s.lua", src);
	free(src);
	return NULL;
}

/* A long-running loop (as the REPL or daemon run it): score, and between
 * calls refresh when the watcher says so. Every version must become active
 * within 2 s of its write, the broken one never, and no call may fail. */
static void test_under_load(void)
{
	char *dir = dir_for("underload");
	char *src = score_src("1", 1);
	put(dir, "s.lua", src);
	free(src);
	unsetenv("HEED_WATCH_POLL");
	char *err = NULL, *rep = NULL;
	heed_plugins *p = heed_plugins_open(dir, &err);
	heed_watch *w = heed_watch_open(dir, &err);
	heed_contact c;
	heed_contact_init(&c);
	c.id = 1;
	struct writer wr = {dir};
	pthread_t th;
	pthread_create(&th, NULL, writer_main, &wr);
	double t0 = now_s(), seen[5] = {0};
	long calls = 0, failed = 0;
	int kept = 0;
	while (now_s() - t0 < 6.0 && !seen[4]) {
		heed_parts parts = {0};
		if (heed_plugins_score(p, &c, &parts, &err) != HEED_OK) {
			failed++;
			free(err);
			err = NULL;
		}
		int v = (int)parts.total;
		if (v >= 1 && v <= 4 && !seen[v])
			seen[v] = now_s() - t0;
		heed_parts_clear(&parts);
		calls++;
		if (heed_watch_changed(w)) {
			heed_plugins_refresh(p, NULL, &rep);
			if (rep && strstr(rep, "kept s 2: "))
				kept = 1;
			free(rep);
		}
	}
	pthread_join(th, NULL);
	CHECK(calls > 100);
	CHECK_INT(failed, 0);
	CHECK(seen[2] > 0.2 && seen[2] < 0.2 + 2.0);
	CHECK(seen[3] == 0);
	CHECK(kept);
	CHECK(seen[4] > 3.2 && seen[4] < 3.2 + 2.0);
	printf("under load: %ld calls, v2 active %.0f ms after its write, v4 %.0f ms after its write\n", calls,
	       (seen[2] - 0.2) * 1000, (seen[4] - 3.2) * 1000);
	heed_contact_clear(&c);
	heed_watch_close(w);
	heed_plugins_close(p);
	free(dir);
}

int main(void)
{
	test_rewrite();
	test_add_remove();
	test_watch(0);
	test_watch(1);
	test_under_load();
	return check_done("test_reload");
}
