/* mail: configuration, composing, the send rules, queueing and delivery with
 * retries (see mail.h). The outbox rows are the store's (store_mail.h); the
 * wire work is the transport's (transport.h). */
#include "mail.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "htime.h"
#include "json.h"
#include "store_mail.h"
#include "transport.h"
#include "util.h"

/* ---- configuration ---- */

const char *const heed_mail_settings[] = {
	"mail.transport", "file (default): one .eml per message in mail.dir; sendmail; smtp",
	"mail.dir", "file transport folder; relative to the store's folder (default: outbox); files are"
	" named STEM-ID.eml after the store file (heed.db: heed-00000001.eml) and never overwritten",
	"mail.sendmail", "sendmail transport command (default: /usr/sbin/sendmail -t -i)",
	"mail.smtp_url", "smtp transport server: smtp://host[:port] or smtps://host[:port]",
	"mail.smtp_user", "smtp user name (no authentication when unset)",
	"mail.smtp_password", "smtp password (or the environment's HEED_SMTP_PASSWORD)",
	"mail.tls", "smtp TLS: try (STARTTLS when offered, default), require, none",
	"mail.ca_file", "smtp: PEM file of CA certificates to verify the server (default: the system's)",
	"mail.from", "the From address (default: heed@localhost)",
	"mail.unsubscribe", "List-Unsubscribe target, {id} = contact id (default: mailto:FROM?subject=unsubscribe%20{id})",
	"mail.daily_cap", "messages handed over per UTC day; the rest wait for the next day; 0 = no cap (default: 500)",
	"mail.max_attempts", "hand-over attempts before a message fails for good (default: 5)",
	"mail.backoff", "seconds before the first retry, doubling after each (default: 300)",
	"mail.timeout", "smtp / sendmail timeout in seconds (default: 30)",
	NULL, NULL,
};

void heed_mail_config_clear(heed_mail_config *cfg)
{
	free(cfg->transport);
	free(cfg->dir);
	free(cfg->stem);
	free(cfg->sendmail);
	free(cfg->smtp_url);
	free(cfg->smtp_user);
	free(cfg->smtp_password);
	free(cfg->tls);
	free(cfg->ca_file);
	free(cfg->from);
	free(cfg->unsubscribe);
	memset(cfg, 0, sizeof *cfg);
}

/* Replace *field with setting key when it is set. */
static void setting(heed_store *s, const char *key, char **field, int *rc, char **err)
{
	char *v = NULL;
	if (*rc != HEED_OK)
		return;
	*rc = heed_store_setting(s, key, &v, err);
	if (*rc == HEED_OK && !heed_empty(v)) {
		free(*field);
		*field = v;
	} else {
		free(v);
	}
}

static void number(heed_store *s, const char *key, long min, long max, long *out, int *rc, char **err)
{
	char *v = NULL, *end;
	setting(s, key, &v, rc, err);
	if (*rc == HEED_OK && v) {
		long n = strtol(v, &end, 10);
		if (end == v || *end || n < min || n > max) {
			heed_seterr(err, "setting %s: '%s' is not a whole number from %ld to %ld", key, v, min, max);
			*rc = HEED_EINPUT;
		} else {
			*out = n;
		}
	}
	free(v);
}

static int has_ctl(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* 1 if u is one mailto: or https:// URL that fits in List-Unsubscribe's <...>. */
static int unsub_ok(const char *u)
{
	size_t n = strncasecmp(u, "mailto:", 7) == 0 ? 7 : strncasecmp(u, "https://", 8) == 0 ? 8 : 0;
	return n && u[n] && !has_ctl(u) && !strpbrk(u, "<> ");
}

/* What is wrong with the host[:port] after smtp(s):// of url: 0 nothing,
 * 1 no host, 2 a port that is not 1-65535 (an IPv6 host is [addr]). */
static int smtp_authority_bad(const char *url)
{
	const char *h = strstr(url, "://") + 3, *end = h + strcspn(h, "/?#");
	const char *colon = NULL;
	for (const char *q = h; q < end; q++) /* user@host: the host follows the last @ */
		if (*q == '@')
			h = q + 1;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb || rb == h + 1 || (rb + 1 < end && rb[1] != ':'))
			return 1;
		colon = rb + 1 < end ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (colon == h || h == end)
			return 1;
	}
	if (!colon)
		return 0;
	size_t n = (size_t)(end - colon - 1);
	if (n == 0 || n > 5 || strspn(colon + 1, "0123456789") < n)
		return 2;
	long v = strtol(colon + 1, NULL, 10);
	return v >= 1 && v <= 65535 ? 0 : 2;
}

static int check_config(heed_mail_config *c, char **err)
{
	if (!heed_transport_known(c->transport)) {
		heed_seterr(err, "setting mail.transport: '%s' is not a transport (file, sendmail or smtp)",
		            c->transport);
		return HEED_EINPUT;
	}
	if (strcmp(c->tls, "try") != 0 && strcmp(c->tls, "require") != 0 && strcmp(c->tls, "none") != 0) {
		heed_seterr(err, "setting mail.tls: '%s' is not try, require or none", c->tls);
		return HEED_EINPUT;
	}
	if ((c->smtp_url || strcmp(c->transport, "smtp") == 0) &&
	    (!c->smtp_url || (strncmp(c->smtp_url, "smtp://", 7) != 0 && strncmp(c->smtp_url, "smtps://", 8) != 0) ||
	     has_ctl(c->smtp_url))) {
		heed_seterr(err, "setting mail.smtp_url: '%s' must be smtp://host[:port] or smtps://host[:port]"
		                 " for the smtp transport", c->smtp_url ? c->smtp_url : "");
		return HEED_EINPUT;
	}
	int bad_at = c->smtp_url ? smtp_authority_bad(c->smtp_url) : 0;
	if (bad_at) {
		if (bad_at == 2)
			heed_seterr(err, "setting mail.smtp_url: '%s': the port must be a number from 1 to 65535",
			            c->smtp_url);
		else
			heed_seterr(err, "setting mail.smtp_url: '%s' must be smtp://host[:port] or"
			                 " smtps://host[:port] (no host)", c->smtp_url);
		return HEED_EINPUT;
	}
	char *e = heed_email_norm(c->from);
	int bad = !e || has_ctl(c->from) || strchr(c->from, '<') || strchr(c->from, ',');
	free(e);
	if (bad) {
		heed_seterr(err, "setting mail.from: '%s' is not a bare email address (e.g. sales@example.com)", c->from);
		return HEED_EINPUT;
	}
	if (!unsub_ok(c->unsubscribe)) {
		heed_seterr(err, "setting mail.unsubscribe: '%s' must be one mailto: or https: URL", c->unsubscribe);
		return HEED_EINPUT;
	}
	return HEED_OK;
}

int heed_mail_config_load(heed_store *s, heed_mail_config *c, char **err)
{
	int rc = HEED_OK;
	long attempts = 5;
	char *dir = NULL;
	memset(c, 0, sizeof *c);
	c->transport = xstrdup("file");
	c->sendmail = xstrdup("/usr/sbin/sendmail -t -i");
	c->tls = xstrdup("try");
	c->from = xstrdup("heed@localhost");
	c->daily_cap = 500;
	c->backoff = 300;
	c->timeout = 30;
	setting(s, "mail.transport", &c->transport, &rc, err);
	setting(s, "mail.dir", &dir, &rc, err);
	setting(s, "mail.sendmail", &c->sendmail, &rc, err);
	setting(s, "mail.smtp_url", &c->smtp_url, &rc, err);
	setting(s, "mail.smtp_user", &c->smtp_user, &rc, err);
	setting(s, "mail.smtp_password", &c->smtp_password, &rc, err);
	setting(s, "mail.tls", &c->tls, &rc, err);
	setting(s, "mail.ca_file", &c->ca_file, &rc, err);
	setting(s, "mail.from", &c->from, &rc, err);
	setting(s, "mail.unsubscribe", &c->unsubscribe, &rc, err);
	number(s, "mail.daily_cap", 0, 100000000, &c->daily_cap, &rc, err);
	number(s, "mail.max_attempts", 1, 100, &attempts, &rc, err);
	number(s, "mail.backoff", 1, 86400 * 7, &c->backoff, &rc, err);
	number(s, "mail.timeout", 1, 3600, &c->timeout, &rc, err);
	c->max_attempts = (int)attempts;
	const char *pw = getenv("HEED_SMTP_PASSWORD");
	if (!heed_empty(pw)) {
		free(c->smtp_password);
		c->smtp_password = xstrdup(pw);
	}
	if (!c->unsubscribe)
		c->unsubscribe = xasprintf("mailto:%s?subject=unsubscribe%%20{id}", c->from);
	char *base = heed_store_dir(s);
	if (!dir)
		c->dir = xasprintf("%s/outbox", base);
	else if (dir[0] == '/')
		c->dir = xstrdup(dir);
	else
		c->dir = xasprintf("%s/%s", base, dir);
	free(base);
	free(dir);
	c->stem = heed_store_stem(s);
	if (rc == HEED_OK)
		rc = check_config(c, err);
	if (rc != HEED_OK)
		heed_mail_config_clear(c);
	return rc;
}

/* ---- composing ---- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int ascii_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* A header value: control characters (CR, LF, tabs) become spaces; text that
 * is not ASCII, or too long for one line, becomes RFC 2047 encoded words
 * (UTF-8, base64), one per folded line. */
static void add_header_text(heed_buf *b, const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *flat = xstrdup(s);
	for (char *p = flat; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (ascii_only(flat) && strlen(flat) <= 900) { /* longer ones are folded as encoded words */
		heed_buf_adds(b, flat);
		free(flat);
		return;
	}
	/* 45 bytes of UTF-8 per word (60 base64 characters), never splitting a character */
	const unsigned char *p = (const unsigned char *)flat;
	size_t n = strlen(flat);
	while (n) {
		size_t take = n < 45 ? n : 45;
		while (take < n && take > 0 && (p[take] & 0xc0) == 0x80)
			take--;
		heed_buf_adds(b, "=?UTF-8?B?");
		for (size_t i = 0; i < take; i += 3) {
			unsigned v = (unsigned)p[i] << 16 | (i + 1 < take ? (unsigned)p[i + 1] << 8 : 0) |
			             (i + 2 < take ? p[i + 2] : 0);
			heed_buf_addc(b, b64[v >> 18 & 63]);
			heed_buf_addc(b, b64[v >> 12 & 63]);
			heed_buf_addc(b, i + 1 < take ? b64[v >> 6 & 63] : '=');
			heed_buf_addc(b, i + 2 < take ? b64[v & 63] : '=');
		}
		heed_buf_adds(b, "?=");
		p += take;
		n -= take;
		if (n)
			heed_buf_adds(b, "\r\n ");
	}
	free(flat);
}

static void add_date(heed_buf *b, heed_time t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	heed_buf_addf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	              months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The body with CRLF line ends; lines over 998 bytes make it quoted-printable. */
static void add_body(heed_buf *b, const char *body, int qp)
{
	int col = 0;
	for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n' || *p == '\r') {
			heed_buf_adds(b, "\r\n");
			col = 0;
			continue;
		}
		if (!qp) {
			heed_buf_addc(b, (char)*p);
			continue;
		}
		int enc = *p == '=' || *p >= 0x80 || *p < 0x20 ||
		          ((*p == ' ' || *p == '\t') && (p[1] == '\n' || p[1] == '\r' || !p[1]));
		if (col >= (enc ? 72 : 74)) {
			heed_buf_adds(b, "=\r\n");
			col = 0;
		}
		if (enc) {
			heed_buf_addf(b, "=%02X", *p);
			col += 3;
		} else {
			heed_buf_addc(b, (char)*p);
			col++;
		}
	}
	if (b->len < 2 || memcmp(b->s + b->len - 2, "\r\n", 2) != 0)
		heed_buf_adds(b, "\r\n");
}

static int long_lines(const char *s)
{
	size_t col = 0;
	for (; *s; s++) {
		col = (*s == '\n' || *s == '\r') ? 0 : col + 1;
		if (col > 998)
			return 1;
	}
	return 0;
}

/* The unsubscribe target with {id} replaced (caller frees). */
static char *unsub_target(const char *tmpl, int64_t contact)
{
	heed_buf b = { 0 };
	for (const char *p = tmpl; *p; p++) {
		if (strncmp(p, "{id}", 4) == 0) {
			heed_buf_addf(&b, "%lld", (long long)contact);
			p += 3;
		} else {
			heed_buf_addc(&b, *p);
		}
	}
	return heed_buf_detach(&b);
}

/* Fill m->message and m->message_id from the rendered text. */
static void compose(const heed_mail_config *cfg, heed_outmsg *m, const heed_rendered *r)
{
	const char *at = strchr(cfg->from, '@');
	char *unsub = unsub_target(cfg->unsubscribe, m->contact);
	m->message_id = xasprintf("<heed.%016llx.%lld@%s>", (unsigned long long)fnv1a(m->key),
	                          (long long)m->created_at, at ? at + 1 : "localhost");
	heed_buf b = { 0 };
	heed_buf_adds(&b, "Date: ");
	add_date(&b, m->created_at);
	heed_buf_addf(&b, "\r\nFrom: %s\r\nTo: %s\r\nSubject: ", m->sender, m->rcpt);
	add_header_text(&b, r->subject);
	heed_buf_addf(&b, "\r\nMessage-ID: %s\r\nList-Unsubscribe: <%s>\r\n", m->message_id, unsub);
	if (strncmp(unsub, "https:", 6) == 0)
		heed_buf_adds(&b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	int qp = long_lines(r->body);
	heed_buf_addf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                  "Content-Transfer-Encoding: %s\r\n",
	              qp ? "quoted-printable" : ascii_only(r->body) ? "7bit" : "8bit");
	heed_buf_addf(&b, "X-Heed-Contact: %lld\r\nX-Heed-Template: ", (long long)m->contact);
	add_header_text(&b, m->tmpl);
	heed_buf_adds(&b, "\r\n\r\n");
	add_body(&b, r->body, qp);
	m->message = heed_buf_detach(&b);
	free(unsub);
}

/* ---- the send rules ---- */

/* Why contact id may not be emailed now (caller frees), or NULL. OUT: *email
 * (caller frees) when it may. */
static char *blocked(heed_store *s, int64_t id, char **email, int *rc, char **err)
{
	int dnc;
	const char *block;
	heed_time when;
	*email = NULL;
	*rc = heed_store_mail_block(s, id, email, &dnc, &block, &when, err);
	if (*rc != HEED_OK)
		return NULL;
	char *why = NULL;
	if (dnc) {
		why = xasprintf("contact %lld is marked do_not_contact", (long long)id);
	} else if (block) {
		char ts[24];
		heed_time_format(when, ts);
		why = xasprintf("contact %lld %s at %s", (long long)id,
		                strcmp(block, "bounce") == 0 ? "bounced" : "unsubscribed", ts);
	} else if (!*email) {
		why = xasprintf("contact %lld has no email address", (long long)id);
	}
	if (why) {
		free(*email);
		*email = NULL;
	}
	return why;
}

/* The start of the UTC day of t. */
static heed_time utc_day(heed_time t)
{
	return t - ((t % 86400) + 86400) % 86400;
}

/* ---- queueing ---- */

/* An existing message for key: HEED_OK (msg_id set), HEED_ESKIPPED with its
 * reason, or HEED_ENOTFOUND. */
static int existing(heed_store *s, const char *key, int64_t *msg_id, char **err)
{
	heed_outmsg m;
	int rc = heed_store_outbox_by_key(s, key, &m, err);
	if (rc == HEED_OK) {
		*msg_id = m.id;
		if (strcmp(m.status, "skipped") == 0) {
			heed_seterr(err, "skipped: %s", m.last_error ? m.last_error : "(no reason recorded)");
			rc = HEED_ESKIPPED;
		}
	}
	heed_outmsg_clear(&m);
	return rc;
}

/* Record m (queued or skipped) under its key in one transaction that first
 * looks the key up again, so two processes queueing at once make one message.
 * The daily cap is not checked here: it limits hand-overs (deliver). */
static int record(heed_store *s, heed_outmsg *m, int64_t *msg_id, char **err)
{
	int own = !heed_store_in_txn(s); /* else the caller's transaction covers it */
	int rc = own ? heed_store_begin(s, err) : HEED_OK;
	if (rc != HEED_OK)
		return rc;
	rc = existing(s, m->key, msg_id, err);
	if (rc != HEED_ENOTFOUND) {
		if (own)
			heed_store_rollback(s);
		return rc;
	}
	rc = heed_store_outbox_insert(s, m, err);
	if (own && rc == HEED_OK)
		rc = heed_store_commit(s, err);
	else if (own)
		heed_store_rollback(s);
	if (rc == HEED_OK) {
		*msg_id = m->id;
		if (strcmp(m->status, "skipped") == 0) {
			heed_seterr(err, "skipped: %s", m->last_error);
			rc = HEED_ESKIPPED;
		}
	}
	return rc;
}

static int check_key(const char *key, const char *tmpl, char **err)
{
	if (heed_empty(key) || heed_empty(tmpl)) {
		heed_seterr(err, "mail: the %s is empty", heed_empty(key) ? "idempotency key" : "template name");
		return HEED_EUSAGE;
	}
	return HEED_OK;
}

int heed_mail_queue(heed_store *s, heed_plugins *p, int64_t contact, const char *tmpl,
                    const char *payload, const char *key, int64_t *msg_id, char **err)
{
	heed_mail_config cfg;
	heed_contact c;
	heed_rendered r = { 0 };
	heed_outmsg m = { 0 };
	char *why = NULL, *email = NULL;
	*msg_id = 0;
	heed_contact_init(&c);
	int rc = check_key(key, tmpl, err);
	if (rc != HEED_OK)
		return rc;
	rc = existing(s, key, msg_id, err);
	if (rc != HEED_ENOTFOUND)
		return rc;
	rc = heed_mail_config_load(s, &cfg, err);
	if (rc != HEED_OK)
		return rc;
	m = (heed_outmsg){ .key = (char *)key, .tmpl = (char *)tmpl, .contact = contact,
	                   .sender = cfg.from, .created_at = heed_time_now() };
	why = blocked(s, contact, &email, &rc, err);
	if (rc != HEED_OK)
		goto done;
	m.rcpt = email;
	if (why) {
		m.status = "skipped";
		m.last_error = why;
		m.done_at = m.created_at;
		rc = record(s, &m, msg_id, err);
		goto done;
	}
	rc = heed_store_load(s, contact, 0, &c, err);
	if (rc == HEED_OK)
		rc = heed_plugins_render(p, tmpl, &c, payload, &r, err);
	if (rc != HEED_OK)
		goto done;
	m.subject = r.subject;
	m.status = "queued";
	m.next_at = m.created_at;
	compose(&cfg, &m, &r);
	rc = record(s, &m, msg_id, err);
done:
	free(why);
	free(email);
	free(m.message);
	free(m.message_id);
	heed_rendered_clear(&r);
	heed_contact_clear(&c);
	heed_mail_config_clear(&cfg);
	return rc;
}

/* ---- delivery ---- */

/* Crash points for the tests: HEED_CRASH=NAME[:N] dies like kill -9 would at
 * the Nth (default first) time this process passes point NAME. */
static void crash_point(const char *name)
{
	static long passed;
	const char *want = getenv("HEED_CRASH");
	size_t n = strlen(name);
	if (!want || strncmp(want, name, n) != 0 || (want[n] != '\0' && want[n] != ':'))
		return;
	long at = want[n] == ':' ? strtol(want + n + 1, NULL, 10) : 1;
	if (++passed >= at) {
		fflush(NULL);
		raise(SIGKILL);
	}
}

/* A message not queued: what deliver says about it. */
static int settled(const heed_outmsg *m, char **err)
{
	if (strcmp(m->status, "sent") == 0 || strcmp(m->status, "sending") == 0)
		return HEED_OK; /* handed over already: never again */
	if (strcmp(m->status, "skipped") == 0) {
		heed_seterr(err, "skipped: %s", m->last_error ? m->last_error : "(no reason recorded)");
		return HEED_ESKIPPED;
	}
	heed_seterr(err, "message %lld failed: %s", (long long)m->id, m->last_error ? m->last_error : "?");
	return HEED_ERR;
}

/* 1 if a server's refusal says the mailbox does not exist or cannot take
 * mail (a 5xx reply with enhanced status 5.1.x or 5.2.1): a hard bounce. */
static int hard_bounce(const char *reply)
{
	const char *p = strstr(reply, ": 5");
	if (!p || p[2] < '0' || p[2] > '9')
		return 0;
	const char *x = p + 5; /* past ": 5NN" */
	if (*x == ' ' || *x == '-')
		x++;
	return strncmp(x, "5.1.", 4) == 0 || strncmp(x, "5.2.1", 5) == 0;
}

/* A hard bounce becomes the contact's `bounce` event: no more email to it. */
static int record_bounce(heed_store *s, const heed_outmsg *m, heed_time now, const char *reply, char **err)
{
	heed_buf d = { 0 };
	heed_buf_adds(&d, "{\"message_id\":");
	heed_json_str(&d, m->message_id);
	heed_buf_adds(&d, ",\"reply\":");
	heed_json_str(&d, reply);
	heed_buf_addc(&d, '}');
	int rc = heed_store_add_activity(s, m->contact, "bounce", now, d.s, err);
	heed_buf_free(&d);
	return rc;
}

/* Record the transport's outcome `res` (with message msg) of message m. */
static int outcome(heed_store *s, const heed_mail_config *cfg, const heed_outmsg *m, int attempts, int res,
                   const char *msg, char **err)
{
	heed_time now = heed_time_now();
	if (res == HEED_SENT)
		return heed_store_outbox_finish(s, m->id, "sent", now, 0, NULL, err);
	if (res == HEED_SEND_RETRY && attempts < cfg->max_attempts) {
		long wait = cfg->backoff;
		for (int i = 1; i < attempts && wait < 86400; i++)
			wait *= 2;
		heed_time next = now + wait;
		char *e = xasprintf("attempt %d of %d: %s", attempts, cfg->max_attempts, msg);
		int rc = heed_store_outbox_finish(s, m->id, "queued", now, next, e, err);
		char ts[24];
		heed_time_format(next, ts);
		if (rc == HEED_OK) {
			heed_seterr(err, "message %lld to %s: %s; retry at %s", (long long)m->id, m->rcpt, e, ts);
			rc = HEED_ERETRY;
		}
		free(e);
		return rc;
	}
	char *e = res == HEED_SEND_RETRY ? xasprintf("gave up after %d attempts: %s", attempts, msg)
	                                 : xstrdup(msg);
	int rc = heed_store_outbox_finish(s, m->id, "failed", now, 0, e, err);
	if (rc == HEED_OK && res == HEED_SEND_FAIL && m->contact > 0 && hard_bounce(msg))
		rc = record_bounce(s, m, now, msg, err);
	if (rc == HEED_OK) {
		heed_seterr(err, "message %lld to %s failed: %s", (long long)m->id, m->rcpt, e);
		rc = HEED_ERR;
	}
	free(e);
	return rc;
}

/* Skip queued message m for reason why (when no other process took it first). */
static int skip(heed_store *s, const heed_outmsg *m, const char *why, char **err)
{
	int done = 0;
	int rc = heed_store_outbox_skip(s, m->id, heed_time_now(), why, &done, err);
	if (rc == HEED_OK && done) { /* else another process took it first */
		heed_seterr(err, "skipped: %s", why);
		rc = HEED_ESKIPPED;
	}
	return rc;
}

/* The start of last_error on a message the daily cap put off (heed_mail_deferred). */
#define DEFERRED "deferred: the daily cap"

/* The daily cap is reached: message id (0: every due message) waits for the
 * next UTC day. HEED_ERETRY with the reason in *err. OUT: *n messages put off. */
static int defer(heed_store *s, const heed_mail_config *cfg, int64_t id, heed_time now, long *n, char **err)
{
	heed_time next = utc_day(now) + 86400;
	char ts[24];
	heed_time_format(next, ts);
	char *why = xasprintf(DEFERRED " of %ld messages is reached; it goes out from %s (UTC)",
	                      cfg->daily_cap, ts);
	int rc = heed_store_outbox_defer(s, id, now, next, why, n, err);
	if (rc == HEED_OK) {
		if (id > 0)
			heed_seterr(err, "message %lld %s", (long long)id, why);
		else
			heed_seterr(err, "%s", why);
		rc = HEED_ERETRY;
	}
	free(why);
	return rc;
}

/* heed_mail_deliver; OUT: *handed = 1 when this call handed the message over,
 * *capped = 1 when the daily cap put it off to the next day. */
static int deliver(heed_store *s, const heed_mail_config *cfg, heed_transport *t, int64_t msg_id,
                   int *handed, int *capped, char **err)
{
	heed_outmsg m;
	char *why = NULL, *email = NULL, *msg = NULL;
	int claimed = 0;
	if (heed_store_in_txn(s)) { /* the record before the hand-over must be on disk first */
		heed_seterr(err, "mail: message %lld: deliver outside a transaction (the hand-over is"
		                 " recorded before it happens)", (long long)msg_id);
		return HEED_EUSAGE;
	}
	int rc = heed_store_outbox_get(s, msg_id, &m, err);
	if (rc != HEED_OK)
		return rc;
	if (strcmp(m.status, "queued") != 0) {
		rc = settled(&m, err);
		goto done;
	}
	heed_time now = heed_time_now();
	if (m.next_at > now) { /* put off (the cap, a retry's backoff): not yet */
		char ts[24];
		heed_time_format(m.next_at, ts);
		heed_seterr(err, "message %lld is due at %s: %s", (long long)m.id, ts,
		            m.last_error ? m.last_error : "not yet");
		rc = HEED_ERETRY;
		goto done;
	}
	/* the rules again: the contact may have changed since; with no contact
	 * (deleted, or merged away) nothing says it may still be emailed */
	if (m.contact <= 0) {
		why = xasprintf("message %lld has no contact any more (deleted or merged away since it was"
		                " queued)", (long long)m.id);
		rc = skip(s, &m, why, err);
		goto done;
	}
	why = blocked(s, m.contact, &email, &rc, err);
	if (rc == HEED_OK && why)
		rc = skip(s, &m, why, err);
	if (rc != HEED_OK || why)
		goto done;
	/* before the hand-over: from here on this message is never handed over again */
	rc = heed_store_outbox_claim(s, m.id, now, cfg->transport, cfg->daily_cap, utc_day(now), &claimed, err);
	if (rc == HEED_OK && !claimed && cfg->daily_cap > 0) {
		heed_outmsg cur;
		rc = heed_store_outbox_get(s, m.id, &cur, err);
		if (rc == HEED_OK && strcmp(cur.status, "queued") == 0) { /* not taken: the cap */
			long n = 0;
			*capped = 1;
			rc = defer(s, cfg, m.id, now, &n, err);
		}
		heed_outmsg_clear(&cur);
	}
	if (rc != HEED_OK || !claimed)
		goto done; /* another process took it, or the cap put it off */
	*handed = 1;
	crash_point("mail.before_send");
	char *name = xasprintf("%s-%08lld", cfg->stem, (long long)m.id);
	heed_envelope e = { .from = m.sender, .to = m.rcpt, .message = m.message,
	                    .len = m.message ? strlen(m.message) : 0, .name = name };
	int res = heed_transport_send(t, &e, &msg);
	free(name);
	crash_point("mail.after_send");
	rc = outcome(s, cfg, &m, m.attempts + 1, res, msg ? msg : "unknown error", err);
done:
	free(why);
	free(email);
	free(msg);
	heed_outmsg_clear(&m);
	return rc;
}

int heed_mail_deliver(heed_store *s, const heed_mail_config *cfg, int64_t msg_id, char **err)
{
	int handed = 0, capped = 0;
	heed_transport *t = heed_transport_open(cfg);
	int rc = deliver(s, cfg, t, msg_id, &handed, &capped, err);
	heed_transport_close(t);
	return rc;
}

int heed_mail_deferred(const struct heed_outmsg *m)
{
	return strcmp(m->status, "queued") == 0 && m->last_error &&
	       strncmp(m->last_error, DEFERRED, strlen(DEFERRED)) == 0;
}

int heed_mail_deliver_due(heed_store *s, const heed_mail_config *cfg, long limit, long *sent,
                          long *deferred, long *retry, long *failed, char **err)
{
	int64_t *ids = NULL;
	size_t n = 0;
	long ns = 0, nd = 0, nr = 0, nf = 0;
	heed_time now = heed_time_now();
	int rc = heed_store_outbox_due(s, now, limit, &ids, &n, err);
	heed_transport *t = heed_transport_open(cfg);
	for (size_t i = 0; rc == HEED_OK && i < n; i++) {
		char *e = NULL;
		int handed = 0, capped = 0;
		int r = deliver(s, cfg, t, ids[i], &handed, &capped, &e);
		if (r == HEED_OK)
			ns += handed; /* not the ones another process took meanwhile */
		else if (r == HEED_ERETRY && capped)
			nd++;
		else if (r == HEED_ERETRY)
			nr++;
		else if (r == HEED_ERR || r == HEED_ESKIPPED)
			nf++;
		else
			rc = r, heed_seterr(err, "%s", e ? e : "delivery failed");
		free(e);
		if (capped && rc == HEED_OK) { /* the rest wait for the next day too: one statement */
			long moved = 0;
			e = NULL;
			r = defer(s, cfg, 0, now, &moved, &e);
			if (r == HEED_ERETRY)
				nd += moved;
			else
				rc = r, heed_seterr(err, "%s", e ? e : "outbox defer failed");
			free(e);
			break;
		}
	}
	heed_transport_close(t);
	free(ids);
	if (sent)
		*sent = ns;
	if (deferred)
		*deferred = nd;
	if (retry)
		*retry = nr;
	if (failed)
		*failed = nf;
	return rc;
}
