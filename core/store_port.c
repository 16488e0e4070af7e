/* store_port: the SQL of import plans, duplicates and contact merges (see
 * store.h). Each statement here runs once per command, so it is prepared on
 * the spot rather than kept in the connection's table. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int heed_store_max_id(heed_store *s, int64_t *id, char **err)
{
	sqlite3_stmt *st = NULL;
	*id = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) FROM contacts", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return heed_store_fail(s, "highest contact id", err);
	}
	*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return HEED_OK;
}

int heed_store_bulk_keys(heed_store *s, int build, char **err)
{
	/* built: the rest of the transaction looks keys up, so the usual cache again */
	return build ? heed_store_exec(s, HEED_EMAIL_INDEX_SQL ";" HEED_EXTERNAL_INDEX_SQL ";"
	                                  " PRAGMA cache_size = " HEED_STORE_CACHE,
	                               "building the contact key indexes", err)
	             : heed_store_exec(s, "DROP INDEX contacts_email; DROP INDEX contacts_external",
	                               "dropping the contact key indexes", err);
}

int heed_store_bulk_memory(heed_store *s, int on, char **err)
{
	/* foreign keys off: every id a bulk load writes is one it made or looked up
	 * in the same transaction, and checking each costs a b-tree seek a row.
	 * (PRAGMA threads = 2 for the sort was tried: 16 MB more, no clear gain.) */
	return heed_store_exec(s, on ? "PRAGMA temp_store = FILE; PRAGMA cache_size = -4000;"
	                               " PRAGMA foreign_keys = OFF"
	                             : "PRAGMA temp_store = MEMORY; PRAGMA cache_size = " HEED_STORE_CACHE ";"
	                               " PRAGMA foreign_keys = ON",
	                       "memory settings", err);
}

/* Run one statement with two id parameters; sticky *rc. */
static void exec2(heed_store *s, const char *sql, int64_t a, int64_t b, int *rc, char **err)
{
	if (*rc != HEED_OK)
		return;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*rc = heed_store_fail(s, "merge", err);
		return;
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) != SQLITE_DONE)
		*rc = heed_store_fail(s, "merge", err);
	sqlite3_finalize(st);
}

/* stage and peak of contact id. */
static void stage_of(heed_store *s, int64_t id, char *stage, size_t n, int *peak, int *rc, char **err)
{
	if (*rc != HEED_OK)
		return;
	sqlite3_stmt *st = heed_store_stmt(s, ST_STAGE_GET, rc, err);
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(stage, n, "%s", (const char *)sqlite3_column_text(st, 0));
		*peak = sqlite3_column_int(st, 2);
	} else {
		heed_seterr(err, "no contact %lld", (long long)id);
		*rc = HEED_ENOTFOUND;
	}
	sqlite3_reset(st);
}

int heed_store_fold(heed_store *s, int64_t keep, int64_t drop, heed_time at, const char *snapshot,
                    char **err)
{
	int rc = HEED_OK, kpeak = 0, dpeak = 0;
	char kstage[16] = "", dstage[16] = "";
	stage_of(s, keep, kstage, sizeof kstage, &kpeak, &rc, err);
	stage_of(s, drop, dstage, sizeof dstage, &dpeak, &rc, err);
	exec2(s, "UPDATE activities SET contact_id = ?1 WHERE contact_id = ?2", keep, drop, &rc, err);
	exec2(s, "UPDATE stage_history SET contact_id = ?1 WHERE contact_id = ?2", keep, drop, &rc, err);
	exec2(s, "UPDATE merges SET kept_id = ?1 WHERE kept_id = ?2", keep, drop, &rc, err);
	/* one deal per contact: the kept one's known facts win, the other fills gaps */
	exec2(s, "INSERT INTO deals(contact_id, value, currency, close_date, decision_makers,"
	         " probability, probability_user) SELECT ?1, value, currency, close_date,"
	         " decision_makers, probability, probability_user FROM deals WHERE contact_id = ?2"
	         " ON CONFLICT(contact_id) DO UPDATE SET value = coalesce(value, excluded.value),"
	         " currency = coalesce(currency, excluded.currency),"
	         " close_date = coalesce(close_date, excluded.close_date),"
	         " decision_makers = coalesce(decision_makers, excluded.decision_makers),"
	         " probability = coalesce(probability, excluded.probability),"
	         " probability_user = max(probability_user, excluded.probability_user)",
	      keep, drop, &rc, err);
	exec2(s, "UPDATE contacts SET attrs = nullif(json_patch(coalesce((SELECT attrs FROM contacts"
	         " WHERE id = ?2), '{}'), coalesce(attrs, '{}')), '{}'),"
	         " peak = max(peak, (SELECT peak FROM contacts WHERE id = ?2)) WHERE id = ?1",
	      keep, drop, &rc, err);
	if (rc == HEED_OK) { /* the kept contact changed: it has the other's activities now */
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s->db, "UPDATE contacts SET updated_at = max(updated_at, ?2) WHERE id = ?1",
		                       -1, &st, NULL) != SQLITE_OK) {
			rc = heed_store_fail(s, "merge touch", err);
		} else {
			sqlite3_bind_int64(st, 1, keep);
			sqlite3_bind_int64(st, 2, at);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = heed_store_fail(s, "merge touch", err);
		}
		sqlite3_finalize(st);
	}
	if (rc == HEED_OK) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s->db, "INSERT INTO merges(kept_id, merged_id, at, contact)"
		                              " VALUES (?1, ?2, ?3, ?4)", -1, &st, NULL) != SQLITE_OK) {
			rc = heed_store_fail(s, "merge record", err);
		} else {
			sqlite3_bind_int64(st, 1, keep);
			sqlite3_bind_int64(st, 2, drop);
			sqlite3_bind_int64(st, 3, at);
			heed_store_bind_text(st, 4, snapshot);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = heed_store_fail(s, "merge record", err);
		}
		sqlite3_finalize(st);
	}
	/* the other contact's mail and follow-ups go with it: its pending follow-ups are
	 * cancelled (the kept contact's policies decide now), the rest keep their history */
	exec2(s, "UPDATE outbox SET contact_id = ?1 WHERE contact_id = ?2", keep, drop, &rc, err);
	exec2(s, "UPDATE followups SET contact_id = ?1, status = iif(status = 'pending', 'cancelled', status),"
	         " last_error = iif(status = 'pending', 'merged into contact ' || ?1, last_error)"
	         " WHERE contact_id = ?2", keep, drop, &rc, err);
	exec2(s, "DELETE FROM contacts WHERE id = ?2 AND ?1 IS NOT NULL", keep, drop, &rc, err);
	/* its id is never given again (see id_floor in store_write.c) */
	exec2(s, "INSERT INTO settings(key, value) SELECT 'contacts.id_floor', ?2"
	         " WHERE ?2 > coalesce((SELECT max(id) FROM contacts), 0) AND ?1 IS NOT NULL"
	         " ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), excluded.value)",
	      keep, drop, &rc, err);
	s->id_floor = -1;
	if (rc == HEED_OK) {
		int npeak = kpeak > dpeak ? kpeak : dpeak;
		heed_store_count_add(s, dstage, dpeak, -1);
		heed_store_count_add(s, kstage, kpeak, -1);
		heed_store_count_add(s, kstage, npeak, 1);
	}
	return rc;
}

int heed_store_merged_into(heed_store *s, int64_t old, int64_t *id, char **err)
{
	sqlite3_stmt *st = NULL;
	*id = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT kept_id FROM merges WHERE merged_id = ?1"
	                              " ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return heed_store_fail(s, "merge lookup", err);
	}
	sqlite3_bind_int64(st, 1, old);
	if (sqlite3_step(st) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return HEED_OK;
}

/* Likely duplicates found in SQL: groups sharing a key. */
static const char *const dupe_sql[] = {
	/* the same email once trimmed and folded (older stores, hand edits) */
	"SELECT lower(trim(email)), group_concat(id, ' ') FROM contacts WHERE email IS NOT NULL"
	" GROUP BY lower(trim(email)) HAVING count(*) > 1",
	/* the same first and last name at the same organisation */
	"SELECT lower(trim(c.first_name)) || ' ' || lower(trim(c.last_name)) || ' at ' || o.name,"
	" group_concat(c.id, ' ') FROM contacts c JOIN organisations o ON o.id = c.org_id"
	" WHERE c.first_name IS NOT NULL AND c.last_name IS NOT NULL"
	" GROUP BY lower(trim(c.first_name)), lower(trim(c.last_name)), c.org_id HAVING count(*) > 1",
};

int heed_store_dupe_groups(heed_store *s, int kind, heed_store_group_fn fn, void *ud, char **err)
{
	if (kind < 0 || kind > 1)
		return HEED_EUSAGE;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, dupe_sql[kind], -1, &st, NULL) != SQLITE_OK)
		return heed_store_fail(s, "duplicate search", err);
	int r, rc = HEED_OK;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ud, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1)))
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = heed_store_fail(s, "duplicate search", err);
	sqlite3_finalize(st);
	return rc;
}

int heed_store_phones(heed_store *s, heed_store_phone_fn fn, void *ud, char **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT c.id, c.phone, o.country FROM contacts c"
	                              " LEFT JOIN organisations o ON o.id = c.org_id"
	                              " WHERE c.phone IS NOT NULL ORDER BY c.id", -1, &st, NULL) != SQLITE_OK)
		return heed_store_fail(s, "phone scan", err);
	int r, rc = HEED_OK;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2)))
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = heed_store_fail(s, "phone scan", err);
	sqlite3_finalize(st);
	return rc;
}
