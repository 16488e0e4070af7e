/* watch: tells a long-running heed (REPL, daemon) when the plugin folder
 * changed, so it can call heed_plugins_refresh between calls. Uses inotify on
 * the folder (and its lib/ subfolder), or polls a signature of the folder's
 * files where inotify is missing (or HEED_WATCH_POLL=1). Owns its fd. */
#ifndef HEED_WATCH_H
#define HEED_WATCH_H

typedef struct heed_watch heed_watch;

/* Start watching dir. NULL with *err when dir cannot be read. Free with heed_watch_close. */
heed_watch *heed_watch_open(const char *dir, char **err);
void heed_watch_close(heed_watch *w);

/* A descriptor that becomes readable when something changed (inotify), for a
 * poll()/select() loop; -1 when polling: then call heed_watch_changed every
 * heed_watch_interval() ms. */
int heed_watch_fd(const heed_watch *w);
/* How often a loop should look when there is no fd, in ms (also a sane poll timeout). */
int heed_watch_interval(const heed_watch *w);
/* 1 if a plugin file changed since the last call (drains pending events; never
 * blocks), else 0. */
int heed_watch_changed(heed_watch *w);
/* Block up to timeout_ms (-1 = forever) for a change: 1 changed, 0 timed out. */
int heed_watch_wait(heed_watch *w, int timeout_ms);

#endif
