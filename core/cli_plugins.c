/* cli_plugins: the `plugins` command: list the plugin folder (name, version,
 * api, file, load time, status, last error), reload it, or check one plugin
 * file without touching any store (a git pre-commit check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "htime.h"
#include "plugin.h"
#include "report.h"
#include "util.h"

/* ---- heed.kv ----
 * Plugins run inside the command's write transaction (score CONTACT), or on
 * another thread than the store's writer (score --all), so their writes wait
 * in memory, newest value per key, and are written in one transaction when
 * the command ends (cli_kv_flush). Reads see the pending writes first, then a
 * second connection, opened when first needed. They belong to the command's
 * store work: a command whose work does not commit (a plan, a dry run, a
 * rolled-back import) drops them (cli_kv_discard). */

struct kv_pending {
	char *plugin, *key, *value; /* value NULL = delete */
};

struct cli_kv {
	heed_cli *cli;
	heed_store *db;          /* the second connection */
	struct kv_pending *slot; /* open addressing; size a power of two */
	size_t n, cap;
};

static size_t kv_hash(const char *plugin, const char *key)
{
	size_t h = 5381;
	for (const char *s = plugin; *s; s++)
		h = h * 33 + (unsigned char)*s;
	h = h * 33 + 0xff;
	for (const char *s = key; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The slot of (plugin, key): its entry, or the empty slot where it would go. */
static struct kv_pending *kv_slot(struct cli_kv *kv, const char *plugin, const char *key)
{
	size_t i = kv_hash(plugin, key) & (kv->cap - 1);
	while (kv->slot[i].plugin && (strcmp(kv->slot[i].plugin, plugin) || strcmp(kv->slot[i].key, key)))
		i = (i + 1) & (kv->cap - 1);
	return &kv->slot[i];
}

static void kv_grow(struct cli_kv *kv)
{
	struct kv_pending *old = kv->slot;
	size_t oldcap = kv->cap;
	kv->cap = oldcap ? oldcap * 2 : 64;
	kv->slot = xcalloc(kv->cap, sizeof *kv->slot);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].plugin)
			*kv_slot(kv, old[i].plugin, old[i].key) = old[i];
	free(old);
}

static int kv_get(void *ctx, const char *plugin, const char *key, char **value, char **err)
{
	struct cli_kv *kv = ctx;
	*value = NULL;
	if (kv->n) {
		struct kv_pending *e = kv_slot(kv, plugin, key);
		if (e->plugin) {
			*value = xstrdup(e->value);
			return HEED_OK;
		}
	}
	if (!kv->db && heed_store_open(kv->cli->db_path, &kv->db, err) != HEED_OK) {
		kv->db = NULL;
		return HEED_ERR;
	}
	return heed_store_kv_get(kv->db, plugin, key, value, err);
}

static int kv_set(void *ctx, const char *plugin, const char *key, const char *value, char **err)
{
	(void)err;
	struct cli_kv *kv = ctx;
	if ((kv->n + 1) * 2 > kv->cap)
		kv_grow(kv);
	struct kv_pending *e = kv_slot(kv, plugin, key);
	if (!e->plugin) {
		e->plugin = xstrdup(plugin);
		e->key = xstrdup(key);
		kv->n++;
	} else {
		free(e->value);
	}
	e->value = xstrdup(value);
	return HEED_OK;
}

void cli_wire_kv(heed_cli *cli)
{
	if (cli->store && cli->plugins && !cli->kv) {
		cli->kv = xcalloc(1, sizeof *cli->kv);
		cli->kv->cli = cli;
		heed_kv ops = {.ctx = cli->kv, .get = kv_get, .set = kv_set};
		heed_plugins_set_kv(cli->plugins, &ops);
	}
}

/* Free the pending writes; the table is empty (and unallocated) after. */
static void kv_clear(struct cli_kv *kv)
{
	for (size_t i = 0; i < kv->cap; i++) {
		free(kv->slot[i].plugin);
		free(kv->slot[i].key);
		free(kv->slot[i].value);
	}
	free(kv->slot);
	kv->slot = NULL;
	kv->n = kv->cap = 0;
}

void cli_kv_discard(heed_cli *cli)
{
	if (cli->kv)
		kv_clear(cli->kv);
}

int cli_kv_flush(heed_cli *cli)
{
	struct cli_kv *kv = cli->kv;
	if (!kv)
		return EXIT_OK;
	char *err = NULL;
	int rc = HEED_OK;
	if (kv->n) {
		rc = heed_store_begin(cli->store, &err);
		for (size_t i = 0; i < kv->cap && rc == HEED_OK; i++)
			if (kv->slot[i].plugin)
				rc = heed_store_kv_set(cli->store, kv->slot[i].plugin, kv->slot[i].key, kv->slot[i].value, &err);
		if (rc == HEED_OK)
			rc = heed_store_commit(cli->store, &err);
		else
			heed_store_rollback(cli->store);
	}
	kv_clear(kv);
	heed_store_close(kv->db);
	free(kv);
	cli->kv = NULL;
	return rc == HEED_OK ? EXIT_OK : cli_fail(EXIT_ERROR, xasprintf("plugins' key-value writes: %s", err ? err : "failed"));
}

static int plugins_list(heed_cli *cli)
{
	static const char *const cols[] = {"name", "version", "api", "file", "loaded", "status", "error"};
	heed_plugins *p = cli->plugins;
	heed_table *t = heed_table_new(cols, sizeof cols / sizeof cols[0]);
	int bad = 0;
	for (size_t i = 0; i < heed_plugins_nfiles(p); i++) {
		heed_plugin_status st;
		heed_plugins_status(p, i, &st);
		heed_table_str(t, st.name);
		heed_table_str(t, st.version);
		if (st.version)
			heed_table_int(t, st.api);
		else
			heed_table_str(t, NULL);
		heed_table_str(t, st.file);
		heed_table_time(t, (heed_time)st.loaded_at);
		heed_table_str(t, st.status);
		if (st.error && st.version && strcmp(st.status, "kept") == 0) {
			/* the changed file failed; the version loaded before still runs */
			char *e = xasprintf("%s %s is kept and active; the new file failed: %s", st.name, st.version,
			                    st.error);
			heed_table_str(t, e);
			free(e);
		} else {
			heed_table_str(t, st.error);
		}
		bad |= st.error != NULL;
	}
	heed_table_print(t, cli->fmt, stdout);
	heed_table_free(t);
	return bad ? EXIT_ERROR : EXIT_OK;
}

/* In this one-shot process the folder was just loaded: a reload reports each
 * plugin's state, and a long-running heed does the same through
 * heed_plugins_refresh. Exit 1 when the named (or any) plugin failed. */
static int plugins_reload(heed_cli *cli, const char *only)
{
	char *rep = NULL;
	/* picks up edits made while loading; HEED_ENOTFOUND: only names no plugin */
	if (heed_plugins_refresh(cli->plugins, only, &rep) == HEED_ENOTFOUND) {
		cli->failed = 0; /* the other plugins' load errors were shown, but do not decide */
		char *msg = xasprintf("plugins reload: %s", rep ? rep : "no such plugin");
		free(rep);
		return cli_fail(EXIT_ERROR, msg);
	}
	if (rep)
		printf("%s\n", rep);
	free(rep);
	int found = 0, bad = 0;
	for (size_t i = 0; i < heed_plugins_nfiles(cli->plugins); i++) {
		heed_plugin_status st;
		heed_plugins_status(cli->plugins, i, &st);
		const char *base = strrchr(st.file, '/');
		base = base ? base + 1 : st.file;
		size_t n = only ? strlen(only) : 0;
		if (only && strcmp(st.name, only) != 0 && !(strncmp(base, only, n) == 0 && strcmp(base + n, ".lua") == 0))
			continue;
		found = 1;
		if (st.version)
			printf("loaded %s %s (%s)\n", st.name, st.version, st.file);
		bad |= st.error != NULL;
	}
	if (only)
		cli->failed = 0; /* the other plugins' load errors were shown, but do not decide */
	if (only && !found)
		return cli_fail(EXIT_ERROR, xasprintf("plugins reload: no plugin '%s' in %s", only, cli->plugins_dir));
	return bad ? EXIT_ERROR : EXIT_OK;
}

int cmd_plugins(heed_cli *cli, const cli_args *a)
{
	const char *sub = a->npos ? a->pos[0] : "list";
	if (strcmp(sub, "check") == 0) {
		if (a->npos != 2)
			return cli_fail(EXIT_USAGE, xasprintf("plugins check: give one FILE\nusage: heed plugins check FILE"));
		char *err = NULL;
		if (heed_plugins_check(a->pos[1], stdout, &err) != HEED_OK)
			return cli_fail(EXIT_ERROR, err);
		return EXIT_OK;
	}
	int reload = strcmp(sub, "reload") == 0;
	if (!reload && strcmp(sub, "list") != 0)
		return cli_fail(EXIT_USAGE, xasprintf("plugins: unknown subcommand '%s' (list, reload, check)", sub));
	if (a->npos > (reload ? 2 : 1))
		return cli_fail(EXIT_USAGE, xasprintf("plugins %s: too many arguments", sub));
	if (!cli_plugins(cli))
		return EXIT_ERROR;
	return reload ? plugins_reload(cli, a->npos == 2 ? a->pos[1] : NULL) : plugins_list(cli);
}
