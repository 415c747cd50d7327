/*
 * sockdiag.h - what the kernel still holds of a connection, looked up by
 * its addresses and cookie after its descriptors are gone.
 */
#ifndef SHIM_OS_SOCKDIAG_H
#define SHIM_OS_SOCKDIAG_H

#include <stdint.h>
#include <sys/socket.h>

/* Stands for "any cookie" where the kernel gave none. */
#define SOCKDIAG_ANY_COOKIE UINT64_MAX

/* What the kernel holds under those addresses. */
struct sockdiag_found {
	int state;		/* tcpi_state numbering */
	unsigned int inode;	/* of the socket's file; 0 when no file
				 * refers to it (TIME-WAIT, orphaned) */
};

/*
 * Look up the socket with these addresses and this cookie, bound to
 * interface ifindex (0: none): 1 when found (into *found), 0 when the
 * kernel holds no such socket, -1 when it cannot be asked.  Preserves
 * errno.
 */
int sockdiag_find(const struct sockaddr_storage *local,
		  const struct sockaddr_storage *peer, uint64_t cookie,
		  int ifindex, struct sockdiag_found *found);

#endif
