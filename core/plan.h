/* plan: writes what an import does (or would do) with each row: the plan of
 * `heed import --plan` as CSV or JSON, and the reject file of --skip-bad.
 * Fed row by row through heed_plan_row, a heed_import_row_fn. */
#ifndef HEED_PLAN_H
#define HEED_PLAN_H

#include <stdint.h>
#include <stdio.h>

typedef struct heed_plan heed_plan;

/* A writer for the plan (out, NULL = none; json = 1 for a JSON array, else
 * CSV line,action,contact,reason) and the rejects (NULL = none: CSV
 * line,reason of the rows in error). Writes the headers. Free with heed_plan_finish. */
heed_plan *heed_plan_new(FILE *out, int json, FILE *rejects);
/* One row; ud is the heed_plan. Counts actions. */
void heed_plan_row(void *ud, long line, const char *action, int64_t id, const char *reason);
/* Rows seen with action (create, update, merge, skip, error). */
long heed_plan_count(const heed_plan *p, const char *action);
/* Close the JSON array, flush, free p. Returns HEED_OK, or HEED_ERR with *err
 * if writing failed. */
int heed_plan_finish(heed_plan *p, char **err);

#endif
