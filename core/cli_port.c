/* cli_port: the commands that move contacts out of and within the store:
 * export, dupes and merge (see cli.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "export.h"
#include "util.h"

int cmd_export(heed_cli *cli, const cli_args *a)
{
	heed_export_opts o = { .jsonl = cli->fmt == HEED_FMT_JSON, .min_score = NAN };
	const char *v;
	o.stage = cli_opt(a, "--stage");
	if ((v = cli_opt(a, "--min-score"))) {
		char *end;
		o.min_score = strtod(v, &end);
		if (!*v || *end || !isfinite(o.min_score))
			return cli_fail(EXIT_USAGE, xasprintf("export: --min-score '%s' is not a number", v));
	}
	const char **where = xcalloc((size_t)a->nopt + 1, sizeof *where);
	for (int i = 0; i < a->nopt; i++)
		if (strcmp(a->optname[i], "--where") == 0)
			where[o.nwhere++] = a->optval[i];
	o.where = where;
	char *err = NULL;
	int exit = EXIT_OK;
	FILE *out = stdout;
	const char *path = cli_opt(a, "--out");
	if (heed_export_check(&o, &err) != HEED_OK) {
		exit = cli_fail(EXIT_USAGE, err);
		goto done;
	}
	if (!cli_store(cli)) {
		exit = EXIT_ERROR;
		goto done;
	}
	if (path && !(out = fopen(path, "wb"))) {
		exit = cli_fail(EXIT_ERROR, xasprintf("export: cannot write %s", path));
		out = stdout;
		goto done;
	}
	long n = 0;
	int rc = heed_export_run(cli->store, &o, out, &n, &err);
	if (rc != HEED_OK)
		exit = cli_fail(cli_exit(rc), err);
	else if (path)
		printf("exported %ld contact%s to %s\n", n, n == 1 ? "" : "s", path);
done:
	if (out != stdout && fclose(out) != 0 && exit == EXIT_OK)
		exit = cli_fail(EXIT_ERROR, xasprintf("export: writing %s failed", path));
	free(where);
	return exit;
}
