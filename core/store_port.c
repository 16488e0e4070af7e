/* store_port: the SQL of import plans, duplicates and contact merges (see
 * store.h). Each statement here runs once per command, so it is prepared on
 * the spot rather than kept in the connection's table. */
#include "store_int.h"

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
