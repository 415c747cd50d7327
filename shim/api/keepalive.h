/*
 * keepalive.h - what keepalive.c offers the interposed calls besides
 * tcp_keepalive() and tcp_user_timeout(): the settings of the
 * environment, for every new TCP socket.
 */
#ifndef SHIM_API_KEEPALIVE_H
#define SHIM_API_KEEPALIVE_H

/*
 * TCPSHIM_KEEPALIVE and TCPSHIM_USER_TIMEOUT, on a new TCP socket.
 * Accepted sockets inherit them from their listener.  Preserves errno.
 */
void keepalive_apply_policy(int fd);

#endif
