/*
 * notify - systemd's readiness protocol, through libsystemd's sd_notify:
 * "READY=1" (or "STOPPING=1") to the socket named by $NOTIFY_SOCKET. Under
 * Type=notify systemd considers jifend started only once the ledger is open
 * and the socket bound, so units ordered after it never see connection
 * refused.
 */
#ifndef JIFEN_NOTIFY_H
#define JIFEN_NOTIFY_H

/* Sends `state` when NOTIFY_SOCKET is set. 0 when sent or not asked for,
 * -1 when sending failed (logged; the daemon carries on). */
int notify_send(const char *state);

#endif
