/* cli_port: the commands that move contacts out of and within the store:
 * export, dupes and merge (see cli.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "dupes.h"
#include "export.h"
#include "json.h"
#include "merge.h"
#include "outfile.h"
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
	heed_outfile *of = NULL;
	const char *path = cli_opt(a, "--out");
	if (heed_export_check(&o, &err) != HEED_OK) {
		exit = cli_fail(EXIT_USAGE, err);
		goto done;
	}
	if (!cli_store(cli)) {
		exit = EXIT_ERROR;
		goto done;
	}
	int rc = path ? heed_outfile_open(&of, path, cli->db_path, NULL, &err) : HEED_OK;
	if (rc != HEED_OK) {
		exit = cli_fail(cli_exit(rc), xasprintf("export: --out: %s", err));
		free(err);
		goto done;
	}
	if (of)
		out = heed_outfile_fp(of);
	long n = 0;
	rc = heed_export_run(cli->store, &o, out, &n, &err);
	if (rc == HEED_OK && of) {
		rc = heed_outfile_commit(of, &err); /* the old file stays unless the export is whole */
		of = NULL;
	}
	if (rc != HEED_OK)
		exit = cli_fail(cli_exit(rc), err);
	else if (path)
		printf("exported %ld contact%s to %s\n", n, n == 1 ? "" : "s", path);
done:
	heed_outfile_abort(of);
	free(where);
	return exit;
}

int cmd_dupes(heed_cli *cli, const cli_args *a)
{
	(void)a;
	if (!cli_store(cli))
		return EXIT_ERROR;
	heed_dupe *d;
	size_t n;
	char *err = NULL;
	if (heed_dupes_find(cli->store, &d, &n, &err) != HEED_OK)
		return cli_fail(EXIT_ERROR, err);
	heed_buf b = { 0 };
	if (cli->fmt == HEED_FMT_JSON)
		heed_buf_addc(&b, '[');
	else if (cli->fmt == HEED_FMT_CSV)
		heed_buf_adds(&b, "why,key,contacts\n");
	for (size_t i = 0; i < n; i++) {
		if (cli->fmt == HEED_FMT_JSON) {
			heed_buf_addf(&b, "%s{\"why\":\"%s\",\"key\":", i ? "," : "", d[i].why);
			heed_json_str(&b, d[i].key);
			heed_buf_adds(&b, ",\"contacts\":[");
		} else if (cli->fmt == HEED_FMT_CSV) {
			heed_buf_addf(&b, "%s,", d[i].why);
			heed_buf_addc(&b, '"');
			for (const char *p = d[i].key; *p; p++)
				heed_buf_add(&b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
			heed_buf_adds(&b, "\",");
		} else {
			heed_buf_addf(&b, "%-8s  %s  contacts ", d[i].why, d[i].key);
		}
		for (size_t k = 0; k < d[i].nids; k++)
			heed_buf_addf(&b, "%s%lld", k ? (cli->fmt == HEED_FMT_JSON ? "," : " ") : "",
			              (long long)d[i].ids[k]);
		heed_buf_adds(&b, cli->fmt == HEED_FMT_JSON ? "]}" : "\n");
	}
	if (cli->fmt == HEED_FMT_JSON)
		heed_buf_adds(&b, "]\n");
	else if (cli->fmt == HEED_FMT_TABLE)
		heed_buf_addf(&b, "%zu group%s of likely duplicates%s\n", n, n == 1 ? "" : "s",
		              n ? "; merge with: heed merge KEEP OTHER" : "");
	fputs(heed_buf_str(&b), stdout);
	heed_buf_free(&b);
	heed_dupes_free(d, n);
	return EXIT_OK;
}

int cmd_merge(heed_cli *cli, const cli_args *a)
{
	int64_t keep, drop;
	if (!cli_store(cli))
		return EXIT_ERROR;
	int exit = cli_contact(cli, a->pos[0], &keep);
	if (exit == EXIT_OK)
		exit = cli_contact(cli, a->pos[1], &drop);
	if (exit != EXIT_OK)
		return exit;
	heed_merge_result r;
	char *err = NULL;
	int rc = heed_merge_run(cli->store, keep, drop, &r, &err);
	if (rc != HEED_OK)
		return cli_fail(cli_exit(rc), err);
	printf("merged contact %lld into %lld: %ld activit%s moved, %d field%s filled, stage %s",
	       (long long)drop, (long long)keep, r.activities, r.activities == 1 ? "y" : "ies", r.fields,
	       r.fields == 1 ? "" : "s", r.from);
	if (strcmp(r.from, r.to) != 0)
		printf(" → %s", r.to);
	printf("\n");
	/* the moved activities count towards the kept contact's score now */
	exit = cli_rescore(cli, keep);
	if (exit != EXIT_OK) {
		char *m = xasprintf("merge: contact %lld was merged; rescore it with: heed score %lld",
		                    (long long)keep, (long long)keep);
		cli_print_error(m);
		free(m);
	}
	return exit;
}
