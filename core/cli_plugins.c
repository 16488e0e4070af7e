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
		heed_table_str(t, st.error);
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
	heed_plugins_refresh(cli->plugins, only, &rep); /* picks up edits made while loading */
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
