/*
 * unit_classify.c - the rules that name an event and its cause (classify.c).
 *
 * Covers every branch of classify_error(): refused before and after the
 * connection was up; resets, and which peer reset (halfopen_reset when the
 * RST answered a keepalive probe or met our data after HALFOPEN_SILENCE_MS
 * without an ACK, else peer_reset), on both sides of that limit; EPIPE
 * with and without a reset behind it; ETIMEDOUT as a dead peer
 * (user_timeout, keepalive_timeout) or a bare failure; unreachable
 * networks; already reported connections.  Of classify_close(): listening,
 * connecting and closed sockets; a connect refused that no call revealed
 * (never established, a segment came back); a connection found in CLOSE that died
 * unnoticed (retransmissions ran out, all keepalive probes unanswered, or
 * a reset, named by the same rule as above); unread data over policy over
 * SO_LINGER {1, 0}; connections shared across fork; states where a
 * lingering close sends no RST.  And classify_wants(),
 * classify_state_resets().
 *
 * Why one file: the cases read as the classifier's rules in their order
 * of precedence, and classify_error() and classify_close() name a reset
 * by the same rules (which peer reset, a dead peer's signs), checked over
 * the same tables of states, flags and signs at the top.
 */
#include <check.h>
#include <errno.h>

#include "core/classify.h"
#include "core/conn.h"

#define NO_STATE (-1)

/*
 * The observation made of the facts named, every other field zero (no
 * flags, no errno, no probes, nothing unacknowledged; state 0 is no state
 * at all, so tests name it wherever it matters).  A check then reads as
 * one line of facts:
 *	classify_error(OBS(.flags = CONN_ESTABLISHED, .err = ECONNRESET,
 *			   .probes = 1))
 */
#define OBS(...) (&(const struct observation){ __VA_ARGS__ })

/* Every state tcpi_state can hold, and "unknown". */
static const int all_states[] = {
	TCPS_ESTABLISHED, TCPS_SYN_SENT, TCPS_SYN_RECV, TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2, TCPS_TIME_WAIT, TCPS_CLOSE, TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK, TCPS_LISTEN, TCPS_CLOSING, NO_STATE,
};
#define NSTATES (sizeof(all_states) / sizeof(*all_states))

/* The errors classify_wants() lets through. */
static const int wanted_errors[] = {
	ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ECONNABORTED,
	EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN,
};
#define NWANTED (sizeof(wanted_errors) / sizeof(*wanted_errors))

/* Flags that must not matter to the verdicts they are added to. */
static const unsigned int bystander_flags[] = {
	0, CONN_POLICY, CONN_RESET, CONN_LINGER0, CONN_SHARED,
	CONN_POLICY | CONN_LINGER0 | CONN_SHARED,
};
#define NBYSTANDERS (sizeof(bystander_flags) / sizeof(*bystander_flags))

/* Flags a connection may carry when a reset comes; none of them matter. */
static const unsigned int reset_flags[] = {
	0, CONN_ESTABLISHED, CONN_ESTABLISHED | CONN_SHUT_WR,
	CONN_ESTABLISHED | CONN_FAILED, CONN_RESET,
	CONN_ESTABLISHED | CONN_LINGER0 | CONN_SHARED,
};
#define NRESETFLAGS (sizeof(reset_flags) / sizeof(*reset_flags))

/*
 * What TCP_INFO can show of a peer that is gone: each of these alone makes
 * ETIMEDOUT on an established connection a halfopen event, and a death
 * found at close (CLOSE, no shutdown, no failure) a halfopen event or a
 * halfopen_reset (every_dead_peer_sign_is_an_event_when_unreported checks
 * that).  Tests copy one, name flags, errno and state, and show that
 * another rule wins over it.
 */
static const struct observation dead_peer_signs[] = {
	{ .probes = 1 },
	{ .probes = 9, .keepcnt = 9 },
	{ .probes = 3, .keepcnt = 0 },
	{ .unacked = 1, .silence_ms = HALFOPEN_SILENCE_MS },
	{ .retransmits = 1, .unacked = 1 },
	{ .retransmits = 15, .unacked = 4096, .silence_ms = 900000,
	  .idle_ms = 900000 },
};
#define NSIGNS (sizeof(dead_peer_signs) / sizeof(*dead_peer_signs))

static struct observation sign(size_t i, unsigned int flags, int err,
			       int state)
{
	struct observation o = dead_peer_signs[i];

	o.flags = flags;
	o.err = err;
	o.state = state;
	return o;
}

/*
 * An event of this kind and cause.  The connection remembers a reset
 * received (CONN_RESET) or a dead peer (CONN_DEAD); other events set no
 * flag.
 */
static void expect_event(struct verdict v, enum tcp_event_kind kind,
			 enum tcp_event_cause cause, const char *what)
{
	unsigned int set = kind == TCP_EVENT_RST_RECEIVED ? CONN_RESET
			   : kind == TCP_EVENT_HALFOPEN	  ? CONN_DEAD
							  : 0;

	ck_assert_msg(v.event == 1, "%s: no event", what);
	ck_assert_msg(v.kind == kind && v.cause == cause,
		      "%s: kind %d cause %d, expected kind %d cause %d", what,
		      v.kind, v.cause, kind, cause);
	ck_assert_msg(v.set_flags == set, "%s: sets flags 0x%x, expected 0x%x",
		      what, v.set_flags, set);
}

static void expect_nothing(struct verdict v, unsigned int set_flags,
			   const char *what)
{
	ck_assert_msg(v.event == 0, "%s: event kind %d cause %d", what,
		      v.kind, v.cause);
	ck_assert_msg(v.set_flags == set_flags,
		      "%s: sets flags 0x%x, expected 0x%x", what, v.set_flags,
		      set_flags);
}

static void expect_halfopen_reset(struct verdict v, const char *what)
{
	expect_event(v, TCP_EVENT_RST_RECEIVED, TCP_CAUSE_HALFOPEN_RESET, what);
}

static void expect_peer_reset(struct verdict v, const char *what)
{
	expect_event(v, TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET, what);
}

/* --- classify_wants --- */

START_TEST(wants_resets_timeouts_and_unreachable_errors)
{
	for (size_t i = 0; i < NWANTED; i++)
		ck_assert_msg(classify_wants(wanted_errors[i]) == 1,
			      "errno %d not wanted", wanted_errors[i]);
}
END_TEST

START_TEST(ignores_errors_that_say_nothing_of_the_peer)
{
	static const int ignored[] = {
		0, EAGAIN, EWOULDBLOCK, EINTR, EINPROGRESS, EALREADY,
		ENOTCONN, EISCONN, EBADF, ENOTSOCK, EINVAL, EFAULT, EMSGSIZE,
		ENOBUFS, ENOMEM, EACCES, EADDRINUSE, -1,
	};

	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		ck_assert_msg(classify_wants(ignored[i]) == 0,
			      "errno %d wanted", ignored[i]);
}
END_TEST

/* --- killed: torn down on this host --- */

START_TEST(killed_when_disconnected_here_or_destroyed)
{
	const unsigned int up = CONN_ESTABLISHED;

	/* Another holder disconnected it: ECONNRESET, counters cleared. */
	expect_event(classify_error(OBS(.flags = up, .err = ECONNRESET,
					.state = TCPS_CLOSE,
					.disconnected = 1)),
		     TCP_EVENT_RST_SENT, TCP_CAUSE_KILLED, "ECONNRESET");
	expect_event(classify_error(OBS(.flags = up, .err = EPIPE,
					.state = TCPS_CLOSE,
					.disconnected = 1)),
		     TCP_EVENT_RST_SENT, TCP_CAUSE_KILLED, "EPIPE");
	/* SOCK_DESTROY (ss -K). */
	expect_event(classify_error(OBS(.flags = up, .err = ECONNABORTED,
					.state = TCPS_CLOSE)),
		     TCP_EVENT_RST_SENT, TCP_CAUSE_KILLED, "ECONNABORTED");
	/* Found at close. */
	expect_event(classify_close(OBS(.flags = up, .state = TCPS_CLOSE,
					.disconnected = 1, .probes = 2)),
		     TCP_EVENT_RST_SENT, TCP_CAUSE_KILLED, "at close");
	/* A peer's reset leaves the counters: peer_reset, not killed. */
	expect_peer_reset(classify_error(OBS(.flags = up, .err = ECONNRESET,
					     .state = TCPS_CLOSE)),
			  "peer's reset");
	/* Never up, or not ended: no verdict on who did it. */
	expect_nothing(classify_error(OBS(.err = ECONNABORTED,
					  .state = TCPS_CLOSE)),
		       CONN_FAILED, "ECONNABORTED, never up");
	expect_nothing(classify_error(OBS(.flags = up, .err = ECONNABORTED,
					  .state = TCPS_LISTEN)),
		       CONN_FAILED, "ECONNABORTED on a listener");
}
END_TEST

/* --- classify_error: refused --- */

START_TEST(refused_before_established_is_rst_received_refused)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_event(classify_error(OBS(
					     .flags = bystander_flags[b],
					     .err = ECONNREFUSED,
					     .state = all_states[s])),
				     TCP_EVENT_RST_RECEIVED, TCP_CAUSE_REFUSED,
				     "ECONNREFUSED, not established");
}
END_TEST

START_TEST(refused_after_established_only_marks_failed)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_nothing(classify_error(OBS(
					       .flags = bystander_flags[b] |
							CONN_ESTABLISHED,
					       .err = ECONNREFUSED,
					       .state = all_states[s])),
				       CONN_FAILED,
				       "ECONNREFUSED, established");
}
END_TEST

START_TEST(refused_ignores_what_tcp_info_shows)
{
	for (size_t i = 0; i < NSIGNS; i++) {
		struct observation o = sign(i, 0, ECONNREFUSED, TCPS_CLOSE);

		expect_event(classify_error(&o), TCP_EVENT_RST_RECEIVED,
			     TCP_CAUSE_REFUSED,
			     "ECONNREFUSED, dead peer signs");
		o.flags = CONN_ESTABLISHED;
		expect_nothing(classify_error(&o), CONN_FAILED,
			       "ECONNREFUSED, established, dead peer signs");
	}
}
END_TEST

/* --- classify_error: ECONNRESET, which peer reset --- */

START_TEST(connreset_is_peer_reset_whatever_came_before)
{
	/* Nothing observed that says the peer lost the connection. */
	for (size_t f = 0; f < NRESETFLAGS; f++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_peer_reset(classify_error(OBS(
						  .flags = reset_flags[f],
						  .err = ECONNRESET,
						  .state = all_states[s])),
					  "ECONNRESET");
}
END_TEST

START_TEST(connreset_answering_keepalive_probe_is_halfopen_reset)
{
	for (size_t f = 0; f < NRESETFLAGS; f++)
		for (size_t s = 0; s < NSTATES; s++) {
			expect_halfopen_reset(classify_error(OBS(
				.flags = reset_flags[f], .err = ECONNRESET,
				.state = all_states[s], .probes = 1)),
				"ECONNRESET, a probe out");
			/* Probes say it even when ACKs came just now. */
			expect_halfopen_reset(classify_error(OBS(
				.flags = reset_flags[f], .err = ECONNRESET,
				.state = all_states[s], .probes = 5,
				.unacked = 1, .silence_ms = 10)),
				"ECONNRESET, 5 probes out, recent ACK");
		}
}
END_TEST

START_TEST(connreset_data_after_ack_silence_is_halfopen_reset)
{
	expect_halfopen_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = 1,
		.silence_ms = HALFOPEN_SILENCE_MS)),
		"ECONNRESET, 1 byte out, silence exactly the limit");
	expect_halfopen_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = 65536,
		.silence_ms = 3600000)),
		"ECONNRESET, 64 KiB out, an hour of silence");
	expect_halfopen_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = NO_STATE, .unacked = 1,
		.silence_ms = HALFOPEN_SILENCE_MS + 1, .retransmits = 2)),
		"ECONNRESET, data out, silence past the limit, retransmits");
}
END_TEST

START_TEST(connreset_data_before_silence_limit_is_peer_reset)
{
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = 1,
		.silence_ms = HALFOPEN_SILENCE_MS - 1)),
		"ECONNRESET, data out, silence 1 ms short of the limit");
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = 65536,
		.silence_ms = 0)),
		"ECONNRESET, data out, ACK just now");
	/* Retransmissions do not make a reset halfopen: the clock does. */
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = 1,
		.retransmits = 3, .silence_ms = HALFOPEN_SILENCE_MS - 1)),
		"ECONNRESET, data out, retransmits, silence short");
}
END_TEST

START_TEST(connreset_nothing_unacked_is_peer_reset_however_silent)
{
	/* A live peer that aborts while the connection idles. */
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = 0,
		.silence_ms = HALFOPEN_SILENCE_MS)),
		"ECONNRESET, nothing out, silence at the limit");
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = 0,
		.silence_ms = 3600000, .idle_ms = 3600000)),
		"ECONNRESET, nothing out, an hour idle");
	/* Unknown (SIOCOUTQ failed) is not "data out". */
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .unacked = -1,
		.silence_ms = 3600000)),
		"ECONNRESET, unacked unknown, an hour of silence");
}
END_TEST

START_TEST(connreset_with_probes_answered_is_peer_reset)
{
	/* Keepalive runs and is answered: the peer is there and aborts. */
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .probes = 0,
		.keepcnt = 9, .silence_ms = 500, .idle_ms = 7200000)),
		"ECONNRESET, probes answered, two hours without data");
	expect_peer_reset(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ECONNRESET, .state = TCPS_CLOSE, .probes = 0,
		.retransmits = 4)),
		"ECONNRESET, no probe out, retransmits, nothing out");
}
END_TEST

/* --- classify_error: EPIPE --- */

START_TEST(epipe_in_close_state_is_peer_reset)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		expect_peer_reset(classify_error(OBS(
					  .flags = bystander_flags[b] |
						   CONN_ESTABLISHED,
					  .err = EPIPE, .state = TCPS_CLOSE)),
				  "EPIPE in CLOSE");
}
END_TEST

/*
 * EPIPE means the RST came after the peer's FIN: the peer closed the
 * connection, so it knew it.  A probe or data after a silence changes
 * nothing: peer_reset.
 */
START_TEST(epipe_after_fin_is_peer_reset_even_answering_a_probe)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		expect_peer_reset(classify_error(OBS(
			.flags = bystander_flags[b] | CONN_ESTABLISHED,
			.err = EPIPE, .state = TCPS_CLOSE, .probes = 1)),
			"EPIPE in CLOSE, a probe out");
}
END_TEST

START_TEST(epipe_after_fin_is_peer_reset_even_after_silence)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		expect_peer_reset(classify_error(OBS(
			.flags = bystander_flags[b] | CONN_ESTABLISHED,
			.err = EPIPE, .state = TCPS_CLOSE, .unacked = 1,
			.silence_ms = HALFOPEN_SILENCE_MS)),
			"EPIPE in CLOSE, data out, silence at the limit");
}
END_TEST

START_TEST(epipe_in_close_data_before_silence_limit_is_peer_reset)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		expect_peer_reset(classify_error(OBS(
			.flags = bystander_flags[b] | CONN_ESTABLISHED,
			.err = EPIPE, .state = TCPS_CLOSE, .unacked = 1,
			.silence_ms = HALFOPEN_SILENCE_MS - 1)),
			"EPIPE in CLOSE, data out, silence 1 ms short");
}
END_TEST

START_TEST(epipe_in_close_idle_nothing_unacked_is_peer_reset)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		expect_peer_reset(classify_error(OBS(
			.flags = bystander_flags[b] | CONN_ESTABLISHED,
			.err = EPIPE, .state = TCPS_CLOSE, .unacked = 0,
			.silence_ms = 3600000, .idle_ms = 3600000)),
			"EPIPE in CLOSE, nothing out, an hour idle");
}
END_TEST

START_TEST(epipe_after_shut_wr_is_not_a_reset)
{
	for (size_t s = 0; s < NSTATES; s++)
		expect_nothing(classify_error(OBS(
				       .flags = CONN_ESTABLISHED | CONN_SHUT_WR,
				       .err = EPIPE, .state = all_states[s])),
			       0, "EPIPE after shutdown(SHUT_WR)");
}
END_TEST

START_TEST(epipe_after_another_failure_is_not_a_reset)
{
	for (size_t s = 0; s < NSTATES; s++)
		expect_nothing(classify_error(OBS(
				       .flags = CONN_ESTABLISHED | CONN_FAILED,
				       .err = EPIPE, .state = all_states[s])),
			       0, "EPIPE after a timeout");
}
END_TEST

START_TEST(epipe_outside_close_state_is_not_a_reset)
{
	for (size_t s = 0; s < NSTATES; s++) {
		if (all_states[s] == TCPS_CLOSE)
			continue;
		expect_nothing(classify_error(OBS(.flags = CONN_ESTABLISHED,
						  .err = EPIPE,
						  .state = all_states[s])),
			       0, "EPIPE not in CLOSE");
	}
}
END_TEST

START_TEST(epipe_that_proves_no_reset_ignores_dead_peer_signs)
{
	/* The reset rule names a reset; it never makes one of an EPIPE. */
	for (size_t i = 0; i < NSIGNS; i++) {
		struct observation o;

		o = sign(i, CONN_ESTABLISHED | CONN_SHUT_WR, EPIPE,
			 TCPS_CLOSE);
		expect_nothing(classify_error(&o), 0,
			       "EPIPE after shutdown, dead peer signs");
		o = sign(i, CONN_ESTABLISHED | CONN_FAILED, EPIPE, TCPS_CLOSE);
		expect_nothing(classify_error(&o), 0,
			       "EPIPE after a failure, dead peer signs");
		for (size_t s = 0; s < NSTATES; s++) {
			if (all_states[s] == TCPS_CLOSE)
				continue;
			o = sign(i, CONN_ESTABLISHED, EPIPE, all_states[s]);
			expect_nothing(classify_error(&o), 0,
				       "EPIPE not in CLOSE, dead peer signs");
		}
	}
}
END_TEST

/* --- classify_error: ETIMEDOUT and unreachable networks --- */

START_TEST(timeouts_and_unreachable_mark_failed_without_event)
{
	/* With nothing outstanding: no sign of how the peer went. */
	static const int errors[] = {
		ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN,
	};

	for (size_t e = 0; e < sizeof(errors) / sizeof(*errors); e++)
		for (size_t s = 0; s < NSTATES; s++) {
			expect_nothing(classify_error(OBS(
					       .flags = CONN_ESTABLISHED,
					       .err = errors[e],
					       .state = all_states[s])),
				       CONN_FAILED, "timeout, established");
			expect_nothing(classify_error(OBS(
					       .flags = 0,
					       .err = errors[e],
					       .state = all_states[s])),
				       CONN_FAILED, "timeout, never connected");
		}
}
END_TEST

START_TEST(timeout_with_data_unacked_is_halfopen_user_timeout)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_event(classify_error(OBS(
				.flags = bystander_flags[b] | CONN_ESTABLISHED,
				.err = ETIMEDOUT, .state = all_states[s],
				.unacked = 1)),
				TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
				"ETIMEDOUT, data out");
	expect_event(classify_error(OBS(
		.flags = CONN_ESTABLISHED | CONN_SHUT_WR, .err = ETIMEDOUT,
		.state = TCPS_CLOSE, .unacked = 1)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
		"ETIMEDOUT, data out after shutdown (the FIN too)");
}
END_TEST

START_TEST(timeout_after_retransmissions_is_halfopen_user_timeout)
{
	for (size_t s = 0; s < NSTATES; s++) {
		expect_event(classify_error(OBS(.flags = CONN_ESTABLISHED,
			.err = ETIMEDOUT, .state = all_states[s],
			.retransmits = 1)),
			TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
			"ETIMEDOUT, retransmits, nothing out");
		expect_event(classify_error(OBS(.flags = CONN_ESTABLISHED,
			.err = ETIMEDOUT, .state = all_states[s],
			.retransmits = 15, .unacked = -1)),
			TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
			"ETIMEDOUT, retransmits, unacked unknown");
	}
}
END_TEST

START_TEST(timeout_with_data_and_probes_out_is_user_timeout)
{
	expect_event(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ETIMEDOUT, .state = TCPS_CLOSE, .unacked = 100,
		.probes = 3)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
		"ETIMEDOUT, data and probes out");
	expect_event(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ETIMEDOUT, .state = TCPS_CLOSE, .retransmits = 2,
		.probes = 9, .keepcnt = 9)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
		"ETIMEDOUT, retransmits and every probe out");
}
END_TEST

START_TEST(timeout_with_only_probes_out_is_keepalive_timeout)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_event(classify_error(OBS(
				.flags = bystander_flags[b] | CONN_ESTABLISHED,
				.err = ETIMEDOUT, .state = all_states[s],
				.probes = 1)),
				TCP_EVENT_HALFOPEN,
				TCP_CAUSE_KEEPALIVE_TIMEOUT,
				"ETIMEDOUT, a probe out");
	/* keepcnt is read at close only; here probes alone decide. */
	expect_event(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ETIMEDOUT, .state = TCPS_CLOSE, .probes = 9,
		.keepcnt = 0, .silence_ms = 3600000, .idle_ms = 3600000)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT,
		"ETIMEDOUT, 9 probes out, an hour idle");
}
END_TEST

START_TEST(timeout_with_nothing_outstanding_only_marks_failed)
{
	expect_nothing(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ETIMEDOUT, .state = TCPS_CLOSE)),
		CONN_FAILED, "ETIMEDOUT, nothing out");
	expect_nothing(classify_error(OBS(.flags = CONN_ESTABLISHED,
		.err = ETIMEDOUT, .state = TCPS_CLOSE, .unacked = -1,
		.silence_ms = 3600000, .idle_ms = 3600000, .keepcnt = 9)),
		CONN_FAILED, "ETIMEDOUT, unacked unknown, an hour idle");
}
END_TEST

START_TEST(timeout_before_established_only_marks_failed)
{
	static const unsigned int flags[] = {
		0, CONN_RESET, CONN_RESET | CONN_POLICY | CONN_SHARED,
	};

	/* A SYN that went unanswered: no connection to call half-open. */
	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (size_t i = 0; i < NSIGNS; i++) {
			struct observation o = sign(i, flags[f], ETIMEDOUT,
						    TCPS_CLOSE);

			expect_nothing(classify_error(&o), CONN_FAILED,
				       "ETIMEDOUT, never established");
		}
}
END_TEST

START_TEST(unreachable_only_marks_failed_whatever_tcp_info_shows)
{
	static const int errors[] = {
		EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN,
	};

	for (size_t e = 0; e < sizeof(errors) / sizeof(*errors); e++)
		for (size_t i = 0; i < NSIGNS; i++) {
			struct observation o = sign(i, CONN_ESTABLISHED,
						    errors[e], TCPS_CLOSE);

			expect_nothing(classify_error(&o), CONN_FAILED,
				       "unreachable, dead peer signs");
		}
}
END_TEST

START_TEST(epipe_after_a_timeout_logs_nothing)
{
	struct observation o = {
		.flags = CONN_ESTABLISHED, .err = ETIMEDOUT,
		.state = TCPS_CLOSE,
	};
	struct verdict v;

	v = classify_error(&o);
	expect_nothing(v, CONN_FAILED, "ETIMEDOUT");
	o.flags |= v.set_flags;
	o.err = EPIPE;
	expect_nothing(classify_error(&o), 0, "EPIPE after ETIMEDOUT");
}
END_TEST

/* --- classify_error: reported connections --- */

START_TEST(reported_connection_gets_no_verdict_for_any_error)
{
	static const unsigned int flags[] = {
		CONN_REPORTED, CONN_REPORTED | CONN_ESTABLISHED,
		CONN_REPORTED | CONN_ESTABLISHED | CONN_FAILED,
		CONN_REPORTED | CONN_RESET,
	};

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (size_t e = 0; e < NWANTED; e++)
			for (size_t s = 0; s < NSTATES; s++)
				expect_nothing(classify_error(OBS(
						       .flags = flags[f],
						       .err = wanted_errors[e],
						       .state = all_states[s])),
					       0, "already reported");
}
END_TEST

START_TEST(reported_connection_gets_no_halfopen_verdict)
{
	/* Each of these is an event without CONN_REPORTED (see above). */
	for (size_t i = 0; i < NSIGNS; i++)
		for (size_t e = 0; e < NWANTED; e++)
			for (size_t s = 0; s < NSTATES; s++) {
				struct observation o = sign(
					i, CONN_REPORTED | CONN_ESTABLISHED,
					wanted_errors[e], all_states[s]);

				expect_nothing(classify_error(&o), 0,
					       "reported, dead peer signs");
			}
}
END_TEST

/* --- classify_close: sockets that never were connections --- */

START_TEST(close_of_listening_or_connecting_socket_is_silent)
{
	static const int states[] = { TCPS_LISTEN, TCPS_SYN_SENT };
	static const unsigned int flags[] = {
		0, CONN_POLICY, CONN_RESET, CONN_LINGER0,
		CONN_ESTABLISHED | CONN_LINGER0, CONN_SHUT_WR, CONN_SHARED,
	};

	for (size_t s = 0; s < 2; s++)
		for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
			for (int policy = 0; policy <= 1; policy++) {
				expect_nothing(classify_close(OBS(
						       .flags = flags[f],
						       .state = states[s],
						       .policy_abort = policy)),
					       0, "listen/syn_sent");
				expect_nothing(classify_close(OBS(
						       .flags = flags[f],
						       .state = states[s],
						       .unread = 10,
						       .policy_abort = policy)),
					       0, "listen/syn_sent, unread");
			}
}
END_TEST

START_TEST(close_in_close_state_never_established_is_silent)
{
	static const unsigned int flags[] = {
		0, CONN_RESET, CONN_SHUT_WR, CONN_LINGER0, CONN_FAILED,
	};

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (int policy = 0; policy <= 1; policy++) {
			expect_nothing(classify_close(OBS(
					       .flags = flags[f],
					       .state = TCPS_CLOSE, .unread = 5,
					       .policy_abort = policy)),
				       0, "CLOSE, never established");
			for (size_t i = 0; i < NSIGNS; i++) {
				struct observation o = sign(i, flags[f], 0,
							    TCPS_CLOSE);

				o.policy_abort = policy;
				expect_nothing(classify_close(&o), 0,
					       "CLOSE, never established, "
					       "dead peer signs");
			}
		}
}
END_TEST

/* A connect refused that the program never asked about: never
 * established, yet a segment (the RST) came back. */
START_TEST(close_of_connect_refused_unasked_is_refused)
{
	static const unsigned int flags[] = { 0, CONN_POLICY, CONN_LINGER0 };

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		expect_event(classify_close(OBS(.flags = flags[f],
						.state = TCPS_CLOSE,
						.answered = 1)),
			     TCP_EVENT_RST_RECEIVED, TCP_CAUSE_REFUSED,
			     "CLOSE, never established, answered");
	/* Timed out: no reset.  Reported, failed or shared: not this
	 * close's to tell. */
	expect_nothing(classify_close(OBS(.state = TCPS_CLOSE,
					  .answered = 0)),
		       0, "timed out: nothing came back");
	expect_nothing(classify_close(OBS(.flags = CONN_REPORTED,
					  .state = TCPS_CLOSE,
					  .answered = 1)),
		       0, "reported, answered");
	expect_nothing(classify_close(OBS(.flags = CONN_FAILED,
					  .state = TCPS_CLOSE,
					  .answered = 1)),
		       0, "failed, answered");
	expect_nothing(classify_close(OBS(.flags = CONN_SHARED,
					  .state = TCPS_CLOSE,
					  .answered = 1)),
		       0, "shared, ECONNREFUSED pending");
}
END_TEST

/* --- classify_close: found in CLOSE after a failure or a shutdown --- */

START_TEST(close_in_close_state_after_failure_is_silent)
{
	expect_nothing(classify_close(OBS(
			       .flags = CONN_ESTABLISHED | CONN_FAILED,
			       .state = TCPS_CLOSE)),
		       0, "CLOSE after timeout");
	expect_nothing(classify_close(OBS(
			       .flags = CONN_ESTABLISHED | CONN_FAILED |
					CONN_SHUT_WR,
			       .state = TCPS_CLOSE, .policy_abort = 1)),
		       0, "CLOSE after timeout and shutdown");
}
END_TEST

START_TEST(close_after_failure_is_silent_whatever_tcp_info_shows)
{
	/* The failure the program saw already said what happened. */
	for (size_t i = 0; i < NSIGNS; i++) {
		struct observation o = sign(i, CONN_ESTABLISHED | CONN_FAILED,
					    0, TCPS_CLOSE);

		expect_nothing(classify_close(&o), 0,
			       "CLOSE after a failure, dead peer signs");
	}
}
END_TEST

START_TEST(close_in_close_state_after_shutdown_is_normal_close)
{
	for (int policy = 0; policy <= 1; policy++) {
		expect_event(classify_close(OBS(
				     .flags = CONN_ESTABLISHED | CONN_SHUT_WR,
				     .state = TCPS_CLOSE,
				     .policy_abort = policy)),
			     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
			     "CLOSE after shutdown");
		expect_event(classify_close(OBS(
				     .flags = CONN_ESTABLISHED | CONN_SHUT_WR |
					      CONN_LINGER0,
				     .state = TCPS_CLOSE, .unread = 3,
				     .policy_abort = policy)),
			     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
			     "CLOSE after shutdown, linger0, unread");
	}
}
END_TEST

START_TEST(close_after_shutdown_is_normal_whatever_tcp_info_shows)
{
	for (size_t i = 0; i < NSIGNS; i++) {
		struct observation o = sign(i, CONN_ESTABLISHED | CONN_SHUT_WR,
					    0, TCPS_CLOSE);

		expect_event(classify_close(&o), TCP_EVENT_CLOSE,
			     TCP_CAUSE_NORMAL,
			     "CLOSE after shutdown, dead peer signs");
	}
}
END_TEST

/* --- classify_close: found in CLOSE, died unnoticed --- */

START_TEST(close_in_close_state_reveals_unseen_peer_reset)
{
	/* Unread data, policy and linger0 no longer matter: it is gone. */
	for (int policy = 0; policy <= 1; policy++) {
		expect_peer_reset(classify_close(OBS(
					  .flags = CONN_ESTABLISHED,
					  .state = TCPS_CLOSE,
					  .policy_abort = policy)),
				  "CLOSE, established");
		expect_peer_reset(classify_close(OBS(
					  .flags = CONN_ESTABLISHED |
						   CONN_LINGER0,
					  .state = TCPS_CLOSE, .unread = 100,
					  .policy_abort = policy)),
				  "CLOSE, established, linger0, unread");
	}
}
END_TEST

START_TEST(close_dead_after_retransmits_is_halfopen_user_timeout)
{
	for (int policy = 0; policy <= 1; policy++)
		expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
			.state = TCPS_CLOSE, .retransmits = 1,
			.policy_abort = policy)),
			TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
			"CLOSE, retransmits");
	expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .retransmits = 15, .unacked = 4096,
		.silence_ms = 900000)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
		"CLOSE, retransmits, data out after long silence");
	/* Retransmissions win over probes, even all of them. */
	expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .retransmits = 2, .probes = 9,
		.keepcnt = 9)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
		"CLOSE, retransmits, every probe out");
	expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED |
		CONN_LINGER0, .state = TCPS_CLOSE, .retransmits = 1,
		.unread = 100)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_USER_TIMEOUT,
		"CLOSE, retransmits, linger0, unread");
}
END_TEST

START_TEST(close_dead_after_all_probes_is_keepalive_timeout)
{
	expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 9, .keepcnt = 9)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT,
		"CLOSE, probes == keepcnt");
	expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 1, .keepcnt = 1)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT,
		"CLOSE, the one probe allowed out");
	expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 10, .keepcnt = 9)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT,
		"CLOSE, probes > keepcnt (changed since)");
	for (int policy = 0; policy <= 1; policy++)
		expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED |
			CONN_LINGER0, .state = TCPS_CLOSE, .probes = 3,
			.keepcnt = 3, .unread = 7, .policy_abort = policy)),
			TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT,
			"CLOSE, every probe out, linger0, unread");
}
END_TEST

START_TEST(close_dead_reset_answering_probe_is_halfopen_reset)
{
	/* Fewer probes out than allowed: the death was a RST to one. */
	for (int probes = 1; probes < 9; probes++)
		expect_halfopen_reset(classify_close(OBS(
			.flags = CONN_ESTABLISHED, .state = TCPS_CLOSE,
			.probes = probes, .keepcnt = 9)),
			"CLOSE, probes below keepcnt");
}
END_TEST

/*
 * With a user timeout, keepalive gives up once that much silence has
 * passed, however few probes went out (tcp(7)): a death found at close
 * with probes out and that much silence is a keepalive timeout; with less
 * silence, a RST answered a probe.
 */
START_TEST(close_dead_under_user_timeout_is_keepalive_timeout)
{
	expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 2, .keepcnt = 9,
		.user_timeout_ms = 4000, .idle_ms = 4000)),
		TCP_EVENT_HALFOPEN, TCP_CAUSE_KEEPALIVE_TIMEOUT,
		"CLOSE, 2 of 9 probes, silence reached the user timeout");
	expect_halfopen_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 2, .keepcnt = 9,
		.user_timeout_ms = 4000, .idle_ms = 3999)),
		"CLOSE, 2 of 9 probes, silence short of the user timeout");
}
END_TEST

START_TEST(close_dead_keepcnt_unknown_probes_out_is_halfopen_reset)
{
	expect_halfopen_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 1, .keepcnt = 0)),
		"CLOSE, a probe out, keepcnt unknown");
	expect_halfopen_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 9, .keepcnt = 0)),
		"CLOSE, 9 probes out, keepcnt unknown");
}
END_TEST

START_TEST(close_dead_data_after_silence_is_halfopen_reset)
{
	expect_halfopen_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .unacked = 1,
		.silence_ms = HALFOPEN_SILENCE_MS)),
		"CLOSE, data out, silence at the limit");
	expect_halfopen_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .unacked = 1, .probes = 2, .keepcnt = 9,
		.silence_ms = 3600000)),
		"CLOSE, data out, probes out, an hour of silence");
}
END_TEST

START_TEST(close_dead_data_before_silence_limit_is_peer_reset)
{
	expect_peer_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .unacked = 1,
		.silence_ms = HALFOPEN_SILENCE_MS - 1)),
		"CLOSE, data out, silence 1 ms short of the limit");
}
END_TEST

START_TEST(close_dead_nothing_out_is_peer_reset_however_silent)
{
	/* Probes answered, nothing unacknowledged: a live peer aborted. */
	expect_peer_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .probes = 0, .keepcnt = 9,
		.silence_ms = 3600000, .idle_ms = 3600000)),
		"CLOSE, no probe out, an hour idle");
	expect_peer_reset(classify_close(OBS(.flags = CONN_ESTABLISHED,
		.state = TCPS_CLOSE, .unacked = -1,
		.silence_ms = 3600000)),
		"CLOSE, unacked unknown, an hour of silence");
}
END_TEST

START_TEST(shared_connection_already_closed_reports_nothing)
{
	/*
	 * In CLOSE already: the other holder may have shut it down (so that
	 * the peer's FIN ended it in order) or met its reset and reported
	 * it: nothing here says which.
	 */
	expect_nothing(classify_close(OBS(.flags = CONN_ESTABLISHED |
						   CONN_SHARED,
					  .state = TCPS_CLOSE)),
		       0, "shared, CLOSE");
	expect_nothing(classify_close(OBS(.flags = CONN_ESTABLISHED |
						   CONN_SHARED,
					  .state = TCPS_CLOSE,
					  .retransmits = 3)),
		       0, "shared, CLOSE, retransmits");
	expect_nothing(classify_close(OBS(.flags = CONN_ESTABLISHED |
						   CONN_SHARED,
					  .state = TCPS_CLOSE, .probes = 5,
					  .keepcnt = 5)),
		       0, "shared, CLOSE, every probe out");
}
END_TEST

/* --- classify_close: open connections --- */

/* The states where tcp_close() resets a connection with SO_LINGER 0. */
static const int resetting_states[] = {
	TCPS_ESTABLISHED, TCPS_CLOSE_WAIT, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2,
	TCPS_SYN_RECV,
};
#define NRESETTING (sizeof(resetting_states) / sizeof(*resetting_states))

/* Open states where a lingering close sends a FIN, not a RST. */
static const int quiet_states[] = {
	TCPS_LAST_ACK, TCPS_CLOSING, TCPS_TIME_WAIT,
};
#define NQUIET (sizeof(quiet_states) / sizeof(*quiet_states))

START_TEST(unread_data_beats_policy_and_linger0)
{
	static const unsigned int flags[] = {
		CONN_ESTABLISHED, CONN_ESTABLISHED | CONN_LINGER0,
		CONN_ESTABLISHED | CONN_SHUT_WR | CONN_LINGER0,
		CONN_ESTABLISHED | CONN_FAILED, 0,
	};

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (int policy = 0; policy <= 1; policy++) {
			for (size_t s = 0; s < NRESETTING; s++) {
				int state = resetting_states[s];

				expect_event(classify_close(OBS(
						     .flags = flags[f],
						     .state = state,
						     .unread = 1,
						     .policy_abort = policy)),
					     TCP_EVENT_RST_SENT,
					     TCP_CAUSE_UNREAD_DATA,
					     "unread, resetting state");
			}
			/* The kernel resets on unread data in these too. */
			for (size_t s = 0; s < NQUIET; s++)
				expect_event(classify_close(OBS(
						     .flags = flags[f],
						     .state = quiet_states[s],
						     .unread = 4096,
						     .policy_abort = policy)),
					     TCP_EVENT_RST_SENT,
					     TCP_CAUSE_UNREAD_DATA,
					     "unread, quiet state");
		}
}
END_TEST

START_TEST(policy_beats_linger0)
{
	for (size_t s = 0; s < NRESETTING; s++) {
		expect_event(classify_close(OBS(
				     .flags = CONN_ESTABLISHED | CONN_LINGER0,
				     .state = resetting_states[s],
				     .policy_abort = 1)),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_POLICY,
			     "policy and linger0");
		expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
						.state = resetting_states[s],
						.policy_abort = 1)),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_POLICY, "policy");
	}
}
END_TEST

START_TEST(linger0_resets_in_states_that_reset)
{
	for (size_t s = 0; s < NRESETTING; s++) {
		expect_event(classify_close(OBS(
				     .flags = CONN_ESTABLISHED | CONN_LINGER0,
				     .state = resetting_states[s])),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0, "linger0");
		expect_event(classify_close(OBS(
				     .flags = CONN_ESTABLISHED | CONN_LINGER0 |
					      CONN_SHUT_WR,
				     .state = resetting_states[s])),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0,
			     "linger0 after shutdown");
	}
}
END_TEST

START_TEST(linger0_or_policy_in_last_ack_is_normal_close)
{
	for (size_t s = 0; s < NQUIET; s++)
		for (int policy = 0; policy <= 1; policy++)
			expect_event(classify_close(OBS(
					     .flags = CONN_ESTABLISHED |
						      CONN_SHUT_WR |
						      CONN_LINGER0,
					     .state = quiet_states[s],
					     .policy_abort = policy)),
				     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
				     "linger0/policy in a quiet state");
}
END_TEST

START_TEST(plain_close_of_open_connection_is_normal)
{
	for (size_t s = 0; s < NRESETTING; s++)
		expect_event(classify_close(OBS(.flags = CONN_ESTABLISHED,
						.state = resetting_states[s])),
			     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL, "plain close");
	expect_event(classify_close(OBS(
			     .flags = CONN_ESTABLISHED | CONN_SHUT_WR,
			     .state = TCPS_FIN_WAIT2)),
		     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL, "close after shutdown");
}
END_TEST

START_TEST(tcp_info_decides_only_in_close_state)
{
	/*
	 * A connection still open did not die: whatever probes or
	 * retransmissions are under way, the close decides the event.
	 */
	for (size_t i = 0; i < NSIGNS; i++) {
		struct observation o;

		for (size_t s = 0; s < NRESETTING; s++) {
			o = sign(i, CONN_ESTABLISHED, 0, resetting_states[s]);
			expect_event(classify_close(&o), TCP_EVENT_CLOSE,
				     TCP_CAUSE_NORMAL,
				     "open, dead peer signs, plain close");
			o.flags |= CONN_LINGER0;
			expect_event(classify_close(&o), TCP_EVENT_RST_SENT,
				     TCP_CAUSE_LINGER0,
				     "open, dead peer signs, linger0");
			o.policy_abort = 1;
			expect_event(classify_close(&o), TCP_EVENT_RST_SENT,
				     TCP_CAUSE_POLICY,
				     "open, dead peer signs, policy");
			o.unread = 1;
			expect_event(classify_close(&o), TCP_EVENT_RST_SENT,
				     TCP_CAUSE_UNREAD_DATA,
				     "open, dead peer signs, unread");
			o.flags |= CONN_SHARED;
			expect_event(classify_close(&o), TCP_EVENT_RST_SENT,
				     TCP_CAUSE_UNREAD_DATA,
				     "open, dead peer signs, shared, unread");
		}
		for (size_t s = 0; s < NQUIET; s++) {
			o = sign(i, CONN_ESTABLISHED | CONN_LINGER0, 0,
				 quiet_states[s]);
			expect_event(classify_close(&o), TCP_EVENT_CLOSE,
				     TCP_CAUSE_NORMAL,
				     "quiet state, dead peer signs");
		}
	}
}
END_TEST

/*
 * Another process may hold a shared connection: a reset is predicted as
 * for any other (the close confirms it with the kernel), an orderly close
 * of this descriptor is not the connection's.
 */
START_TEST(shared_connection_close_predicts_resets_only)
{
	const unsigned int shared = CONN_ESTABLISHED | CONN_SHARED;

	for (size_t s = 0; s < NRESETTING; s++)
		for (int policy = 0; policy <= 1; policy++) {
			int state = resetting_states[s];

			expect_event(classify_close(OBS(.flags = shared,
							.state = state,
							.unread = 1,
							.policy_abort = policy)),
				     TCP_EVENT_RST_SENT, TCP_CAUSE_UNREAD_DATA,
				     "shared, unread");
			expect_event(classify_close(OBS(.flags = shared |
								 CONN_LINGER0,
							.state = state)),
				     TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0,
				     "shared, linger0");
			if (policy)
				expect_event(classify_close(OBS(
						     .flags = shared,
						     .state = state,
						     .policy_abort = 1)),
					     TCP_EVENT_RST_SENT,
					     TCP_CAUSE_POLICY, "shared, policy");
			else
				expect_nothing(classify_close(OBS(
						       .flags = shared,
						       .state = state)),
					       0, "shared, plain close");
		}
	for (size_t s = 0; s < NQUIET; s++)
		expect_nothing(classify_close(OBS(.flags = shared,
						  .state = quiet_states[s])),
			       0, "shared, quiet state");
}
END_TEST

/* --- classify_close: reported connections --- */

START_TEST(reported_connection_close_is_silent)
{
	for (size_t s = 0; s < NSTATES; s++)
		for (int policy = 0; policy <= 1; policy++) {
			expect_nothing(classify_close(OBS(
					       .flags = CONN_REPORTED |
							CONN_ESTABLISHED,
					       .state = all_states[s],
					       .policy_abort = policy)),
				       0, "reported");
			expect_nothing(classify_close(OBS(
					       .flags = CONN_REPORTED |
							CONN_ESTABLISHED |
							CONN_LINGER0,
					       .state = all_states[s],
					       .unread = 7,
					       .policy_abort = policy)),
				       0, "reported, linger0, unread");
		}
}
END_TEST

START_TEST(reported_connection_close_gets_no_halfopen_verdict)
{
	/* Each of these is an event in CLOSE without CONN_REPORTED. */
	for (size_t i = 0; i < NSIGNS; i++)
		for (size_t s = 0; s < NSTATES; s++) {
			struct observation o = sign(
				i, CONN_REPORTED | CONN_ESTABLISHED, 0,
				all_states[s]);

			expect_nothing(classify_close(&o), 0,
				       "reported, dead peer signs");
			o.flags |= CONN_SHARED;
			expect_nothing(classify_close(&o), 0,
				       "reported, shared, dead peer signs");
		}
}
END_TEST

/* What the tests over dead_peer_signs rely on. */
START_TEST(every_dead_peer_sign_is_an_event_when_unreported)
{
	for (size_t i = 0; i < NSIGNS; i++) {
		struct observation o = sign(i, CONN_ESTABLISHED, ETIMEDOUT,
					    TCPS_CLOSE);
		struct verdict v;

		v = classify_error(&o);
		ck_assert_msg(v.event == 1 && v.kind == TCP_EVENT_HALFOPEN,
			      "sign %zu: ETIMEDOUT not halfopen", i);
		o.err = 0;
		v = classify_close(&o);
		ck_assert_msg(v.event == 1 &&
				      v.kind != TCP_EVENT_CLOSE &&
				      v.cause != TCP_CAUSE_PEER_RESET,
			      "sign %zu: close in CLOSE not halfopen", i);
	}
}
END_TEST

START_TEST(state_resets_only_where_the_kernel_would)
{
	for (size_t s = 0; s < NSTATES; s++) {
		int expected = 0;

		for (size_t r = 0; r < NRESETTING; r++)
			if (all_states[s] == resetting_states[r])
				expected = 1;
		ck_assert_msg(classify_state_resets(all_states[s]) == expected,
			      "state %d", all_states[s]);
	}
	ck_assert_int_eq(classify_state_resets(0), 0);
	ck_assert_int_eq(classify_state_resets(TCPS_CLOSING + 1), 0);
}
END_TEST

Suite *unit_classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc;

	tc = tcase_create("wants");
	tcase_add_test(tc, killed_when_disconnected_here_or_destroyed);
	tcase_add_test(tc, wants_resets_timeouts_and_unreachable_errors);
	tcase_add_test(tc, ignores_errors_that_say_nothing_of_the_peer);
	suite_add_tcase(s, tc);

	tc = tcase_create("error");
	tcase_add_test(tc, refused_before_established_is_rst_received_refused);
	tcase_add_test(tc, refused_after_established_only_marks_failed);
	tcase_add_test(tc, refused_ignores_what_tcp_info_shows);
	tcase_add_test(tc, connreset_is_peer_reset_whatever_came_before);
	tcase_add_test(tc,
		       connreset_answering_keepalive_probe_is_halfopen_reset);
	tcase_add_test(tc, connreset_data_after_ack_silence_is_halfopen_reset);
	tcase_add_test(tc, connreset_data_before_silence_limit_is_peer_reset);
	tcase_add_test(tc,
		       connreset_nothing_unacked_is_peer_reset_however_silent);
	tcase_add_test(tc, connreset_with_probes_answered_is_peer_reset);
	tcase_add_test(tc, epipe_in_close_state_is_peer_reset);
	tcase_add_test(tc, epipe_after_fin_is_peer_reset_even_answering_a_probe);
	tcase_add_test(tc, epipe_after_fin_is_peer_reset_even_after_silence);
	tcase_add_test(tc,
		       epipe_in_close_data_before_silence_limit_is_peer_reset);
	tcase_add_test(tc, epipe_in_close_idle_nothing_unacked_is_peer_reset);
	tcase_add_test(tc, epipe_after_shut_wr_is_not_a_reset);
	tcase_add_test(tc, epipe_after_another_failure_is_not_a_reset);
	tcase_add_test(tc, epipe_outside_close_state_is_not_a_reset);
	tcase_add_test(tc, epipe_that_proves_no_reset_ignores_dead_peer_signs);
	tcase_add_test(tc, timeouts_and_unreachable_mark_failed_without_event);
	tcase_add_test(tc, timeout_with_data_unacked_is_halfopen_user_timeout);
	tcase_add_test(tc,
		       timeout_after_retransmissions_is_halfopen_user_timeout);
	tcase_add_test(tc, timeout_with_data_and_probes_out_is_user_timeout);
	tcase_add_test(tc, timeout_with_only_probes_out_is_keepalive_timeout);
	tcase_add_test(tc, timeout_with_nothing_outstanding_only_marks_failed);
	tcase_add_test(tc, timeout_before_established_only_marks_failed);
	tcase_add_test(tc,
		       unreachable_only_marks_failed_whatever_tcp_info_shows);
	tcase_add_test(tc, epipe_after_a_timeout_logs_nothing);
	tcase_add_test(tc, reported_connection_gets_no_verdict_for_any_error);
	tcase_add_test(tc, reported_connection_gets_no_halfopen_verdict);
	suite_add_tcase(s, tc);

	tc = tcase_create("close");
	tcase_add_test(tc, close_of_listening_or_connecting_socket_is_silent);
	tcase_add_test(tc, close_in_close_state_never_established_is_silent);
	tcase_add_test(tc, close_of_connect_refused_unasked_is_refused);
	tcase_add_test(tc, close_in_close_state_after_failure_is_silent);
	tcase_add_test(tc,
		       close_after_failure_is_silent_whatever_tcp_info_shows);
	tcase_add_test(tc, close_in_close_state_after_shutdown_is_normal_close);
	tcase_add_test(tc,
		       close_after_shutdown_is_normal_whatever_tcp_info_shows);
	tcase_add_test(tc, close_in_close_state_reveals_unseen_peer_reset);
	tcase_add_test(tc,
		       close_dead_after_retransmits_is_halfopen_user_timeout);
	tcase_add_test(tc, close_dead_after_all_probes_is_keepalive_timeout);
	tcase_add_test(tc, close_dead_reset_answering_probe_is_halfopen_reset);
	tcase_add_test(tc,
		       close_dead_keepcnt_unknown_probes_out_is_halfopen_reset);
	tcase_add_test(tc, close_dead_under_user_timeout_is_keepalive_timeout);
	tcase_add_test(tc, close_dead_data_after_silence_is_halfopen_reset);
	tcase_add_test(tc, close_dead_data_before_silence_limit_is_peer_reset);
	tcase_add_test(tc, close_dead_nothing_out_is_peer_reset_however_silent);
	tcase_add_test(tc,
		       shared_connection_already_closed_reports_nothing);
	tcase_add_test(tc, unread_data_beats_policy_and_linger0);
	tcase_add_test(tc, policy_beats_linger0);
	tcase_add_test(tc, linger0_resets_in_states_that_reset);
	tcase_add_test(tc, linger0_or_policy_in_last_ack_is_normal_close);
	tcase_add_test(tc, plain_close_of_open_connection_is_normal);
	tcase_add_test(tc, tcp_info_decides_only_in_close_state);
	tcase_add_test(tc, shared_connection_close_predicts_resets_only);
	tcase_add_test(tc, reported_connection_close_is_silent);
	tcase_add_test(tc, reported_connection_close_gets_no_halfopen_verdict);
	tcase_add_test(tc, every_dead_peer_sign_is_an_event_when_unreported);
	tcase_add_test(tc, state_resets_only_where_the_kernel_would);
	suite_add_tcase(s, tc);

	return s;
}
