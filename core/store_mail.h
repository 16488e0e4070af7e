/* store_mail: the outbox part of the store API (its SQL is in store_mail.c).
 * One row per email under an idempotency key, holding the whole rendered
 * message and where its delivery stands: queued → sending (handed to the
 * transport) → sent | failed, or queued again for a retry; skipped when the
 * core refused to send it. */
#ifndef HEED_STORE_MAIL_H
#define HEED_STORE_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include "htime.h"
#include "store.h"

typedef struct heed_outmsg {
	int64_t id, contact;   /* contact 0 = deleted since */
	char *key, *tmpl, *rcpt, *sender, *subject;
	char *message;         /* the RFC 5322 message, CRLF line ends; NULL when skipped */
	char *message_id, *status, *last_error, *transport;
	int attempts;
	heed_time next_at, created_at, handed_at, done_at; /* 0 = none */
} heed_outmsg;

void heed_outmsg_clear(heed_outmsg *m); /* free the strings, zero it */

/* The message with key / id. OUT: *m (caller clears). HEED_ENOTFOUND if none. */
int heed_store_outbox_by_key(heed_store *s, const char *key, heed_outmsg *m, char **err);
int heed_store_outbox_get(heed_store *s, int64_t id, heed_outmsg *m, char **err);
/* Insert m (status, key, template, created_at required). OUT: m->id.
 * HEED_ECONFLICT when the key exists. */
int heed_store_outbox_insert(heed_store *s, heed_outmsg *m, char **err);
/* Mark message id handed over (status sending, attempts + 1, handed_at = at,
 * transport) only if it is still queued and, when cap > 0, fewer than cap
 * messages were handed over in the UTC day starting at `day`. OUT: *claimed =
 * 1 if this call did it. */
int heed_store_outbox_claim(heed_store *s, int64_t id, heed_time at, const char *transport,
                            long cap, heed_time day, int *claimed, char **err);
/* Put off queued message id (id 0: every queued message due at `at`) to
 * next_at with reason in last_error; it stays queued. OUT: *n messages moved. */
int heed_store_outbox_defer(heed_store *s, int64_t id, heed_time at, heed_time next_at,
                            const char *reason, long *n, char **err);
/* Record the outcome of a hand-over: status sent, failed, skipped or queued
 * (then next_at is the retry time); error NULL clears last_error. */
int heed_store_outbox_finish(heed_store *s, int64_t id, const char *status, heed_time at,
                             heed_time next_at, const char *error, char **err);
/* Mark message id skipped with reason, only if it is still queued. OUT: *done. */
int heed_store_outbox_skip(heed_store *s, int64_t id, heed_time at, const char *reason, int *done,
                           char **err);
/* A person's decision: put a sending or failed message back in the queue, due
 * at `at` (its attempts are kept). OUT: *done = 0 if it was in another state. */
int heed_store_outbox_requeue(heed_store *s, int64_t id, heed_time at, int *done, char **err);
/* Messages per status: queued, sending, sent, failed, skipped. OUT: counts. */
int heed_store_outbox_counts(heed_store *s, long counts[5], char **err);
/* Messages handed over (last) in [from, to): what the daily cap counts. OUT: *n. */
int heed_store_outbox_count(heed_store *s, heed_time from, heed_time to, long *n, char **err);
/* Ids of queued messages due at `now`, oldest first, at most limit (<= 0: all).
 * OUT: *ids (caller frees), *n. */
int heed_store_outbox_due(heed_store *s, heed_time now, long limit, int64_t **ids, size_t *n,
                          char **err);
/* Messages with status (NULL = any), newest first, at most limit (<= 0: all);
 * without their message text. OUT: *v, *n (free with heed_outmsgs_free). */
int heed_store_outbox_list(heed_store *s, const char *status, long limit, heed_outmsg **v,
                           size_t *n, char **err);
void heed_outmsgs_free(heed_outmsg *v, size_t n);

/* What stops email to contact id: OUT: *email (caller frees; NULL if none),
 * *dnc (the do_not_contact flag) and *block ("unsubscribe" or "bounce" when the
 * latest of its unsubscribe / bounce / subscribe activities is one of those,
 * else NULL; static text) with *block_at. HEED_ENOTFOUND if no such contact. */
int heed_store_mail_block(heed_store *s, int64_t id, char **email, int *dnc, const char **block,
                          heed_time *block_at, char **err);
/* 1 while s is inside a write transaction (heed_store_begin .. commit). */
int heed_store_in_txn(const heed_store *s);
/* The folder of the store file (caller frees), for paths relative to the store. */
char *heed_store_dir(heed_store *s);
/* The store file's name without its folder and last extension (caller frees):
 * "/a/fu.db" -> "fu"; "heed" when that leaves nothing. */
char *heed_store_stem(heed_store *s);

#endif
