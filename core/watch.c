/* watch: change notification for the plugin folder (see watch.h): inotify
 * where the kernel has it, else a polled signature of the folder's *.lua files
 * (names, sizes, mtimes, inodes). Events settle for a moment before they are
 * reported, so an editor's write-then-rename shows as one change. */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#if defined(__linux__)
#include <sys/inotify.h>
#define HAVE_INOTIFY 1
#else
#define HAVE_INOTIFY 0
#endif

enum { WATCH_POLL_MS = 250, WATCH_SETTLE_MS = 30 };

struct heed_watch {
	char *dir, *lib;
	int fd;             /* inotify descriptor, or -1 when polling */
	uint64_t sig;       /* polling: signature at the last look */
};

/* FNV-1a over bytes. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* Order-independent signature of dir's *.lua files. */
static uint64_t dir_sig(const char *dir)
{
	uint64_t sum = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n <= 4 || strcmp(e->d_name + n - 4, ".lua") != 0)
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) == 0) {
			long long v[5] = {(long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			                  (long long)st.st_mtim.tv_nsec, (long long)st.st_dev};
			uint64_t h = mix(14695981039346656037ull, e->d_name, n);
			sum += mix(h, v, sizeof v);
		}
		free(path);
	}
	closedir(d);
	return sum;
}

static uint64_t poll_sig(const heed_watch *w)
{
	return dir_sig(w->dir) * 31 + dir_sig(w->lib);
}

heed_watch *heed_watch_open(const char *dir, char **err)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		heed_seterr(err, "cannot watch plugin directory %s: %s", dir,
		            errno ? strerror(errno) : "not a directory");
		return NULL;
	}
	heed_watch *w = xcalloc(1, sizeof *w);
	w->dir = xstrdup(dir);
	w->lib = xasprintf("%s/lib", dir);
	w->fd = -1;
	const char *force = getenv("HEED_WATCH_POLL");
#if HAVE_INOTIFY
	if (!force || strcmp(force, "1") != 0) {
		w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB;
		if (w->fd >= 0 && inotify_add_watch(w->fd, dir, mask) < 0) {
			close(w->fd);
			w->fd = -1;
		}
		if (w->fd >= 0)
			(void)inotify_add_watch(w->fd, w->lib, mask); /* lib/ is optional */
	}
#else
	(void)force;
#endif
	if (w->fd < 0)
		w->sig = poll_sig(w);
	return w;
}

void heed_watch_close(heed_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w->lib);
	free(w);
}

int heed_watch_fd(const heed_watch *w)
{
	return w->fd;
}

int heed_watch_interval(const heed_watch *w)
{
	(void)w;
	return WATCH_POLL_MS;
}

/* Read every pending inotify event; 1 if there was one. */
static int drain(int fd)
{
	_Alignas(8) char buf[4096];
	int any = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			return any;
		any = 1;
	}
}

int heed_watch_changed(heed_watch *w)
{
	if (w->fd < 0) {
		uint64_t s = poll_sig(w);
		int changed = s != w->sig;
		w->sig = s;
		return changed;
	}
	if (!drain(w->fd))
		return 0;
	/* let a burst of events (write, rename) settle, then take them all */
	struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
	while (poll(&pfd, 1, WATCH_SETTLE_MS) > 0 && drain(w->fd))
		;
	return 1;
}

int heed_watch_wait(heed_watch *w, int timeout_ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (heed_watch_changed(w))
			return 1;
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long spent = (long)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (timeout_ms >= 0 && spent >= timeout_ms)
			return 0;
		int wait = w->fd >= 0 ? -1 : WATCH_POLL_MS;
		if (timeout_ms >= 0 && (wait < 0 || timeout_ms - spent < wait))
			wait = (int)(timeout_ms - spent);
		if (w->fd >= 0) {
			struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
			if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
				return 0;
		} else {
			struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000};
			nanosleep(&ts, NULL);
		}
	}
}
