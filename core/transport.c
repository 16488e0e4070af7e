/* transport: the file, sendmail and smtp transports (see transport.h). Each
 * returns whether the message was handed over, is worth another try, or was
 * refused for good, with the reason; the caller records it. */
#include "transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* ---- file ---- */

/* mkdir -p path. */
static int make_dir(const char *path)
{
	char *p = xstrdup(path);
	int ok = 1;
	for (char *q = p + 1; ok && *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			ok = 0;
		*q = '/';
	}
	if (ok && mkdir(p, 0777) != 0 && errno != EEXIST)
		ok = 0;
	free(p);
	return ok;
}

/* Write the message to DIR/.NAME.tmp, flush it to disk, link it as DIR/NAME.eml:
 * a reader of the folder sees whole messages only, and a file already there
 * (another store writing the same folder, say) is never overwritten: that is a
 * failed hand-over naming the file. */
struct heed_transport {
	const heed_mail_config *cfg;
	CURL *curl; /* smtp: kept between messages, so its connection is reused */
};

static int send_file(heed_transport *t, const heed_envelope *e, char **err)
{
	const heed_mail_config *cfg = t->cfg;
	char *tmp = xasprintf("%s/.%s.tmp", cfg->dir, e->name);
	char *dst = xasprintf("%s/%s.eml", cfg->dir, e->name);
	int rc = HEED_SEND_RETRY, fd = -1;
	if (!make_dir(cfg->dir)) {
		heed_seterr(err, "file transport: cannot create folder %s: %s", cfg->dir, strerror(errno));
		goto done;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		heed_seterr(err, "file transport: cannot create %s: %s", tmp, strerror(errno));
		goto done;
	}
	size_t off = 0;
	while (off < e->len) {
		ssize_t w = write(fd, e->message + off, e->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			heed_seterr(err, "file transport: cannot write %s: %s", tmp, strerror(errno));
			goto done;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		heed_seterr(err, "file transport: cannot write %s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (link(tmp, dst) != 0) {
		if (errno == EEXIST) {
			rc = HEED_SEND_FAIL;
			heed_seterr(err, "file transport: %s already exists (another store writing the same"
			                 " mail.dir %s?); not overwritten", dst, cfg->dir);
		} else {
			heed_seterr(err, "file transport: cannot link %s to %s: %s", tmp, dst, strerror(errno));
		}
		goto done;
	}
	rc = HEED_SENT;
done:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(dst);
	return rc;
}

/* ---- sendmail ---- */

/* Write all of buf to the non-blocking fd before the deadline. 1 = written,
 * 0 = the reader went away, -1 = the deadline passed (a command not reading). */
static int write_until(int fd, const char *buf, size_t n, time_t deadline)
{
	while (n) {
		time_t left = deadline - time(NULL);
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = poll(&p, 1, (int)(left > 1000 ? 1000000 : left * 1000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -1;
		ssize_t w = write(fd, buf, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return 0;
		buf += w;
		n -= (size_t)w;
	}
	return 1;
}

/* Read fd to its end into o (the first 2,000 bytes kept) until the deadline.
 * 1 if the end came in time. */
static int read_until(int fd, heed_buf *o, time_t deadline)
{
	char buf[512];
	for (;;) {
		time_t left = deadline - time(NULL);
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)(left > 1000 ? 1000000 : left * 1000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 1;
		if (o->len < 2000)
			heed_buf_add(o, buf, (size_t)r);
	}
}

/* The message with LF line ends, as local mail programs expect. Caller frees. */
static char *lf_message(const heed_envelope *e, size_t *n)
{
	char *out = xmalloc(e->len + 1);
	size_t k = 0;
	for (size_t i = 0; i < e->len; i++)
		if (!(e->message[i] == '\r' && i + 1 < e->len && e->message[i + 1] == '\n'))
			out[k++] = e->message[i];
	out[k] = '\0';
	*n = k;
	return out;
}

/* Pipe the message to `sh -c cfg->sendmail`; its output is kept for the error.
 * Exit 0 = handed over, 75 (EX_TEMPFAIL) = retry, anything else = failed. */
static int send_sendmail(heed_transport *t, const heed_envelope *e, char **err)
{
	const heed_mail_config *cfg = t->cfg;
	int in[2], out[2];
	if (pipe(in) != 0)
		goto sys;
	if (pipe(out) != 0) {
		close(in[0]);
		close(in[1]);
		goto sys;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		goto sys;
	}
	if (pid == 0) {
		setpgid(0, 0); /* its own group, so a timeout kills whatever the shell started */
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execl("/bin/sh", "sh", "-c", cfg->sendmail, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old); /* a command that exits early must not kill us */
	size_t n;
	char *msg = lf_message(e, &n);
	time_t deadline = time(NULL) + cfg->timeout;
	fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
	int wrote = write_until(in[1], msg, n, deadline);
	free(msg);
	close(in[1]);
	sigaction(SIGPIPE, &old, NULL);
	heed_buf o = { 0 };
	int status = 0, late = wrote < 0 || !read_until(out[0], &o, deadline);
	close(out[0]);
	if (late)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char *text = heed_trim((char *)heed_buf_str(&o));
	int rc = HEED_SENT;
	if (late) {
		/* it may have taken the message: sending again could deliver it twice */
		rc = HEED_SEND_FAIL;
		heed_seterr(err, "sendmail transport: '%s' did not finish within %ld s and was killed;"
		                 " outcome unknown (not retried)", cfg->sendmail, cfg->timeout);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && wrote == 1) {
		rc = HEED_SENT;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = HEED_SEND_FAIL;
		heed_seterr(err, "sendmail transport: '%s' exited before reading the whole message%s%s",
		            cfg->sendmail, *text ? ": " : "", text);
	} else if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status) == 75 ? HEED_SEND_RETRY : HEED_SEND_FAIL;
		heed_seterr(err, "sendmail transport: '%s' exited with status %d%s%s", cfg->sendmail,
		            WEXITSTATUS(status), *text ? ": " : "", text);
	} else {
		rc = HEED_SEND_FAIL;
		heed_seterr(err, "sendmail transport: '%s' was killed by signal %d", cfg->sendmail,
		            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	heed_buf_free(&o);
	return rc;
sys:
	heed_seterr(err, "sendmail transport: cannot run '%s': %s", cfg->sendmail, strerror(errno));
	return HEED_SEND_RETRY;
}

/* ---- smtp ---- */

typedef struct upload {
	const char *p;
	size_t left;
	int done;          /* the whole message was read by libcurl */
	heed_buf reply;    /* the server's last 4xx/5xx reply line (else its last line) */
	int bad;           /* reply holds a 4xx/5xx line */
} upload;

static size_t smtp_read(char *buf, size_t size, size_t nmemb, void *ud)
{
	upload *u = ud;
	size_t n = size * nmemb;
	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	if (n == 0)
		u->done = 1;
	return n;
}

/* Keep the server's refusal (the last 4xx/5xx line; libcurl's QUIT reply
 * comes after it), else the last line it sent. */
static int smtp_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	(void)h;
	upload *u = ud;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (size && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		size--;
	int bad = size >= 3 && (data[0] == '4' || data[0] == '5') && data[1] >= '0' && data[1] <= '9';
	if (size && (bad || !u->bad)) {
		heed_buf_reset(&u->reply);
		heed_buf_add(&u->reply, data, size);
		u->bad |= bad;
	}
	return 0;
}

static int curl_ready(void)
{
	static int state; /* 0 = not yet, 1 = ready, -1 = failed */
	if (state == 0)
		state = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 1 : -1;
	return state == 1;
}

static int smtp_classify(CURL *h, CURLcode res, upload *u, const char *errbuf, const char *url, char **err)
{
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (u->bad) /* the refusal's code, not that of the QUIT after it */
		code = strtol(heed_buf_str(&u->reply), NULL, 10);
	const char *reply = u->reply.len ? heed_buf_str(&u->reply) : NULL;
	const char *why = *errbuf ? errbuf : curl_easy_strerror(res);
	if (code >= 500) {
		heed_seterr(err, "smtp %s refused it: %s", url, reply ? reply : why);
		return HEED_SEND_FAIL;
	}
	if (code >= 400) {
		heed_seterr(err, "smtp %s deferred it: %s", url, reply ? reply : why);
		return HEED_SEND_RETRY;
	}
	if (u->done && (res == CURLE_OPERATION_TIMEDOUT || res == CURLE_RECV_ERROR || res == CURLE_GOT_NOTHING)) {
		/* the server may have taken it: sending again could deliver it twice */
		heed_seterr(err, "smtp %s: the connection failed after the message was sent, outcome unknown"
		                 " (not retried): %s", url, why);
		return HEED_SEND_FAIL;
	}
	if (res == CURLE_USE_SSL_FAILED || res == CURLE_LOGIN_DENIED || res == CURLE_PEER_FAILED_VERIFICATION || res == CURLE_UNSUPPORTED_PROTOCOL ||
	    res == CURLE_URL_MALFORMAT) {
		heed_seterr(err, "smtp %s: %s", url, why);
		return HEED_SEND_FAIL;
	}
	heed_seterr(err, "smtp %s: %s", url, why);
	return HEED_SEND_RETRY;
}

static int send_smtp(heed_transport *t, const heed_envelope *e, char **err)
{
	const heed_mail_config *cfg = t->cfg;
	if (!t->curl && curl_ready())
		t->curl = curl_easy_init();
	CURL *h = t->curl;
	if (!h) {
		heed_seterr(err, "smtp transport: libcurl failed to initialise");
		return HEED_SEND_RETRY;
	}
	curl_easy_reset(h); /* the options of the last message go; its open connection stays */
	char errbuf[CURL_ERROR_SIZE] = "";
	char *from = xasprintf("<%s>", e->from), *to = xasprintf("<%s>", e->to);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	upload u = { .p = e->message, .left = e->len };
	curl_easy_setopt(h, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)e->len);
	curl_easy_setopt(h, CURLOPT_USE_SSL, strcmp(cfg->tls, "require") == 0 ? (long)CURLUSESSL_ALL
	                                     : strcmp(cfg->tls, "none") == 0  ? (long)CURLUSESSL_NONE
	                                                                      : (long)CURLUSESSL_TRY);
	if (cfg->smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->smtp_password ? cfg->smtp_password : "");
	}
	if (cfg->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cfg->timeout < 10 ? cfg->timeout : 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, smtp_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &u);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	CURLcode res = curl_easy_perform(h);
	int rc = res == CURLE_OK ? HEED_SENT : smtp_classify(h, res, &u, errbuf, cfg->smtp_url, err);
	curl_slist_free_all(rcpt);
	heed_buf_free(&u.reply);
	free(from);
	free(to);
	return rc;
}

/* ---- dispatch ---- */

static const struct transport {
	const char *name;
	int (*send)(heed_transport *, const heed_envelope *, char **);
} transports[] = {
	{ "file", send_file },
	{ "sendmail", send_sendmail },
	{ "smtp", send_smtp },
};

int heed_transport_known(const char *name)
{
	for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++)
		if (heed_streq(name, transports[i].name))
			return 1;
	return 0;
}

heed_transport *heed_transport_open(const heed_mail_config *cfg)
{
	heed_transport *t = xcalloc(1, sizeof *t);
	t->cfg = cfg;
	return t;
}

void heed_transport_close(heed_transport *t)
{
	if (!t)
		return;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	free(t);
}

int heed_transport_send(heed_transport *t, const heed_envelope *e, char **err)
{
	const heed_mail_config *cfg = t->cfg;
	if (!e->to || !e->message) {
		heed_seterr(err, "%s transport: the message has no recipient or text", cfg->transport);
		return HEED_SEND_FAIL;
	}
	for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++)
		if (heed_streq(cfg->transport, transports[i].name))
			return transports[i].send(t, e, err);
	heed_seterr(err, "unknown transport '%s' (file, sendmail or smtp)", cfg->transport);
	return HEED_SEND_FAIL;
}
