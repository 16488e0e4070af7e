/* plugin: the engine-agnostic plugin host (see plugin.h). Loads a directory of
 * plugins through heed_lua_engine, keeps their load errors, composes criteria
 * (every check counts) and scores (parts add up), and validates what plugins
 * return. Owns the engine states and everything in heed_plugin_info. */
#include "plugin_int.h"
#include "stage.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

#define HEED_PLUGIN_API 1 /* the newest plugin api level this host runs */

typedef struct hplugin {
	char *path;
	void *state;
	heed_plugin_info info;
	long nfail;       /* failed calls since the last heed_plugins_failures */
	char *first_fail; /* the first of them */
} hplugin;

/* One *.lua file of the folder: its active plugin (if any) and last error. */
typedef struct hfile {
	char *name, *path;
	long long sig[5]; /* device, inode, size, mtime s, mtime ns: a change means reload */
	hplugin *h;       /* the active version, NULL when none loaded */
	char *error;      /* why the last load of this file failed, or NULL */
	time_t loaded_at; /* when h was loaded */
} hfile;

struct heed_plugins {
	const heed_engine *eng;
	char *dir;
	hfile *files;      /* by file name */
	size_t nfiles;
	hplugin **v;       /* the active plugins, in file order (point into files) */
	size_t n;
	const char **errors; /* the files' errors */
	size_t nerrors;
	char *versions;
	heed_limits_conf *conf; /* the folder's limits.conf */
	unsigned long long shared_sig; /* of lib/ and limits.conf: a change reloads every plugin */
	heed_kv kv;             /* the key-value store plugins get; kv.get NULL = none */
	char *conf_error;       /* what is wrong in it, or NULL */
	/* What the last refresh replaced: kept until the next one, so part names
	 * and strings handed out before it stay valid. */
	hplugin **old;
	size_t nold;
	char **oldtext;
	size_t noldtext;
};

/* ---- loading ---- */

static const hplugin *find(const heed_plugins *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i]->info.name, name) == 0)
			return p->v[i];
	return NULL;
}

static void retire_text(heed_plugins *p, char *s)
{
	if (!s)
		return;
	p->oldtext = xrealloc(p->oldtext, (p->noldtext + 1) * sizeof *p->oldtext);
	p->oldtext[p->noldtext++] = s;
}

static void free_plugin(const heed_engine *eng, hplugin *h)
{
	if (!h)
		return;
	eng->unload(h->state);
	heed_plugin_info_clear(&h->info);
	free(h->path);
	free(h->first_fail);
	free(h);
}

/* Free what the previous refresh retired: nobody may point into it any more. */
static void drop_retired(heed_plugins *p)
{
	for (size_t i = 0; i < p->nold; i++)
		free_plugin(p->eng, p->old[i]);
	free(p->old);
	p->old = NULL;
	p->nold = 0;
	for (size_t i = 0; i < p->noldtext; i++)
		free(p->oldtext[i]);
	free(p->oldtext);
	p->oldtext = NULL;
	p->noldtext = 0;
}

/* Load path into a fresh state and validate it: stages, api level, a unique
 * name (twin_ok = the plugin it may replace), its selftest. OUT: the plugin,
 * or NULL with *err. */
static hplugin *load_checked(heed_plugins *p, const char *path, const hplugin *twin_ok, char **err)
{
	hplugin *h = xcalloc(1, sizeof *h);
	h->path = xstrdup(path);
	heed_limits lim = heed_limits_conf_for(p->conf, path);
	if (p->eng->load(path, &lim, &h->state, &h->info, err) != HEED_OK) {
		if (!*err)
			*err = xasprintf("plugin (%s): failed to load", path);
		free(h->path);
		free(h);
		return NULL;
	}
	p->eng->set_kv(h->state, &p->kv);
	const hplugin *twin = find(p, h->info.name);
	const char *bad_target = NULL;
	for (size_t i = 0; i < h->info.ntargets && !bad_target; i++)
		if (heed_stage_parse(h->info.targets[i]) < 0)
			bad_target = h->info.targets[i];
	if (bad_target)
		*err = xasprintf("plugin '%s' (%s:%d): criteria for '%s', which is not a stage (lead,"
		                 " prospect, opportunity, won, lost, disqualified)",
		                 h->info.name, path, h->info.line, bad_target);
	else if (h->info.api > HEED_PLUGIN_API)
		*err = xasprintf("plugin '%s' (%s:%d): api level %d is newer than this heed supports (%d)",
		                 h->info.name, path, h->info.line, h->info.api, HEED_PLUGIN_API);
	else if (twin && twin != twin_ok)
		*err = xasprintf("plugin '%s' (%s:%d): duplicate plugin name, already loaded from %s",
		                 h->info.name, path, h->info.line, twin->path);
	else if (h->info.has_selftest)
		p->eng->selftest(h->state, err);
	if (*err) {
		free_plugin(p->eng, h);
		return NULL;
	}
	return h;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const hplugin *const *)a)->info.name, (*(const hplugin *const *)b)->info.name);
}

static char *make_versions(const heed_plugins *p)
{
	const hplugin **order = xcalloc(p->n ? p->n : 1, sizeof *order);
	for (size_t i = 0; i < p->n; i++)
		order[i] = p->v[i];
	qsort(order, p->n, sizeof *order, by_name);
	heed_buf b = {0};
	heed_buf_adds(&b, "");
	for (size_t i = 0; i < p->n; i++)
		heed_buf_addf(&b, "%s%s@%s", i ? "," : "", order[i]->info.name, order[i]->info.version);
	free(order);
	return heed_buf_detach(&b);
}

/* Rebuild the active list, the error list and the versions from the files. */
static void rebuild(heed_plugins *p)
{
	p->n = p->nerrors = 0;
	p->v = xrealloc(p->v, (p->nfiles + 1) * sizeof *p->v);
	p->errors = xrealloc(p->errors, (p->nfiles + 2) * sizeof *p->errors);
	if (p->conf_error)
		p->errors[p->nerrors++] = p->conf_error;
	for (size_t i = 0; i < p->nfiles; i++) {
		if (p->files[i].h)
			p->v[p->n++] = p->files[i].h;
		if (p->files[i].error)
			p->errors[p->nerrors++] = p->files[i].error;
	}
	retire_text(p, p->versions);
	p->versions = make_versions(p);
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const hfile *)a)->name, ((const hfile *)b)->name);
}

/* The *.lua regular files of dir, sorted, with their signatures. OUT: *v, *n. */
static int scan_dir(const char *dir, hfile **v, size_t *n, char **err)
{
	DIR *d = opendir(dir);
	if (!d) {
		heed_seterr(err, "cannot read plugin directory %s: %s", dir, strerror(errno));
		return HEED_ERR;
	}
	*v = NULL;
	*n = 0;
	struct dirent *e;
	size_t dl = strlen(dir);
	const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".lua") != 0)
			continue;
		struct stat st;
		char *path = xasprintf("%s%s%s", dir, sep, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		(*v)[(*n)++] = (hfile){.name = xstrdup(e->d_name), .path = path, .sig = {
			(long long)st.st_dev, (long long)st.st_ino, (long long)st.st_size,
			(long long)st.st_mtim.tv_sec, (long long)st.st_mtim.tv_nsec}};
	}
	closedir(d);
	if (*n > 1)
		qsort(*v, *n, sizeof **v, file_cmp);
	return HEED_OK;
}

/* A signature of what every plugin shares: the modules in lib/ and limits.conf. */
static unsigned long long shared_sig(const char *dir)
{
	unsigned long long h = 14695981039346656037ull;
	hfile *v = NULL;
	size_t n = 0;
	char *lib = xasprintf("%s/lib", dir), *err = NULL;
	if (scan_dir(lib, &v, &n, &err) != HEED_OK)
		n = 0;
	free(err);
	free(lib);
	struct stat st;
	char *conf = xasprintf("%s/limits.conf", dir);
	long long c[3] = {0, 0, 0};
	if (stat(conf, &st) == 0)
		c[0] = (long long)st.st_size, c[1] = (long long)st.st_mtim.tv_sec, c[2] = (long long)st.st_mtim.tv_nsec;
	free(conf);
	for (size_t i = 0; i <= n; i++) {
		const unsigned char *b = i < n ? (const unsigned char *)v[i].sig : (const unsigned char *)c;
		size_t len = i < n ? sizeof v[i].sig : sizeof c;
		for (size_t k = 0; k < len; k++)
			h = (h ^ b[k]) * 1099511628211ull;
		if (i < n) {
			for (const char *q = v[i].name; *q; q++)
				h = (h ^ (unsigned char)*q) * 1099511628211ull;
			free(v[i].name);
			free(v[i].path);
		}
	}
	free(v);
	return h;
}

heed_plugins *heed_plugins_open(const char *dir, char **err)
{
	heed_plugins *p = xcalloc(1, sizeof *p);
	p->eng = &heed_lua_engine;
	p->dir = xstrdup(dir);
	if (scan_dir(dir, &p->files, &p->nfiles, err) != HEED_OK) {
		free(p->dir);
		free(p);
		return NULL;
	}
	p->conf = heed_limits_conf_read(dir, &p->conf_error);
	p->shared_sig = shared_sig(dir);
	for (size_t i = 0; i < p->nfiles; i++) {
		hfile *f = &p->files[i];
		f->h = load_checked(p, f->path, NULL, &f->error);
		f->loaded_at = time(NULL);
		rebuild(p); /* so the next file sees this one's name */
	}
	rebuild(p);
	drop_retired(p);
	return p;
}

void heed_plugins_close(heed_plugins *p)
{
	if (!p)
		return;
	drop_retired(p);
	for (size_t i = 0; i < p->nfiles; i++) {
		free_plugin(p->eng, p->files[i].h);
		free(p->files[i].name);
		free(p->files[i].path);
		free(p->files[i].error);
	}
	free(p->files);
	free(p->v);
	free(p->errors);
	free(p->versions);
	heed_limits_conf_free(p->conf);
	free(p->conf_error);
	free(p->dir);
	free(p);
}

/* ---- reload ---- */

static int file_matches(const hfile *f, const char *only)
{
	if (!only)
		return 1;
	if (f->h && strcmp(f->h->info.name, only) == 0)
		return 1;
	size_t n = strlen(only);
	return strncmp(f->name, only, n) == 0 && strcmp(f->name + n, ".lua") == 0;
}

/* One line more in a refresh report. */
static void report_line(heed_buf *b, const char *fmt, ...) HEED_PRINTF(2, 3);
static void report_line(heed_buf *b, const char *fmt, ...)
{
	if (b->len)
		heed_buf_adds(b, "\n");
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	heed_buf_adds(b, s);
	free(s);
}

static void retire_plugin(heed_plugins *p, hplugin *h)
{
	p->old = xrealloc(p->old, (p->nold + 1) * sizeof *p->old);
	p->old[p->nold++] = h;
}

/* File f is new or changed: load the new version in a fresh state and swap it
 * in when valid, else keep the old one and the error. 1 if the set changed. */
static int refresh_file(heed_plugins *p, hfile *f, heed_buf *rep)
{
	char *err = NULL;
	hplugin *h = load_checked(p, f->path, f->h, &err);
	retire_text(p, f->error);
	f->error = NULL;
	if (!h) {
		if (f->h)
			report_line(rep, "kept %s %s: %s", f->h->info.name, f->h->info.version, err);
		else
			report_line(rep, "not loaded %s: %s", f->path, err);
		f->error = err;
		return 0;
	}
	if (f->h) {
		report_line(rep, "reloaded %s %s → %s", h->info.name, f->h->info.version, h->info.version);
		retire_plugin(p, f->h);
	} else {
		report_line(rep, "loaded %s %s", h->info.name, h->info.version);
	}
	f->h = h;
	f->loaded_at = time(NULL);
	rebuild(p);
	return 1;
}

/* Merge the folder's files now[] into p->files (both sorted by name): removed
 * files of `only` unload, others are kept; OUT: todo[i] = 1 where files[i] is
 * new or changed. Takes over now[]'s strings. Returns the number unloaded. */
static int merge_files(heed_plugins *p, hfile *now, size_t nnow, const char *only, char **todo,
                       heed_buf *rep)
{
	hfile *merged = xcalloc(p->nfiles + nnow + 1, sizeof *merged);
	char *load = xcalloc(p->nfiles + nnow + 1, 1);
	size_t nm = 0, i = 0, k = 0;
	int unloaded = 0;
	while (i < p->nfiles || k < nnow) {
		int c = i == p->nfiles ? 1 : k == nnow ? -1 : strcmp(p->files[i].name, now[k].name);
		if (c < 0 && !file_matches(&p->files[i], only)) {
			merged[nm++] = p->files[i++]; /* gone, but left for a refresh of all */
		} else if (c < 0) {
			hfile *f = &p->files[i++];
			if (f->h) {
				report_line(rep, "unloaded %s %s (%s was removed)", f->h->info.name, f->h->info.version,
				            f->path);
				retire_plugin(p, f->h);
				unloaded++;
			}
			retire_text(p, f->error);
			free(f->name);
			free(f->path);
		} else if (c > 0) {
			load[nm] = (char)file_matches(&now[k], only);
			merged[nm] = now[k++];
			if (!load[nm])
				memset(merged[nm].sig, 0, sizeof merged[nm].sig); /* not looked at yet */
			nm++;
		} else {
			hfile *f = &merged[nm];
			*f = p->files[i++];
			load[nm] = memcmp(f->sig, now[k].sig, sizeof f->sig) != 0 && file_matches(f, only);
			if (load[nm++])
				memcpy(f->sig, now[k].sig, sizeof f->sig);
			free(now[k].name);
			free(now[k].path);
			k++;
		}
	}
	free(p->files);
	p->files = merged;
	p->nfiles = nm;
	*todo = load;
	return unloaded;
}

int heed_plugins_refresh(heed_plugins *p, const char *only, char **report)
{
	*report = NULL;
	drop_retired(p);
	hfile *now = NULL;
	size_t nnow = 0;
	if (scan_dir(p->dir, &now, &nnow, report) != HEED_OK)
		return 0;
	heed_limits_conf_free(p->conf);
	retire_text(p, p->conf_error);
	p->conf_error = NULL;
	p->conf = heed_limits_conf_read(p->dir, &p->conf_error);
	heed_buf rep = {0};
	char *todo = NULL;
	int changed = merge_files(p, now, nnow, only, &todo, &rep);
	free(now);
	unsigned long long sig = shared_sig(p->dir);
	if (sig != p->shared_sig && !only) { /* a module or a limit changed: every plugin reloads */
		for (size_t i = 0; i < p->nfiles; i++)
			todo[i] = 1;
		p->shared_sig = sig;
	}
	rebuild(p);
	for (size_t i = 0; i < p->nfiles; i++)
		if (todo[i])
			changed += refresh_file(p, &p->files[i], &rep);
	free(todo);
	rebuild(p);
	if (only && !changed) { /* a plugin whose file just went is "unloaded", a change */
		int known = 0;
		for (size_t i = 0; i < p->nfiles && !known; i++)
			known = file_matches(&p->files[i], only);
		if (!known) {
			report_line(&rep, "no plugin '%s' in %s", only, p->dir);
			changed = HEED_ENOTFOUND;
		}
	}
	if (rep.len)
		*report = heed_buf_detach(&rep);
	return changed;
}

int heed_plugins_lift(heed_plugins *p, const char *only, char **report)
{
	*report = NULL;
	if (!p->eng->suspended)
		return 0;
	heed_buf rep = {0};
	int changed = 0;
	for (size_t i = 0; i < p->nfiles; i++) {
		hfile *f = &p->files[i];
		if (f->h && file_matches(f, only) && p->eng->suspended(f->h->state))
			changed += refresh_file(p, f, &rep); /* a fresh state: no strikes */
	}
	if (rep.len)
		*report = heed_buf_detach(&rep);
	return changed;
}

void heed_plugins_set_kv(heed_plugins *p, const heed_kv *kv)
{
	p->kv = *kv; /* the plugins point at p->kv */
}

size_t heed_plugins_nfiles(const heed_plugins *p)
{
	return p->nfiles;
}

int heed_plugins_status(const heed_plugins *p, size_t i, heed_plugin_status *out)
{
	if (i >= p->nfiles)
		return HEED_ENOTFOUND;
	const hfile *f = &p->files[i];
	*out = (heed_plugin_status){.file = f->path, .error = f->error, .loaded_at = (long long)f->loaded_at};
	if (f->h) {
		out->name = f->h->info.name;
		out->version = f->h->info.version;
		out->api = f->h->info.api;
		out->status = f->error ? "kept" : "ok";
		const char *why = p->eng->suspended ? p->eng->suspended(f->h->state) : NULL;
		if (why) { /* a load error shows first: the kept version is the one suspended */
			out->status = "suspended";
			if (!out->error)
				out->error = why;
		}
		out->limits[0] = f->h->info.limits.instructions;
		out->limits[1] = f->h->info.limits.time_ms;
		out->limits[2] = f->h->info.limits.memory_mb;
	} else {
		out->name = f->name;
		out->status = f->error ? "failed" : "not loaded";
		out->loaded_at = 0;
	}
	return HEED_OK;
}

/* Why path cannot be read as a plugin file ("is a directory", "not a regular
 * file" for a FIFO, device or socket, else the stat error), or NULL when it is
 * a regular file. Only stats: never opens, so a FIFO cannot block. OUT: *st. */
static const char *not_regular(const char *path, struct stat *st)
{
	if (stat(path, st) != 0)
		return strerror(errno);
	if (S_ISDIR(st->st_mode))
		return "is a directory";
	return S_ISREG(st->st_mode) ? NULL : "not a regular file";
}

int heed_plugins_check(const char *file, FILE *out, char **err)
{
	struct stat st;
	const char *why = not_regular(file, &st);
	if (why) {
		heed_seterr(err, "cannot read plugin file %s: %s", file, why);
		return HEED_ENOTFOUND;
	}
	heed_plugins *p = xcalloc(1, sizeof *p);
	p->eng = &heed_lua_engine;
	const char *slash = strrchr(file, '/');
	p->dir = slash ? xstrndup(file, (size_t)(slash - file)) : xstrdup(".");
	p->conf = heed_limits_conf_read(p->dir, err);
	int rc = *err ? HEED_EINPUT : HEED_OK;
	hplugin *h = rc == HEED_OK ? load_checked(p, file, NULL, err) : NULL;
	if (!h) {
		rc = rc == HEED_OK ? HEED_EPLUGIN : rc;
	} else {
		int passed = 0, failed = 0;
		p->eng->test(h->state, out, &passed, &failed);
		fprintf(out, "%s %s %s (api %d): %s, %d test%s passed, %d failed\n", failed ? "FAIL" : "ok",
		        h->info.name, h->info.version, h->info.api, h->info.has_selftest ? "selftest passed" : "no selftest",
		        passed, passed == 1 ? "" : "s", failed);
		if (failed) {
			heed_seterr(err, "plugin '%s' (%s): %d of its tests failed", h->info.name, file, failed);
			rc = HEED_EPLUGIN;
		}
		free_plugin(p->eng, h);
	}
	heed_plugins_close(p);
	return rc;
}

size_t heed_plugins_count(const heed_plugins *p)
{
	return p->n;
}

const char *heed_plugins_name(const heed_plugins *p, size_t i)
{
	return i < p->n ? p->v[i]->info.name : NULL;
}

size_t heed_plugins_nerrors(const heed_plugins *p)
{
	return p->nerrors;
}

const char *heed_plugins_error(const heed_plugins *p, size_t i)
{
	return i < p->nerrors ? p->errors[i] : NULL;
}

const char *heed_plugins_versions(const heed_plugins *p)
{
	return p->versions;
}

static int has_target(const hplugin *h, const char *target);

char *heed_plugins_versions_for(const heed_plugins *p, const char *target)
{
	heed_buf b = {0};
	heed_buf_adds(&b, "");
	for (size_t i = 0; i < p->n; i++)
		if (has_target(p->v[i], target))
			heed_buf_addf(&b, "%s%s@%s", b.len ? "," : "", p->v[i]->info.name, p->v[i]->info.version);
	return heed_buf_detach(&b);
}

char *heed_plugins_score_versions(const heed_plugins *p)
{
	const hplugin **order = xcalloc(p->n ? p->n : 1, sizeof *order);
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i]->info.has_score)
			order[n++] = p->v[i];
	qsort(order, n, sizeof *order, by_name);
	heed_buf b = {0};
	heed_buf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		heed_buf_addf(&b, "%s%s@%s", i ? "," : "", order[i]->info.name, order[i]->info.version);
	free(order);
	return heed_buf_detach(&b);
}

int heed_plugins_test(heed_plugins *p, const char *only, FILE *out, int *passed, int *failed)
{
	*passed = *failed = 0;
	int ran = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (only && strcmp(only, p->v[i]->info.name) != 0)
			continue;
		ran = 1;
		p->eng->test(p->v[i]->state, out, passed, failed);
	}
	return ran || !only ? HEED_OK : HEED_ENOTFOUND;
}

/* ---- composition ---- */

static int has_target(const hplugin *h, const char *target)
{
	for (size_t i = 0; i < h->info.ntargets; i++)
		if (strcmp(h->info.targets[i], target) == 0)
			return 1;
	return 0;
}

int heed_plugins_has_criteria(const heed_plugins *p, const char *target)
{
	for (size_t i = 0; i < p->n; i++)
		if (has_target(p->v[i], target))
			return 1;
	return 0;
}

/* Count a failed call of h. */
static void count_fail(hplugin *h, const char *msg)
{
	if (h->nfail++ == 0)
		h->first_fail = xstrdup(msg);
}

char *heed_plugins_failures(heed_plugins *p)
{
	heed_buf b = {0};
	for (size_t i = 0; i < p->n; i++) {
		hplugin *h = p->v[i];
		if (!h->nfail)
			continue;
		heed_buf_addf(&b, "%splugin '%s' %s: %ld failed call%s; the first: %s", b.len ? "\n" : "",
		              h->info.name, h->info.version, h->nfail, h->nfail == 1 ? "" : "s", h->first_fail);
		h->nfail = 0;
		free(h->first_fail);
		h->first_fail = NULL;
	}
	return b.len ? heed_buf_detach(&b) : NULL;
}

/* Keep every plugin's error: messages are joined one per line. */
static void join_error(char **err, const char *msg)
{
	if (!err)
		return;
	char *joined = *err ? xasprintf("%s\n%s", *err, msg) : xstrdup(msg);
	free(*err);
	*err = joined;
}

int heed_plugins_criteria(heed_plugins *p, const heed_contact *c, const char *target, heed_checks *out,
                          char **err)
{
	int rc = HEED_OK;
	for (size_t i = 0; i < p->n; i++) {
		hplugin *h = p->v[i];
		if (!has_target(h, target))
			continue;
		char *perr = NULL;
		if (p->eng->criteria(h->state, c, target, out, &perr) != HEED_OK) {
			join_error(err, perr ? perr : "plugin failed");
			count_fail(h, perr ? perr : "plugin failed");
			rc = HEED_EPLUGIN;
		}
		free(perr);
	}
	return rc;
}

int heed_plugins_has_score(const heed_plugins *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i]->info.has_score)
			return 1;
	return 0;
}

/* Parts [from, out->n) of plugin h must have a name and finite points. */
/* 1 if the NUL-terminated s is UTF-8; plain ASCII (the usual case) in one pass. */
static int text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p && *p < 0x80)
		p++;
	return !*p || heed_utf8_valid((const char *)p, strlen((const char *)p), NULL);
}

static int check_parts(const hplugin *h, const heed_contact *c, const heed_parts *out, size_t from,
                       char **err)
{
	for (size_t k = from; k < out->n; k++) {
		const heed_part *t = &out->v[k];
		const char *why = heed_empty(t->name)                        ? "has no name"
		                  : !isfinite(t->points)                     ? "is not a finite number"
		                  : fabs(t->points) > 1e12                   ? "is out of range (more than 10^12)"
		                  : !text_ok(t->name)                        ? "has a name that is not UTF-8"
		                  : !text_ok(t->reason)                      ? "has a reason that is not UTF-8"
		                                                             : NULL;
		if (!why)
			continue;
		heed_buf b = {0};
		heed_buf_addf(&b, "plugin '%s' (%s:%d) in score: part %zu", h->info.name, h->path, h->info.score_line,
		              k - from + 1);
		if (!heed_empty(t->name) && heed_utf8_valid(t->name, strlen(t->name), NULL))
			heed_buf_addf(&b, " '%s' points %g", t->name, t->points);
		heed_buf_addf(&b, " %s (contact %lld", why, (long long)c->id);
		if (c->email)
			heed_buf_addf(&b, " <%s>", c->email);
		heed_buf_adds(&b, ")");
		*err = heed_buf_detach(&b);
		return HEED_EPLUGIN;
	}
	return HEED_OK;
}

int heed_plugins_score(heed_plugins *p, const heed_contact *c, heed_parts *out, char **err)
{
	int rc = HEED_OK;
	for (size_t i = 0; i < p->n; i++) {
		hplugin *h = p->v[i];
		if (!h->info.has_score)
			continue;
		size_t from = out->n;
		char *perr = NULL;
		if (p->eng->score(h->state, c, out, &perr) != HEED_OK ||
		    check_parts(h, c, out, from, &perr) != HEED_OK) {
			heed_parts_cut(out, from);
			join_error(err, perr ? perr : "plugin failed");
			count_fail(h, perr ? perr : "plugin failed");
			free(perr);
			rc = HEED_EPLUGIN;
			continue;
		}
		for (size_t k = from; k < out->n; k++)
			out->total += out->v[k].points;
	}
	return rc;
}

/* ---- maps ---- */

static const hplugin *find_map(const heed_plugins *p, const char *name, char **err)
{
	const hplugin *h = find(p, name);
	if (!h) {
		heed_buf b = {0};
		heed_buf_addf(&b, "no plugin named '%s' (loaded:", name);
		for (size_t i = 0; i < p->n; i++)
			heed_buf_addf(&b, " %s", p->v[i]->info.name);
		heed_buf_adds(&b, p->n ? ")" : " none)");
		heed_seterr(err, "%s", heed_buf_str(&b));
		heed_buf_free(&b);
		return NULL;
	}
	if (!h->info.has_map) {
		heed_seterr(err, "plugin '%s' (%s) has no map", name, h->path);
		return NULL;
	}
	return h;
}

const heed_mapspec *heed_plugins_mapspec(const heed_plugins *p, const char *name, char **err)
{
	const hplugin *h = find_map(p, name, err);
	return h ? &h->info.map : NULL;
}

int heed_plugins_map_row(heed_plugins *p, const char *name, const heed_row *row, heed_fieldset *out,
                         char **err)
{
	const hplugin *h = find_map(p, name, err);
	if (!h)
		return HEED_ENOTFOUND;
	return p->eng->map_row(h->state, row, out, err);
}

/* ---- follow-up policies ---- */

void heed_policies_free(heed_policy *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].name);
		free((char *)v[i].stage);
		free((char *)v[i].schedule);
		for (size_t k = 0; k < v[i].nevents; k++)
			free(v[i].events[k]);
		free(v[i].events);
	}
	free(v);
}

void heed_fu_specs_clear(heed_fu_specs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		heed_fu_spec *x = &s->v[i];
		free(x->action), free(x->key), free(x->due), free(x->tz);
		free(x->tmpl), free(x->title), free(x->payload);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

size_t heed_plugins_npolicies(const heed_plugins *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += p->v[i]->info.npolicies;
	return n;
}

/* The plugin holding policy i, and its index there. */
static hplugin *policy_owner(const heed_plugins *p, size_t i, size_t *local)
{
	for (size_t k = 0; k < p->n; k++) {
		if (i < p->v[k]->info.npolicies) {
			*local = i;
			return p->v[k];
		}
		i -= p->v[k]->info.npolicies;
	}
	return NULL;
}

const heed_policy *heed_plugins_policy(const heed_plugins *p, size_t i)
{
	size_t local;
	hplugin *h = policy_owner(p, i, &local);
	return h ? &h->info.policies[local] : NULL;
}

int heed_plugins_policy_run(heed_plugins *p, size_t i, const heed_contact *c, const heed_trigger *t,
                            heed_fu_specs *out, char **err)
{
	size_t local;
	hplugin *h = policy_owner(p, i, &local);
	if (!h) {
		heed_seterr(err, "no policy number %zu", i);
		return HEED_ENOTFOUND;
	}
	return p->eng->policy(h->state, local, c, t, out, err);
}

heed_plugins *heed_plugins_open_file(const char *path, char **err)
{
	struct stat st;
	const char *why = not_regular(path, &st);
	if (why) {
		heed_seterr(err, "cannot read %s: %s", path, why);
		return NULL;
	}
	const char *slash = strrchr(path, '/');
	heed_plugins *p = xcalloc(1, sizeof *p);
	p->eng = &heed_lua_engine;
	p->dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	p->files = xcalloc(1, sizeof *p->files);
	p->nfiles = 1;
	p->files[0] = (hfile){.name = xstrdup(slash ? slash + 1 : path), .path = xstrdup(path), .sig = {
		(long long)st.st_dev, (long long)st.st_ino, (long long)st.st_size,
		(long long)st.st_mtim.tv_sec, (long long)st.st_mtim.tv_nsec}};
	p->conf = heed_limits_conf_read(p->dir, &p->conf_error);
	p->files[0].h = load_checked(p, path, NULL, &p->files[0].error);
	p->files[0].loaded_at = time(NULL);
	rebuild(p);
	drop_retired(p);
	return p;
}

/* ---- email templates ---- */

int heed_plugins_render(heed_plugins *p, const char *name, const heed_contact *c, const char *payload,
                        heed_rendered *out, char **err)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < p->n; i++) {
		int rc = p->eng->render(p->v[i]->state, name, c, payload, out, err);
		if (rc == HEED_ENOTFOUND)
			continue;
		if (rc == HEED_OK)
			out->plugin = p->v[i]->info.name;
		return rc;
	}
	heed_seterr(err, "no plugin has an email template '%s' (plugins' `templates` tables; see"
	                 " plugins/README.md)", name);
	return HEED_ENOTFOUND;
}

void heed_rendered_clear(heed_rendered *r)
{
	free(r->subject);
	free(r->body);
	memset(r, 0, sizeof *r);
}
