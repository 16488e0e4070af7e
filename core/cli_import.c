/* cli_import: `heed import` (see cli.h): options, the plan and reject
 * writers, and the summary. The import itself is import.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "cli_int.h"
#include "csv.h"
#include "import.h"
#include "outfile.h"
#include "plan.h"
#include "util.h"

static const char *plural(long n)
{
	return n == 1 ? "" : "s";
}

/* The summary goes to out: stdout, or stderr when stdout carries the plan. */
static void print_import(FILE *out, const heed_import_opts *o, const heed_import_report *r, int plan)
{
	for (size_t i = 0; i < r->nmsgs; i++)
		fprintf(stderr, "heed: %s\n", r->msgs[i]);
	long listed = (long)r->nmsgs, total = r->bad + r->warnings;
	if (total > listed)
		fprintf(stderr, "heed: … and %ld more messages\n", total - listed);
	char *merged = r->merged ? xasprintf(", %ld merged with an earlier row of the file", r->merged)
	                         : xstrdup("");
	long matched = r->updated + r->unchanged + r->matched_skipped;
	char *mskip = r->matched_skipped ? xasprintf(", %ld skipped", r->matched_skipped) : xstrdup("");
	/* a rolled-back import stored nothing: its counts are what it would have done */
	int rolled = !plan && !o->dry_run && !r->committed;
	char *created = rolled ? xasprintf("would have created %ld", r->created)
	                       : xasprintf("%ld created", r->created);
	fprintf(out, "%s %s with map %s: %ld row%s, %s, %ld matched existing contact%s (%ld updated,"
	        " %ld unchanged%s)%s, %ld stage move%s, %ld skipped, %ld bad%s, %ld warning%s%s\n",
	        plan ? "plan for" : o->dry_run ? "dry run of" : (r->committed ? "imported" : "rolled back the import of"),
	        o->file, o->map ? o->map : "columns", r->rows, plural(r->rows), created, matched, plural(matched), r->updated, r->unchanged, mskip, merged, r->moved,
	        plural(r->moved), r->skipped, r->bad, r->bad && r->committed ? " (left out)" : "",
	        r->warnings, plural(r->warnings), rolled ? "; nothing was imported" : "");
	free(mskip);
	free(created);
	free(merged);
	if (r->update_only && r->rows && r->skipped == r->rows && r->created + r->updated + r->unchanged == 0)
		fprintf(out, "no row matched a contact: this map only updates contacts that exist, so import"
		        " those first\n");
	if (r->no_key) {
		fprintf(out, "%ld %s neither email nor external id (line%s", r->no_key,
		        r->no_key == 1 ? "row has" : "rows have", plural(r->no_key));
		for (long i = 0; i < r->no_key && i < 8; i++)
			fprintf(out, "%s%ld", i ? ", " : " ", r->no_key_lines[i]);
		fprintf(out, "%s): %s a new contact and cannot be matched on re-import\n",
		        r->no_key > 8 ? ", …" : "", r->no_key == 1 ? "it became" : "each became");
	}
	if (plan)
		fprintf(out, "nothing was changed: this was a plan\n");
}

/* Parse the options that need no store. Returns EXIT_OK or prints and returns EXIT_USAGE. */
static int parse_opts(const cli_args *a, heed_import_opts *o)
{
	const char *d = cli_opt(a, "--delimiter"), *enc = cli_opt(a, "--encoding");
	const char *m = cli_opt(a, "--on-match");
	if (d) {
		if (strcmp(d, "tab") == 0 || strcmp(d, "\\t") == 0)
			o->delim = '\t';
		else if (strlen(d) == 1 && d[0] != '"' && d[0] != '\n' && d[0] != '\r')
			o->delim = d[0];
		else
			return cli_fail(EXIT_USAGE, xasprintf("import: --delimiter takes one character or 'tab'"));
	}
	if (enc && heed_csv_encoding_parse(enc, &o->encoding) != HEED_OK)
		return cli_fail(EXIT_USAGE, xasprintf("import: unknown encoding '%s' (utf-8, cp1252 or"
		                                      " windows-1252, latin-1, utf-16)", enc));
	const char *suf = cli_opt(a, "--org-suffixes");
	if (suf && strcmp(suf, "keep") != 0 && strcmp(suf, "ignore") != 0)
		return cli_fail(EXIT_USAGE, xasprintf("import: --org-suffixes '%s': use ignore (the default:"
		                                      " Acme GmbH = Acme) or keep", suf));
	o->keep_suffixes = suf && strcmp(suf, "keep") == 0;
	if (m) {
		if (strcmp(m, "update") == 0)
			o->on_match = HEED_MATCH_UPDATE;
		else if (strcmp(m, "skip") == 0)
			o->on_match = HEED_MATCH_SKIP;
		else if (strcmp(m, "fail") == 0)
			o->on_match = HEED_MATCH_FAIL;
		else
			return cli_fail(EXIT_USAGE, xasprintf("import: --on-match '%s': use update, skip or fail", m));
	}
	return EXIT_OK;
}

/* Split "a,b,c" (--keep) into o->keep. OUT: *buf and the array, caller frees both. */
static int split_keep(const char *list, heed_import_opts *o, char **buf, const char ***arr)
{
	*buf = xstrdup(list ? list : "");
	*arr = xcalloc(strlen(*buf) / 2 + 2, sizeof **arr);
	for (char *tok = strtok(*buf, ","); tok; tok = strtok(NULL, ",")) {
		tok = heed_trim(tok);
		if (!*tok)
			continue;
		if (!heed_import_field(tok))
			return cli_fail(EXIT_USAGE, xasprintf("import: --keep '%s' is not a field (email,"
			                                      " first_name, title, phone, org.name, ...)", tok));
		(*arr)[o->nkeep++] = tok;
	}
	o->keep = *arr;
	return EXIT_OK;
}

/* Open the plan (--out) and reject files through heed_outfile: neither may be
 * the store, the CSV read or the other one. OUT: *out_f, *rej_f (NULL when not
 * asked for). Returns an exit status, printing the error. */
static int open_outputs(heed_cli *cli, const heed_import_opts *o, const char *out_path,
                        const char *rej_path, heed_outfile **out_f, heed_outfile **rej_f)
{
	const char *uses[] = { o->file, rej_path, NULL };
	char *err = NULL;
	int rc = out_path ? heed_outfile_open(out_f, out_path, cli->db_path, uses, &err) : HEED_OK;
	uses[1] = out_path;
	if (rc == HEED_OK && rej_path)
		rc = heed_outfile_open(rej_f, rej_path, cli->db_path, uses, &err);
	if (rc == HEED_OK)
		return EXIT_OK;
	const char *opt = *out_f || !out_path ? "--reject" : "--out";
	int exit = cli_fail(cli_exit(rc), xasprintf("import: %s: %s", opt, err));
	free(err);
	return exit;
}

/* Put the plan and reject files in place. Returns rc, or the first failure
 * (HEED_ERR with *err, replacing a message rc carried). */
static int commit_outputs(heed_outfile **out_f, heed_outfile **rej_f, int rc, char **err)
{
	char *werr = NULL;
	int w = HEED_OK;
	if (*out_f)
		w = heed_outfile_commit(*out_f, &werr);
	*out_f = NULL;
	if (*rej_f && w == HEED_OK)
		w = heed_outfile_commit(*rej_f, &werr);
	else
		heed_outfile_abort(*rej_f);
	*rej_f = NULL;
	if (w == HEED_OK)
		return rc;
	free(*err);
	*err = werr;
	return w;
}

int cmd_import(heed_cli *cli, const cli_args *a)
{
	heed_import_opts o = { .file = a->pos[0], .map = cli_opt(a, "--map") };
	int planning = cli_opt(a, "--plan") != NULL;
	o.dry_run = planning || cli_opt(a, "--dry-run") != NULL;
	o.skip_bad = cli_opt(a, "--skip-bad") != NULL;
	const char *out_path = cli_opt(a, "--out"), *rej_path = cli_opt(a, "--reject");
	const char **cols = xcalloc((size_t)a->nopt + 1, sizeof *cols), **keep = NULL;
	char *keepbuf = NULL, *err = NULL;
	FILE *out = NULL, *rej = NULL;
	heed_outfile *out_f = NULL, *rej_f = NULL;
	heed_plan *plan = NULL;
	int exit = parse_opts(a, &o);
	if (exit == EXIT_OK)
		exit = split_keep(cli_opt(a, "--keep"), &o, &keepbuf, &keep);
	if (exit == EXIT_OK && o.map && cli_opt(a, "--col"))
		exit = cli_fail(EXIT_USAGE, xasprintf("import: --col maps columns without a plugin; drop --map"
		                                      " or --col"));
	if (exit == EXIT_OK && out_path && !planning)
		exit = cli_fail(EXIT_USAGE, xasprintf("import: --out is where --plan writes the plan"));
	if (exit != EXIT_OK)
		goto done;
	for (int i = 0; i < a->nopt; i++)
		if (strcmp(a->optname[i], "--col") == 0)
			cols[o.ncols++] = a->optval[i];
	o.cols = cols;
	if (o.file && strcmp(o.file, "-") != 0 && access(o.file, R_OK) != 0) { /* before a store is made */
		exit = cli_fail(EXIT_ERROR, xasprintf("%s: cannot open: %s", o.file, strerror(errno)));
		goto done;
	}
	if (!cli_store(cli) || !cli_plugins(cli)) {
		exit = EXIT_ERROR;
		goto done;
	}
	if ((exit = open_outputs(cli, &o, planning ? out_path : NULL, rej_path, &out_f, &rej_f)) != EXIT_OK)
		goto done;
	out = out_f ? heed_outfile_fp(out_f) : planning ? stdout : NULL;
	rej = rej_f ? heed_outfile_fp(rej_f) : NULL;
	if (planning || rej) {
		plan = heed_plan_new(out, cli->fmt == HEED_FMT_JSON, rej);
		o.on_row = heed_plan_row;
		o.on_row_ud = plan;
	}
	heed_import_report rep;
	int rc = heed_import_run(cli->store, cli->plugins, &o, &rep, &err);
	if (!rep.committed) /* plan, dry run or rollback: the maps' heed.kv writes go too */
		cli_kv_discard(cli);
	if (plan && heed_plan_finish(plan, rc == HEED_OK ? &err : NULL) != HEED_OK && rc == HEED_OK)
		rc = HEED_ERR;
	plan = NULL;
	if (rc == HEED_OK || rc == HEED_EINPUT) /* the plan and rejects are whole: keep them */
		rc = commit_outputs(&out_f, &rej_f, rc, &err);
	if (rep.rows || rc == HEED_OK || rc == HEED_EINPUT)
		print_import(planning && !out_path ? stderr : stdout, &o, &rep, planning);
	heed_import_report_clear(&rep);
	if (rc != HEED_OK)
		exit = cli_fail(cli_exit(rc), err); /* bad rows fail, unless --skip-bad skips them */
	else
		free(err);
done:
	if (plan)
		heed_plan_finish(plan, NULL);
	heed_outfile_abort(out_f);
	heed_outfile_abort(rej_f);
	free(cols);
	free(keep);
	free(keepbuf);
	return exit;
}
