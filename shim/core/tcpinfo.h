/*
 * tcpinfo.h - what a connection's TCP_INFO says, in the terms the
 * classifier takes.  The struct comes from getsockopt(TCP_INFO) in the
 * library and from sock_diag's INET_DIAG_INFO in the command; the rules
 * are the same for both.
 *
 * Inline: the library reads TCP_INFO at every close of a connection, and
 * a call there would cost each close a few instructions.
 */
#ifndef SHIM_CORE_TCPINFO_H
#define SHIM_CORE_TCPINFO_H

#include <linux/tcp.h>
#include <stdint.h>

#include "core/classify.h"

/*
 * Into o, what info (of a socket in tcpi_state state, -1 if the kernel
 * gave no TCP_INFO and info is zero) tells the classifier: probes and
 * retransmissions unanswered, the silence before our last data, the idle
 * time, the bytes received, whether a segment ever came back, and a
 * disconnect on this host (the kernel's counters cleared).  o->state is
 * set; flags, err and unacked are the caller's.
 */
static inline void tcpinfo_observe(struct observation *o, int state,
				   const struct tcp_info *info)
{
	o->state = state;
	o->probes = info->tcpi_probes;
	o->retransmits = info->tcpi_retransmits;
	o->silence_ms = (int64_t)info->tcpi_last_ack_recv -
			(int64_t)info->tcpi_last_data_sent;
	o->idle_ms = info->tcpi_last_data_recv;
	o->kernel_received = info->tcpi_bytes_received;
	o->answered = info->tcpi_segs_in > 0;
	o->disconnected = state >= 0 && info->tcpi_segs_in == 0 &&
			  info->tcpi_segs_out == 0;
}

/*
 * Bytes sent and not acknowledged, from queued, the bytes in the send
 * queue (SIOCOUTQ, or sock_diag's idiag_wqueue), which counts the unsent
 * ones too: TCP_INFO says how many those are.
 */
static inline int64_t tcpinfo_unacked(int64_t queued,
				      const struct tcp_info *info)
{
	return queued >= (int64_t)info->tcpi_notsent_bytes
		       ? queued - (int64_t)info->tcpi_notsent_bytes
		       : 0;
}

/*
 * Bytes the program handed to the kernel: those that went out, once
 * each (retransmissions not counted again), and those still waiting to
 * go.
 */
static inline uint64_t tcpinfo_sent(const struct tcp_info *info)
{
	uint64_t once = info->tcpi_bytes_sent > info->tcpi_bytes_retrans
				? info->tcpi_bytes_sent -
					  info->tcpi_bytes_retrans
				: 0;

	return once + info->tcpi_notsent_bytes;
}

#endif
