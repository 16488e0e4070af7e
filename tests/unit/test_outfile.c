/* test_outfile: an output path is refused when it is the store, one of its
 * side files or an input, and a file is only replaced on commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "outfile.h"
#include "tmpstore.h"
#include "util.h"

static char *dir;

static char *at(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* The file's content (at most 255 bytes), or "(missing)". Caller frees. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return xstrdup("(missing)");
	char buf[256];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	return xstrndup(buf, n);
}

/* Number of entries in dir besides . and .. whose name starts with '.'. */
static int leftovers(void)
{
	char *cmd = xasprintf("ls -A '%s' | grep -c '^\\.' > '%s.count'", dir, dir);
	int n = -1;
	if (system(cmd) >= 0) {
		char *c = xasprintf("%s.count", dir), *s = slurp(c);
		n = atoi(s);
		free(s);
		unlink(c);
		free(c);
	}
	free(cmd);
	return n;
}

static int refused(const char *path, const char *store, const char *const *inputs, const char *want)
{
	heed_outfile *f = NULL;
	char *err = NULL;
	int rc = heed_outfile_open(&f, path, store, inputs, &err);
	int ok = rc == HEED_EUSAGE && f == NULL && err && strstr(err, want);
	if (!ok)
		fprintf(stderr, "refused(%s): rc %d, err %s\n", path, rc, err ? err : "(none)");
	free(err);
	heed_outfile_abort(f);
	return ok;
}

static void test_refusals(void)
{
	char *store = at("heed.db"), *wal = at("heed.db-wal"), *csv = at("in.csv");
	put(store, "SQLite format 3");
	put(csv, "email\nann@x.com\n");
	const char *inputs[] = { csv, NULL };
	CHECK(refused(store, store, NULL, "it is the store"));
	/* the same file by another name: a relative path, a hard link, a symlink */
	char *cwd = getcwd(NULL, 0);
	CHECK(chdir(dir) == 0);
	CHECK(refused("heed.db", store, NULL, "it is the store"));
	CHECK(refused("./in.csv", store, inputs, "which this command also uses"));
	CHECK(chdir(cwd) == 0);
	free(cwd);
	char *hard = at("hard.db"), *soft = at("soft.csv");
	unlink(hard);
	unlink(soft);
	CHECK(link(store, hard) == 0);
	CHECK(symlink(csv, soft) == 0);
	CHECK(refused(hard, store, NULL, "it is the store"));
	CHECK(refused(soft, store, inputs, "which this command also uses"));
	/* -wal does not exist yet: refused by name */
	CHECK(refused(wal, store, NULL, "wal file"));
	char *shm = at("sub/../heed.db-shm");
	char *sub = at("sub");
	mkdir(sub, 0755);
	CHECK(refused(shm, store, NULL, "shm file"));
	char *s = slurp(store), *c = slurp(csv);
	CHECK_STR(s, "SQLite format 3");
	CHECK_STR(c, "email\nann@x.com\n");
	CHECK(access(wal, F_OK) != 0);
	CHECK_INT(leftovers(), 0);
	free(s);
	free(c);
	free(shm);
	free(sub);
	free(hard);
	free(soft);
	free(store);
	free(wal);
	free(csv);
}

static void test_commit_abort(void)
{
	char *out = at("out.csv"), *store = at("heed.db");
	put(out, "old\n");
	chmod(out, 0640);
	heed_outfile *f = NULL;
	char *err = NULL;
	CHECK_INT(heed_outfile_open(&f, out, store, NULL, &err), HEED_OK);
	fputs("new\n", heed_outfile_fp(f));
	char *s = slurp(out);
	CHECK_STR(s, "old\n"); /* nothing replaced before commit */
	free(s);
	heed_outfile_abort(f);
	s = slurp(out);
	CHECK_STR(s, "old\n");
	free(s);
	CHECK_INT(leftovers(), 0);

	CHECK_INT(heed_outfile_open(&f, out, store, NULL, &err), HEED_OK);
	fputs("new\n", heed_outfile_fp(f));
	CHECK_INT(heed_outfile_commit(f, &err), HEED_OK);
	s = slurp(out);
	CHECK_STR(s, "new\n");
	free(s);
	struct stat st;
	CHECK(stat(out, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK_INT(leftovers(), 0);

	/* a symlinked output stays a link; its target gets the data */
	char *link_path = at("link.csv");
	unlink(link_path);
	CHECK(symlink(out, link_path) == 0);
	CHECK_INT(heed_outfile_open(&f, link_path, store, NULL, &err), HEED_OK);
	fputs("via link\n", heed_outfile_fp(f));
	CHECK_INT(heed_outfile_commit(f, &err), HEED_OK);
	struct stat lst;
	CHECK(lstat(link_path, &lst) == 0 && S_ISLNK(lst.st_mode));
	s = slurp(out);
	CHECK_STR(s, "via link\n");
	free(s);
	free(link_path);

	/* a folder that does not exist, a folder as the target */
	char *nodir = at("nope/out.csv");
	CHECK_INT(heed_outfile_open(&f, nodir, store, NULL, &err), HEED_ERR);
	CHECK(err && strstr(err, "cannot write"));
	free(err);
	err = NULL;
	CHECK_INT(heed_outfile_open(&f, dir, store, NULL, &err), HEED_EUSAGE);
	free(err);
	err = NULL;
	free(nodir);

	/* a device is written directly */
	CHECK_INT(heed_outfile_open(&f, "/dev/null", store, NULL, &err), HEED_OK);
	fputs("x\n", heed_outfile_fp(f));
	CHECK_INT(heed_outfile_commit(f, &err), HEED_OK);
	free(out);
	free(store);
}

int main(void)
{
	char *cmd;
	dir = xasprintf("%s/outfile", tmp_root());
	cmd = xasprintf("rm -rf '%s' && mkdir -p '%s'", dir, dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	test_refusals();
	test_commit_abort();
	free(dir);
	return check_done("outfile");
}
