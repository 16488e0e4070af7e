/* tmpstore.h: scratch paths for the C unit tests that open stores. Files go
 * under $HEED_TMP (CTest sets it), else /tmp/heedtest. */
#ifndef HEED_TMPSTORE_H
#define HEED_TMPSTORE_H

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static inline const char *tmp_root(void)
{
	const char *t = getenv("HEED_TMP");
	return t && *t ? t : "/tmp/heedtest";
}

/* A path for a fresh store <root>/<group>/<name>.db (the file and its WAL
 * files removed). Caller frees. */
static inline char *tmp_fresh_db(const char *group, const char *name)
{
	char *dir = xasprintf("%s/%s", tmp_root(), group);
	mkdir(tmp_root(), 0755);
	mkdir(dir, 0755);
	char *path = xasprintf("%s/%s.db", dir, name);
	const char *sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char *p = xasprintf("%s%s", path, sfx[i]);
		unlink(p);
		free(p);
	}
	free(dir);
	return path;
}

#endif
