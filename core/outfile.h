/* outfile: every file heed writes on the user's behalf (export --out, the
 * import plan and reject files, the REPL's .export) goes through here. A path
 * that is the store (or its -wal, -shm, -journal) or a file the command reads
 * is refused before anything is written; the data goes to a temporary file in
 * the target's folder that replaces the target only on commit, so a command
 * that fails leaves an earlier file as it was. Owns the temporary file. */
#ifndef HEED_OUTFILE_H
#define HEED_OUTFILE_H

#include <stdio.h>

typedef struct heed_outfile heed_outfile;

/* Open path for writing. store: the store's path (NULL: no store); inputs: a
 * NULL-terminated list of paths the command reads or writes besides this one
 * (NULL or NULL entries: none). Two paths are the same file when device and
 * inode match, or, when neither exists yet, when they name the same entry.
 * A target that exists and is not a regular file (/dev/stdout, a FIFO) is
 * written directly. Returns HEED_OK and OUT: *out (commit or abort it),
 * HEED_EUSAGE when path is refused, HEED_ERR when it cannot be created. */
int heed_outfile_open(heed_outfile **out, const char *path, const char *store,
                      const char *const *inputs, char **err);

/* Only the refusal of heed_outfile_open, for files written by other means
 * (the REPL's history): HEED_OK, or HEED_EUSAGE with *err. */
int heed_outfile_check(const char *path, const char *store, const char *const *inputs, char **err);

/* The stream to write to; valid until commit or abort. */
FILE *heed_outfile_fp(heed_outfile *f);

/* Flush the data to disk and rename the temporary file over the target.
 * Frees f whatever happens; on failure the target is untouched and the
 * temporary file removed. Returns HEED_OK or HEED_ERR with *err. */
int heed_outfile_commit(heed_outfile *f, char **err);

/* Drop what was written: the target is untouched. Frees f; NULL is a no-op. */
void heed_outfile_abort(heed_outfile *f);

#endif
