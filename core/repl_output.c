/* repl_output: what an interactive command prints is collected in a
 * temporary file, then shown as is when it fits the screen, through $PAGER
 * when it does not, or cut with a count of the lines left out when there is
 * no pager. Colour only on a terminal and never with NO_COLOR. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "repl_int.h"
#include "util.h"

static FILE *collected; /* where stdout goes while a command runs */
static int saved_stdout = -1;

void repl_output_size(int *cols, int *rows)
{
	struct winsize ws;
	*cols = 80;
	*rows = 24;
	int fd = saved_stdout >= 0 ? saved_stdout : STDOUT_FILENO;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

void repl_output_begin(repl *r)
{
	if (!r->interactive || collected)
		return;
	int cols, rows;
	repl_output_size(&cols, &rows);
	heed_report_set_width((size_t)cols);
	fflush(stdout);
	collected = tmpfile();
	if (!collected)
		return; /* no temporary file: print straight to the terminal */
	saved_stdout = dup(STDOUT_FILENO);
	if (saved_stdout < 0 || dup2(fileno(collected), STDOUT_FILENO) < 0) {
		fclose(collected);
		collected = NULL;
	}
}

static void copy_lines(FILE *in, FILE *out, long max)
{
	char buf[4096];
	long lines = 0;
	while (fgets(buf, sizeof buf, in)) {
		size_t n = strlen(buf);
		if (max >= 0 && lines >= max)
			break;
		fwrite(buf, 1, n, out);
		lines += n && buf[n - 1] == '\n';
	}
}

void repl_output_end(repl *r)
{
	(void)r;
	if (!collected)
		return;
	fflush(stdout);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	saved_stdout = -1;
	long lines = 0;
	int c, last = '\n';
	rewind(collected);
	while ((c = getc(collected)) != EOF)
		lines += (last = c) == '\n';
	lines += last != '\n';
	rewind(collected);
	int cols, rows;
	repl_output_size(&cols, &rows);
	const char *pager = getenv("PAGER");
	if (lines < rows - 1) {
		copy_lines(collected, stdout, -1);
	} else if (!heed_empty(pager)) {
		fflush(stdout);
		void (*old)(int) = signal(SIGPIPE, SIG_IGN); /* the pager may quit early */
		FILE *p = popen(pager, "w");
		if (p) {
			copy_lines(collected, p, -1);
			pclose(p);
		} else {
			copy_lines(collected, stdout, -1);
		}
		signal(SIGPIPE, old);
	} else {
		long shown = rows > 4 ? rows - 3 : 1;
		copy_lines(collected, stdout, shown);
		printf("… %ld more lines (set PAGER to page through them, or .export to a file)\n",
		       lines - shown);
	}
	fflush(stdout);
	fclose(collected);
	collected = NULL;
}

void repl_output_error(repl *r, const char *msg)
{
	const char *p = msg ? msg : "failed";
	do {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		if (r->color)
			fprintf(stderr, "\033[31mheed:\033[0m %.*s\n", len, p);
		else
			fprintf(stderr, "heed: %.*s\n", len, p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}
