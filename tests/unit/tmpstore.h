/* tmpstore.h: scratch paths for the C unit tests that open stores. Files go
 * under $HEED_TMP (CTest sets it), else /tmp/heedtest. */
#ifndef HEED_TMPSTORE_H
#define HEED_TMPSTORE_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* A fresh, empty folder <root>/<group>/<name> for one test case (the files
 * a former run left are removed). Caller frees. */
static inline char *tmp_case_dir(const char *group, const char *name)
{
	char *parent = xasprintf("%s/%s", tmp_root(), group);
	char *dir = xasprintf("%s/%s", parent, name);
	mkdir(tmp_root(), 0755);
	mkdir(parent, 0755);
	mkdir(dir, 0755);
	free(parent);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *f = xasprintf("%s/%s", dir, e->d_name);
		unlink(f);
		free(f);
	}
	if (d)
		closedir(d);
	return dir;
}

/* Write text to dir/file, or stop the test (exit 2) saying why. */
static inline void tmp_put(const char *dir, const char *file, const char *text)
{
	char *path = xasprintf("%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	free(path);
}

#endif
