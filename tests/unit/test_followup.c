/* test_followup: the follow-up ledger: idempotent adds, exclusive claims with
 * a lease, finishing only by the holder, retries, release and cancel. */
#include <stdlib.h>

#include "check.h"
#include "store_followup.h"
#include "tmpstore.h"
#include "util.h"

static int64_t contact(heed_store *s, const char *email)
{
	heed_contact c;
	heed_contact_init(&c);
	c.email = xstrdup(email);
	strcpy(c.stage, "lead");
	c.created_at = c.updated_at = c.stage_changed_at = 1000;
	CHECK_INT(heed_store_insert(s, &c, NULL), HEED_OK);
	int64_t id = c.id;
	heed_contact_clear(&c);
	return id;
}

static int add(heed_store *s, int64_t who, const char *key, heed_time due)
{
	heed_followup f = { .key = (char *)key, .policy = "p/x", .contact = who, .action = "task",
		            .due_at = due, .created_at = 1 };
	int created = -1;
	CHECK_INT(heed_store_fu_add(s, &f, &created, NULL), HEED_OK);
	return created;
}

int main(void)
{
	char *path = tmp_fresh_db("followup", "ledger");
	heed_store *s = NULL, *s2 = NULL;
	char *err = NULL;
	if (heed_store_open(path, &s, &err) != HEED_OK || heed_store_open(path, &s2, &err) != HEED_OK) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	int64_t a = contact(s, "a@fu.example"), b = contact(s, "b@fu.example");
	CHECK_INT(add(s, a, "p/x|1|o|k1", 100), 1);
	CHECK_INT(add(s, a, "p/x|1|o|k1", 999), 0); /* same key: nothing new, due unchanged */
	CHECK_INT(add(s, a, "p/x|1|o|k2", 200), 1);
	CHECK_INT(add(s, b, "p/x|2|o|k1", 300), 1);

	heed_fu_ref *refs;
	size_t nrefs;
	CHECK_INT(heed_store_fu_refs(s, a, a, &refs, &nrefs, NULL), HEED_OK);
	CHECK_INT(nrefs, 2);
	CHECK_STR(nrefs ? refs[0].key : NULL, "p/x|1|o|k1");
	CHECK_INT(nrefs ? refs[0].pending : 0, 1);
	heed_fu_refs_free(refs, nrefs);

	/* at 250 two are due; one claimer gets both, the other none */
	heed_followup *v, *w;
	size_t n, m;
	CHECK_INT(heed_store_fu_claim(s, "one", 250, 60, 10, &v, &n, NULL), HEED_OK);
	CHECK_INT(n, 2);
	CHECK_INT(n == 2 ? v[0].due_at : 0, 100);
	CHECK_INT(n == 2 ? v[1].attempts : 0, 1);
	CHECK_INT(heed_store_fu_claim(s2, "two", 250, 60, 10, &w, &m, NULL), HEED_OK);
	CHECK_INT(m, 0);
	heed_followups_free(w, m);

	/* one finishes the first; the second's lease runs out and two takes it over */
	int mine = -1;
	CHECK_INT(heed_store_fu_finish(s, v[0].id, "one", "done", NULL, "ok", 260, 0, &mine, NULL), HEED_OK);
	CHECK_INT(mine, 1);
	CHECK_INT(heed_store_fu_claim(s2, "two", 320, 60, 10, &w, &m, NULL), HEED_OK);
	CHECK_INT(m, 2); /* the expired claim and b's, due at 300 */
	CHECK_INT(m == 2 ? w[0].id : 0, v[1].id);
	CHECK_INT(m == 2 ? w[0].attempts : 0, 2);
	CHECK_INT(heed_store_fu_finish(s, v[1].id, "one", "done", NULL, NULL, 330, 0, &mine, NULL), HEED_OK);
	CHECK_INT(mine, 0); /* one lost it: its finish changes nothing */
	/* two retries the first later, releases the other */
	CHECK_INT(heed_store_fu_finish(s2, w[0].id, "two", "pending", "busy", NULL, 330, 900, &mine, NULL), HEED_OK);
	CHECK_INT(mine, 1);
	long released = 0;
	CHECK_INT(heed_store_fu_release(s2, "two", &released, NULL), HEED_OK);
	CHECK_INT(released, 1);
	heed_followups_free(w, m);
	heed_followups_free(v, n);

	long counts[6];
	CHECK_INT(heed_store_fu_counts(s, counts, NULL), HEED_OK);
	CHECK_INT(counts[0], 2); /* pending: the retried one and the released one */
	CHECK_INT(counts[1], 0);
	CHECK_INT(counts[2], 1);
	CHECK_INT(heed_store_fu_list(s, 400, NULL, 0, &v, &n, NULL), HEED_OK);
	CHECK_INT(n, 1); /* the retry waits until 900 */
	heed_followups_free(v, n);
	CHECK_INT(heed_store_fu_list(s, 900, NULL, 0, &v, &n, NULL), HEED_OK);
	CHECK_INT(n, 2);
	CHECK_STR(n == 2 ? v[1].last_error : NULL, "busy");
	/* cancel touches pending ones only */
	CHECK_INT(heed_store_fu_cancel(s, v[0].id, "gone", 950, NULL), HEED_OK);
	heed_followups_free(v, n);
	CHECK_INT(heed_store_fu_list(s, 0, "cancelled", 0, &v, &n, NULL), HEED_OK);
	CHECK_INT(n, 1);
	CHECK_STR(n == 1 ? v[0].last_error : NULL, "gone");
	heed_followups_free(v, n);

	heed_store_close(s2);
	heed_store_close(s);
	free(path);
	return check_done("test_followup");
}
