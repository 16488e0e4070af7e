/* outfile: the guarded, all-or-nothing writer for user files (see outfile.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "util.h"

struct heed_outfile {
	FILE *fp;
	char *target; /* the file replaced on commit */
	char *tmp;    /* NULL when the target is written directly */
};

/* The directory entry path names, with its folder resolved: "dir/base".
 * Returns NULL when the folder does not resolve or there is no base name.
 * Caller frees. */
static char *entry_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return NULL;
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	char *real = realpath(dir, NULL);
	free(dir);
	if (!real)
		return NULL;
	char *name = xasprintf("%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
	free(real);
	return name;
}

/* 1 when a and b are one file: same device and inode if both exist, the same
 * entry if neither does (a file the command would create). */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	int ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
	if (ha && hb)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (ha || hb)
		return 0;
	char *na = entry_name(a), *nb = entry_name(b);
	int same = na && nb ? strcmp(na, nb) == 0 : strcmp(a, b) == 0;
	free(na);
	free(nb);
	return same;
}

/* HEED_OK, or HEED_EUSAGE with *err when path is the store or one of inputs. */
static int check_target(const char *path, const char *store, const char *const *inputs, char **err)
{
	static const char *const store_files[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; store && i < sizeof store_files / sizeof *store_files; i++) {
		char *s = xasprintf("%s%s", store, store_files[i]);
		int same = same_file(path, s);
		if (same)
			heed_seterr(err, "refusing to write %s: it is the store%s%s %s", path,
			            *store_files[i] ? "'s " : "", store_files[i] + !!*store_files[i],
			            *store_files[i] ? "file" : store);
		free(s);
		if (same)
			return HEED_EUSAGE;
	}
	for (size_t i = 0; inputs && inputs[i]; i++)
		if (same_file(path, inputs[i])) {
			heed_seterr(err, "refusing to write %s: it is %s, which this command also uses", path,
			            inputs[i]);
			return HEED_EUSAGE;
		}
	return HEED_OK;
}

int heed_outfile_check(const char *path, const char *store, const char *const *inputs, char **err)
{
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return HEED_OK; /* a device or a FIFO holds nothing to lose */
	return check_target(path, store, inputs, err);
}

int heed_outfile_open(heed_outfile **out, const char *path, const char *store,
                      const char *const *inputs, char **err)
{
	*out = NULL;
	if (heed_empty(path)) {
		heed_seterr(err, "no file name to write to");
		return HEED_EUSAGE;
	}
	struct stat st, lst;
	int exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		heed_seterr(err, "cannot write %s: it is a folder", path);
		return HEED_EUSAGE;
	}
	heed_outfile *f = xcalloc(1, sizeof *f);
	int rc = HEED_OK, fd = -1;
	if (exists && !S_ISREG(st.st_mode)) { /* a device or a FIFO: nothing to replace */
		f->target = xstrdup(path);
		if (!(f->fp = fopen(path, "w"))) {
			heed_seterr(err, "cannot write %s: %s", path, strerror(errno));
			rc = HEED_ERR;
		}
		goto done;
	}
	if ((rc = check_target(path, store, inputs, err)) != HEED_OK)
		goto done;
	/* a symbolic link stays a link: the file it points to is what is replaced */
	f->target = exists && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) ? realpath(path, NULL) : NULL;
	if (!f->target)
		f->target = xstrdup(path);
	const char *slash = strrchr(f->target, '/');
	if (slash)
		f->tmp = xasprintf("%.*s/.%s.heed-XXXXXX", (int)(slash - f->target), f->target, slash + 1);
	else
		f->tmp = xasprintf(".%s.heed-XXXXXX", f->target);
	if ((fd = mkstemp(f->tmp)) < 0) {
		heed_seterr(err, "cannot write %s: %s", path, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		rc = HEED_ERR;
		goto done;
	}
	mode_t mode = exists ? st.st_mode & 07777 : 0;
	if (!exists) {
		mode_t mask = umask(022);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if (fchmod(fd, mode) != 0 || !(f->fp = fdopen(fd, "w"))) {
		heed_seterr(err, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		rc = HEED_ERR;
	}
done:
	if (rc != HEED_OK) {
		heed_outfile_abort(f);
		return rc;
	}
	*out = f;
	return HEED_OK;
}

FILE *heed_outfile_fp(heed_outfile *f)
{
	return f->fp;
}

int heed_outfile_commit(heed_outfile *f, char **err)
{
	int rc = HEED_OK;
	int bad = fflush(f->fp) != 0 || ferror(f->fp);
	if (!bad && f->tmp)
		bad = fsync(fileno(f->fp)) != 0;
	int e = errno;
	if (fclose(f->fp) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	f->fp = NULL;
	if (bad) {
		heed_seterr(err, "writing %s failed: %s", f->target, strerror(e));
		rc = HEED_ERR;
	} else if (f->tmp && rename(f->tmp, f->target) != 0) {
		heed_seterr(err, "cannot replace %s: %s", f->target, strerror(errno));
		rc = HEED_ERR;
	} else {
		free(f->tmp);
		f->tmp = NULL; /* renamed: nothing left to remove */
	}
	heed_outfile_abort(f);
	return rc;
}

void heed_outfile_abort(heed_outfile *f)
{
	if (!f)
		return;
	if (f->fp)
		fclose(f->fp);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->target);
	free(f);
}
