/* stage: the stage machine's rules as data, and the one path that moves a
 * contact (see stage.h). */
#include "stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const heed_stage_names[HEED_NSTAGES] = {
	"lead", "prospect", "opportunity", "won", "lost", "disqualified",
};

enum rule {
	ALLOW, /* a legal move */
	FORCE  /* refused unless forced with a reason; audited as forced */
};

/* Every move heed knows. Anything absent is refused even when forced. */
static const struct transition {
	heed_stage from, to;
	enum rule rule;
} transitions[] = {
	{ HEED_LEAD, HEED_PROSPECT, ALLOW },
	{ HEED_PROSPECT, HEED_OPPORTUNITY, ALLOW },
	{ HEED_OPPORTUNITY, HEED_WON, ALLOW },
	{ HEED_OPPORTUNITY, HEED_LOST, ALLOW },
	{ HEED_LEAD, HEED_DISQUALIFIED, ALLOW },
	{ HEED_PROSPECT, HEED_DISQUALIFIED, ALLOW },
	{ HEED_OPPORTUNITY, HEED_DISQUALIFIED, ALLOW },
	{ HEED_LOST, HEED_LEAD, ALLOW },
	{ HEED_DISQUALIFIED, HEED_LEAD, ALLOW },
	/* skips forward: real, but they bypass qualification */
	{ HEED_LEAD, HEED_OPPORTUNITY, FORCE },
	{ HEED_LEAD, HEED_WON, FORCE },
	{ HEED_PROSPECT, HEED_WON, FORCE },
	{ HEED_LEAD, HEED_LOST, FORCE },
	{ HEED_PROSPECT, HEED_LOST, FORCE },
	/* corrections backward */
	{ HEED_PROSPECT, HEED_LEAD, FORCE },
	{ HEED_OPPORTUNITY, HEED_PROSPECT, FORCE },
	{ HEED_WON, HEED_OPPORTUNITY, FORCE },
	{ HEED_LOST, HEED_OPPORTUNITY, FORCE },
	{ HEED_OPPORTUNITY, HEED_LEAD, FORCE },
	{ HEED_LOST, HEED_PROSPECT, FORCE },
	{ HEED_DISQUALIFIED, HEED_PROSPECT, FORCE },
};

enum { NTRANSITIONS = sizeof transitions / sizeof transitions[0] };

static const struct stage_info {
	int rank;
	double prob;
	int next;
} stage_info[HEED_NSTAGES] = {
	[HEED_LEAD] = { 0, NAN, HEED_PROSPECT },
	[HEED_PROSPECT] = { 1, NAN, HEED_OPPORTUNITY },
	[HEED_OPPORTUNITY] = { 2, 0.3, -1 },
	[HEED_WON] = { 3, 1.0, -1 },
	[HEED_LOST] = { 2, 0.0, -1 },
	[HEED_DISQUALIFIED] = { -1, 0.0, -1 },
};

int heed_stage_parse(const char *name)
{
	for (int i = 0; name && i < HEED_NSTAGES; i++)
		if (strcmp(name, heed_stage_names[i]) == 0)
			return i;
	return -1;
}

int heed_stage_rank(int st)
{
	return st >= 0 && st < HEED_NSTAGES ? stage_info[st].rank : -1;
}

double heed_stage_prob(int st)
{
	return st >= 0 && st < HEED_NSTAGES ? stage_info[st].prob : NAN;
}

int heed_stage_next(int st)
{
	return st >= 0 && st < HEED_NSTAGES ? stage_info[st].next : -1;
}

int heed_stage_open(int st)
{
	return st == HEED_LEAD || st == HEED_PROSPECT || st == HEED_OPPORTUNITY;
}

static const struct transition *find(int from, int to)
{
	for (size_t i = 0; i < NTRANSITIONS; i++)
		if ((int)transitions[i].from == from && (int)transitions[i].to == to)
			return &transitions[i];
	return NULL;
}

/* The shortest chain of moves in the table from → to, e.g. "won → opportunity
 * → lost → lead", or NULL if there is none. Caller frees. */
static char *route(int from, int to)
{
	int prev[HEED_NSTAGES], queue[HEED_NSTAGES], head = 0, tail = 0;
	for (int i = 0; i < HEED_NSTAGES; i++)
		prev[i] = -2;
	prev[from] = -1;
	queue[tail++] = from;
	while (head < tail && prev[to] == -2) {
		int st = queue[head++];
		for (size_t i = 0; i < NTRANSITIONS; i++) {
			int next = (int)transitions[i].to;
			if ((int)transitions[i].from == st && prev[next] == -2) {
				prev[next] = st;
				queue[tail++] = next;
			}
		}
	}
	if (prev[to] == -2)
		return NULL;
	int path[HEED_NSTAGES], n = 0;
	for (int st = to; st != -1; st = prev[st])
		path[n++] = st;
	heed_buf b = { 0 };
	while (n--)
		heed_buf_addf(&b, "%s%s", b.len ? " → " : "", heed_stage_names[path[n]]);
	return heed_buf_detach(&b);
}

/* The stages a forward skip jumps over, e.g. "prospect" or "prospect and opportunity". */
static char *skipped(int from, int to)
{
	heed_buf b = { 0 };
	int st = heed_stage_next(from);
	while (st >= 0 && st != to && heed_stage_rank(st) < heed_stage_rank(to)) {
		if (b.len)
			heed_buf_adds(&b, " and ");
		heed_buf_adds(&b, heed_stage_names[st]);
		st = heed_stage_next(st);
	}
	return heed_buf_detach(&b);
}

int heed_stage_check(int from, int to, int forced, const char *reason, char **err)
{
	if (from < 0 || from >= HEED_NSTAGES || to < 0 || to >= HEED_NSTAGES) {
		heed_seterr(err, "unknown stage");
		return HEED_EUSAGE;
	}
	const char *f = heed_stage_names[from], *t = heed_stage_names[to];
	if (from == to) {
		heed_seterr(err, "contact is already %s", t);
		return HEED_EREFUSED;
	}
	const struct transition *tr = find(from, to);
	if (!tr) {
		char *r = route(from, to);
		heed_seterr(err, "%s → %s is not a stage move heed allows, even forced%s%s", f, t,
		            r ? "; the way there is " : "", r ? r : "");
		free(r);
		return HEED_EREFUSED;
	}
	if (tr->rule == ALLOW)
		return HEED_OK;
	if (forced && !heed_empty(reason))
		return HEED_OK;
	if (forced) {
		heed_seterr(err, "%s → %s needs --reason TEXT with --force", f, t);
	} else if (to == HEED_LOST) {
		heed_seterr(err, "%s → lost: only an opportunity is lost (a lead or prospect is"
		                 " disqualified); use --force --reason TEXT to record it anyway", f);
	} else if (to <= HEED_WON && heed_stage_rank(to) > heed_stage_rank(from) &&
	           heed_stage_rank(from) >= 0) {
		char *skip = skipped(from, to);
		heed_seterr(err, "%s → %s skips %s; move to %s first, or use --force --reason TEXT", f, t,
		            skip, heed_stage_names[heed_stage_next(from)]);
		free(skip);
	} else {
		heed_seterr(err, "%s → %s goes backwards; use --force --reason TEXT to correct a stage", f, t);
	}
	return HEED_EREFUSED;
}

int heed_stage_move(heed_store *s, const heed_stage_req *r, int in_txn, char **err)
{
	int rc = heed_stage_check(r->from, r->to, r->forced, r->reason, err);
	if (rc != HEED_OK)
		return rc;
	heed_move m = {
		.id = r->id,
		.from = heed_stage_names[r->from],
		.to = heed_stage_names[r->to],
		.at = r->at,
		.actor = r->actor,
		.reason = r->reason,
		.plugins = r->plugins,
		.forced = find(r->from, r->to)->rule == FORCE,
		.peak = heed_stage_rank(r->to),
		.stage_prob = heed_stage_prob(r->to),
	};
	if (!in_txn && (rc = heed_store_begin(s, err)) != HEED_OK)
		return rc;
	rc = heed_store_move(s, &m, err);
	if (in_txn)
		return rc;
	if (rc == HEED_OK)
		return heed_store_commit(s, err);
	heed_store_rollback(s);
	return rc;
}
