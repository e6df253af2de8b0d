/*
 * progress - see progress.h.
 */
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

void progress_on_tty(void *ctx, uint64_t done, uint64_t total)
{
    if (!isatty(STDERR_FILENO))
        return;
    const char *what = ctx ? ctx : "working";
    unsigned pct = total ? (unsigned)(done * 100 / total) : 100;
    fprintf(stderr, "\r%s: %" PRIu64 " of %" PRIu64 " entries (%u %%)", what,
            done, total, pct);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}
