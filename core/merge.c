/* merge: `heed merge A B` (see merge.h). */
#include "merge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "json.h"
#include "stage.h"
#include "util.h"

/* How far along a stage is: funnel rank, a closed stage ahead of an open one
 * of the same rank (lost is past opportunity), disqualified last. */
static int advance_key(const char *stage)
{
	int st = heed_stage_parse(stage);
	return heed_stage_rank(st) * 2 + !heed_stage_open(st);
}

/* The fields of the kept contact that the merge may only fill, never overwrite. */
static const char *const fill_only[] = {
	"email", "source", "external_id", "first_name", "last_name", "title", "phone", "owner", "org.name",
};

/* Record the merge in the kept contact's timeline. */
static int note_merge(heed_store *s, const heed_contact *k, const heed_contact *d, heed_time at,
                      char **err)
{
	heed_buf b = { 0 };
	heed_buf_addf(&b, "{\"merged\":%lld,\"email\":", (long long)d->id);
	heed_json_str(&b, d->email);
	heed_buf_adds(&b, ",\"stage\":");
	heed_json_str(&b, d->stage);
	heed_buf_addf(&b, ",\"kept\":%lld,\"kept_stage\":", (long long)k->id);
	heed_json_str(&b, k->stage);
	heed_buf_addf(&b, ",\"activities\":%zu}", d->nacts);
	int rc = heed_store_add_activity(s, k->id, "merged", at, b.s, err);
	heed_buf_free(&b);
	return rc;
}

/* Move keep to the stage of drop when that one is further along. */
static int take_stage(heed_store *s, const heed_contact *k, const heed_contact *d, heed_time at,
                      heed_merge_result *res, char **err)
{
	snprintf(res->from, sizeof res->from, "%s", k->stage);
	snprintf(res->to, sizeof res->to, "%s", k->stage);
	if (advance_key(d->stage) <= advance_key(k->stage))
		return HEED_OK;
	int to = heed_stage_parse(d->stage);
	char *reason = xasprintf("merged contact %lld, which was in %s", (long long)d->id, d->stage);
	heed_move m = { .id = k->id, .from = k->stage, .to = d->stage, .at = at, .actor = "merge",
		            .reason = reason, .plugins = "", .forced = 1, .peak = heed_stage_rank(to),
		            .stage_prob = heed_stage_prob(to) };
	int rc = heed_store_move(s, &m, err);
	free(reason);
	if (rc == HEED_OK)
		snprintf(res->to, sizeof res->to, "%s", d->stage);
	return rc;
}

int heed_merge_run(heed_store *s, int64_t keep, int64_t drop, heed_merge_result *res, char **err)
{
	heed_contact k, d;
	heed_contact_init(&k);
	heed_contact_init(&d);
	heed_buf snap = { 0 };
	memset(res, 0, sizeof *res);
	int rc = HEED_OK, began = 0;
	if (keep == drop) {
		heed_seterr(err, "merge: contact %lld cannot be merged into itself", (long long)keep);
		rc = HEED_EUSAGE;
		goto done;
	}
	if ((rc = heed_store_begin(s, err)) != HEED_OK)
		goto done;
	began = 1;
	if ((rc = heed_store_load(s, keep, HEED_LOAD_HISTORY, &k, err)) != HEED_OK ||
	    (rc = heed_store_load(s, drop, HEED_LOAD_HISTORY, &d, err)) != HEED_OK)
		goto done;
	heed_export_json(&snap, &d);
	heed_time now = heed_time_now();
	if ((rc = heed_store_fold(s, keep, drop, now, heed_buf_str(&snap), err)) != HEED_OK)
		goto done;
	res->activities = (long)d.nacts;
	free(d.attrs); /* attributes were folded in by the store, keep's winning */
	d.attrs = NULL;
	d.org.id = d.org.name ? d.org.id : 0;
	char *src = xasprintf("merge of contact %lld", (long long)drop);
	heed_merge_rules rules = { src, 0, fill_only, sizeof fill_only / sizeof fill_only[0] };
	rc = heed_store_merge_with(s, keep, &d, now, &rules, &res->fields, err);
	free(src);
	if (rc == HEED_OK)
		rc = take_stage(s, &k, &d, now, res, err);
	if (rc == HEED_OK)
		rc = note_merge(s, &k, &d, now, err);
	if (rc == HEED_OK)
		rc = heed_store_commit(s, err);
	began = rc != HEED_OK;
done:
	if (began)
		heed_store_rollback(s);
	heed_buf_free(&snap);
	heed_contact_clear(&k);
	heed_contact_clear(&d);
	return rc;
}
