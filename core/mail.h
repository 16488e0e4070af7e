/* mail: email automation. Renders a plugin's template for a contact into the
 * outbox under an idempotency key, enforces the core's send rules on every
 * automated message (do_not_contact, unsubscribed, bounced, no contact; the
 * daily cap defers a message to the next UTC day),
 * and hands queued messages to the configured transport (file, sendmail,
 * smtp; see transport.h), recording before and after each hand-over so a
 * message handed over is never sent again. Failures are retried with backoff.
 * Configuration lives in the store's settings (keys mail.*; README.md). */
#ifndef HEED_MAIL_H
#define HEED_MAIL_H

#include <stdint.h>
#include "plugin.h"
#include "store.h"

typedef struct heed_mail_config {
	char *transport;       /* "file" (default), "sendmail" or "smtp" */
	char *dir;             /* file: folder for the .eml files (absolute) */
	char *stem;            /* file: the store file's stem, the first part of each file name
	                        * (STEM-00000001.eml), so stores sharing mail.dir never collide */
	char *sendmail;        /* sendmail: the command, default "/usr/sbin/sendmail -t -i" */
	char *smtp_url;        /* smtp: smtp://host[:port] or smtps://host[:port] */
	char *smtp_user, *smtp_password; /* NULL = no authentication */
	char *tls;             /* smtp: "try" (STARTTLS when offered, default), "require", "none" */
	char *ca_file;         /* smtp: CA certificates (PEM) to verify the server with; NULL = the system's */
	char *from;            /* the From address, default "heed@localhost" */
	char *unsubscribe;     /* List-Unsubscribe target; "{id}" / "{message_id}" are replaced */
	long daily_cap;        /* hand-overs per UTC day, default 500; 0 = none */
	int max_attempts;      /* hand-overs before a message fails for good, default 5 */
	long backoff;          /* seconds before the first retry, doubled each time; default 300 */
	long timeout;          /* smtp / sendmail: seconds, default 30 */
} heed_mail_config;

/* Defaults, then the store's mail.* settings, then HEED_SMTP_PASSWORD from the
 * environment. OUT: *cfg (caller clears). HEED_EINPUT naming the setting when
 * one is invalid. */
int heed_mail_config_load(heed_store *s, heed_mail_config *cfg, char **err);
void heed_mail_config_clear(heed_mail_config *cfg);
/* The settings heed_mail_config_load reads, with a line of help each
 * (NULL-terminated pairs: key, help). */
extern const char *const heed_mail_settings[];

/* Render template `tmpl` for contact with payload (JSON object text or NULL)
 * and queue it in the outbox under idempotency key `key` (an existing key
 * returns the existing message: never a second one). Enforces do_not_contact /
 * unsubscribed / bounced / no address: then records the message skipped and
 * returns HEED_ESKIPPED with the reason in *err. OUT: *msg_id. Writes in its own
 * transaction, or inside the caller's when one is open. A template failure
 * (HEED_EPLUGIN, HEED_ENOTFOUND) queues nothing. */
int heed_mail_queue(heed_store *s, heed_plugins *p, int64_t contact, const char *tmpl,
                    const char *payload, const char *key, int64_t *msg_id, char **err);

/* Hand queued message msg_id to the configured transport, recording before
 * and after the hand-over so a message handed over is never sent again.
 * HEED_OK when sent (or already handed over earlier); HEED_ERETRY when a
 * transient failure scheduled a retry, the message is not due yet, or the
 * daily cap put it off to the next UTC midnight (it stays queued);
 * HEED_ESKIPPED when the contact may no longer be emailed or is gone; HEED_ERR when it failed for good (the server's reply in
 * *err and in the outbox). HEED_EUSAGE inside a transaction: the record
 * before the hand-over must be committed before it happens. */
int heed_mail_deliver(heed_store *s, const heed_mail_config *cfg, int64_t msg_id, char **err);

/* 1 when queued message m waits for the next UTC day because the daily cap
 * was reached (a deferral, not a failure: it goes out at m->next_at). */
struct heed_outmsg;
int heed_mail_deferred(const struct heed_outmsg *m);

/* Deliver every queued message that is due (next_at <= now), oldest first, at
 * most limit (<= 0: all); once the daily cap is reached every due message is
 * put off to the next UTC midnight (counted in *deferred). OUT: counts of this
 * call's hand-overs (any may be NULL; a message another process takes
 * meanwhile is not counted). Errors of single
 * messages are recorded in the outbox, not returned; *err only for store
 * failures. */
int heed_mail_deliver_due(heed_store *s, const heed_mail_config *cfg, long limit, long *sent,
                          long *deferred, long *retry, long *failed, char **err);

#endif
