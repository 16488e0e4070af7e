/* stage: the stage state machine. The legal moves are one static table of
 * {from, to, rule}; a move is checked against it and written through the store
 * as one transaction (stage + history row), compare-and-set on the old stage so
 * two processes advancing one contact give exactly one transition. */
#ifndef HEED_STAGE_H
#define HEED_STAGE_H

#include "store.h"

typedef enum heed_stage {
	HEED_LEAD,
	HEED_PROSPECT,
	HEED_OPPORTUNITY,
	HEED_WON,
	HEED_LOST,
	HEED_DISQUALIFIED,
	HEED_NSTAGES
} heed_stage;

extern const char *const heed_stage_names[HEED_NSTAGES];

/* Stage number of name (exact, lower case), or -1. */
int heed_stage_parse(const char *name);
/* Funnel rank reached by entering st: lead 0 … won 3; lost counts as
 * opportunity (2); disqualified -1 (it reaches nothing new). */
int heed_stage_rank(int st);
/* Default deal probability of st (NaN for stages that do not set one). */
double heed_stage_prob(int st);
/* The stage `advance` aims at from st (lead→prospect, prospect→opportunity), or -1. */
int heed_stage_next(int st);
/* 1 for lead, prospect, opportunity. */
int heed_stage_open(int st);

/* Is from → to allowed? HEED_OK, or HEED_EREFUSED with *err saying why and what
 * would make it legal (e.g. the skipped stage, or --force --reason). */
int heed_stage_check(int from, int to, int forced, const char *reason, char **err);

typedef struct heed_stage_req {
	int64_t id;
	int from, to;
	heed_time at;
	const char *actor, *reason, *plugins;
	int forced;
} heed_stage_req;

/* Check and perform one move in its own write transaction (or inside the
 * caller's when in_txn). HEED_ECONFLICT when the contact left `from` meanwhile. */
int heed_stage_move(heed_store *s, const heed_stage_req *r, int in_txn, char **err);

#endif
