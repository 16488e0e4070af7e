/* plan: the per-row plan and reject writers (see plan.h). */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

static const char *const actions[] = { "create", "update", "merge", "skip", "error" };
enum { NACTIONS = sizeof actions / sizeof actions[0] };

struct heed_plan {
	FILE *out, *rejects;
	int json;
	long rows;
	long count[NACTIONS];
	heed_buf b;
};

static void csv_text(heed_buf *b, const char *v)
{
	if (!strpbrk(v, ",\"\r\n")) {
		heed_buf_adds(b, v);
		return;
	}
	heed_buf_addc(b, '"');
	for (; *v; v++) {
		if (*v == '"')
			heed_buf_addc(b, '"');
		heed_buf_addc(b, *v);
	}
	heed_buf_addc(b, '"');
}

heed_plan *heed_plan_new(FILE *out, int json, FILE *rejects)
{
	heed_plan *p = xcalloc(1, sizeof *p);
	p->out = out;
	p->json = json;
	p->rejects = rejects;
	if (out)
		fputs(json ? "[" : "line,action,contact,reason\n", out);
	if (rejects)
		fputs("line,reason\n", rejects);
	return p;
}

void heed_plan_row(void *ud, long line, const char *action, int64_t id, const char *reason)
{
	heed_plan *p = ud;
	for (int i = 0; i < NACTIONS; i++)
		if (strcmp(action, actions[i]) == 0)
			p->count[i]++;
	heed_buf *b = &p->b;
	if (p->out) {
		heed_buf_reset(b);
		if (p->json) {
			heed_buf_addf(b, "%s\n{\"line\":%ld,\"action\":\"%s\",\"contact\":", p->rows ? "," : "",
			              line, action);
			if (id)
				heed_json_int(b, id);
			else
				heed_buf_adds(b, "null");
			heed_buf_adds(b, ",\"reason\":");
			heed_json_str(b, reason);
			heed_buf_addc(b, '}');
		} else {
			heed_buf_addf(b, "%ld,%s,", line, action);
			if (id)
				heed_buf_addf(b, "%lld", (long long)id);
			heed_buf_addc(b, ',');
			csv_text(b, reason);
			heed_buf_addc(b, '\n');
		}
		fwrite(b->s, 1, b->len, p->out);
	}
	if (p->rejects && strcmp(action, "error") == 0) {
		heed_buf_reset(b);
		heed_buf_addf(b, "%ld,", line);
		csv_text(b, reason);
		heed_buf_addc(b, '\n');
		fwrite(b->s, 1, b->len, p->rejects);
	}
	p->rows++;
}

long heed_plan_count(const heed_plan *p, const char *action)
{
	for (int i = 0; i < NACTIONS; i++)
		if (strcmp(action, actions[i]) == 0)
			return p->count[i];
	return 0;
}

int heed_plan_finish(heed_plan *p, char **err)
{
	int rc = HEED_OK;
	if (p->out && p->json)
		fputs("\n]\n", p->out);
	if ((p->out && (fflush(p->out) != 0 || ferror(p->out))) ||
	    (p->rejects && (fflush(p->rejects) != 0 || ferror(p->rejects)))) {
		heed_seterr(err, "writing the plan or reject file failed");
		rc = HEED_ERR;
	}
	heed_buf_free(&p->b);
	free(p);
	return rc;
}
