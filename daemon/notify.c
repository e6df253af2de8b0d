/*
 * notify - see notify.h. libsystemd's sd_notify does the protocol (the
 * socket path or abstract name in $NOTIFY_SOCKET, one datagram); this module
 * is the one place that includes it.
 */
#include "notify.h"

#include "log.h"

#include <string.h>
#include <systemd/sd-daemon.h>

int notify_send(const char *state)
{
    /* 0: no NOTIFY_SOCKET (not under systemd), > 0: sent. The variable
     * stays set: both READY=1 and STOPPING=1 go to the same socket. */
    int r = sd_notify(0, state);
    if (r >= 0)
        return 0;
    log_warn("notify %s: %s", state, strerror(-r));
    return -1;
}
