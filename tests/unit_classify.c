/*
 * unit_classify.c - the rules that name a reset (classify.c).
 *
 * Covers every branch of classify_error() (refused before and after the
 * connection was up, resets, EPIPE with and without a reset behind it,
 * timeouts and unreachable networks, already reported connections),
 * classify_close() (listening, connecting and closed sockets; unread
 * data over policy over SO_LINGER {1, 0}; connections shared across
 * fork; states where a lingering close sends no RST), classify_wants()
 * and classify_state_resets().
 */
#include <check.h>
#include <errno.h>

#include "classify.h"
#include "conn.h"

#define NO_STATE (-1)

/* Every state tcpi_state can hold, and "unknown". */
static const int all_states[] = {
	TCPS_ESTABLISHED, TCPS_SYN_SENT, TCPS_SYN_RECV, TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2, TCPS_TIME_WAIT, TCPS_CLOSE, TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK, TCPS_LISTEN, TCPS_CLOSING, NO_STATE,
};
#define NSTATES (sizeof(all_states) / sizeof(*all_states))

/* The errors classify_wants() lets through. */
static const int wanted_errors[] = {
	ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT,
	EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN,
};
#define NWANTED (sizeof(wanted_errors) / sizeof(*wanted_errors))

/* Flags that must not matter to the verdicts they are added to. */
static const unsigned int bystander_flags[] = {
	0, CONN_INET6, CONN_CONNECTING, CONN_LINGER0, CONN_SHARED,
	CONN_INET6 | CONN_LINGER0 | CONN_SHARED,
};
#define NBYSTANDERS (sizeof(bystander_flags) / sizeof(*bystander_flags))

static void expect_event(struct verdict v, enum tcp_event_kind kind,
			 enum tcp_event_cause cause, const char *what)
{
	ck_assert_msg(v.event == 1, "%s: no event", what);
	ck_assert_msg(v.kind == kind && v.cause == cause,
		      "%s: kind %d cause %d, expected kind %d cause %d", what,
		      v.kind, v.cause, kind, cause);
	ck_assert_msg(v.set_flags == 0, "%s: sets flags 0x%x", what,
		      v.set_flags);
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
		ENOBUFS, ENOMEM, EACCES, EADDRINUSE, ECONNABORTED, -1,
	};

	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		ck_assert_msg(classify_wants(ignored[i]) == 0,
			      "errno %d wanted", ignored[i]);
}
END_TEST

/* --- classify_error --- */

START_TEST(refused_before_established_is_rst_received_refused)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_event(classify_error(bystander_flags[b],
						    ECONNREFUSED,
						    all_states[s]),
				     TCP_EVENT_RST_RECEIVED, TCP_CAUSE_REFUSED,
				     "ECONNREFUSED, not established");
}
END_TEST

START_TEST(refused_after_established_only_marks_failed)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_nothing(classify_error(bystander_flags[b] |
							      CONN_ESTABLISHED,
						      ECONNREFUSED,
						      all_states[s]),
				       CONN_FAILED,
				       "ECONNREFUSED, established");
}
END_TEST

START_TEST(connreset_is_peer_reset_whatever_came_before)
{
	static const unsigned int flags[] = {
		0, CONN_ESTABLISHED, CONN_ESTABLISHED | CONN_SHUT_WR,
		CONN_ESTABLISHED | CONN_FAILED, CONN_CONNECTING,
		CONN_ESTABLISHED | CONN_LINGER0 | CONN_SHARED,
	};

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (size_t s = 0; s < NSTATES; s++)
			expect_event(classify_error(flags[f], ECONNRESET,
						    all_states[s]),
				     TCP_EVENT_RST_RECEIVED,
				     TCP_CAUSE_PEER_RESET, "ECONNRESET");
}
END_TEST

START_TEST(epipe_in_close_state_is_peer_reset)
{
	for (size_t b = 0; b < NBYSTANDERS; b++)
		expect_event(classify_error(bystander_flags[b] |
						    CONN_ESTABLISHED,
					    EPIPE, TCPS_CLOSE),
			     TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET,
			     "EPIPE in CLOSE");
}
END_TEST

START_TEST(epipe_after_shut_wr_is_not_a_reset)
{
	for (size_t s = 0; s < NSTATES; s++)
		expect_nothing(classify_error(CONN_ESTABLISHED | CONN_SHUT_WR,
					      EPIPE, all_states[s]),
			       0, "EPIPE after shutdown(SHUT_WR)");
}
END_TEST

START_TEST(epipe_after_another_failure_is_not_a_reset)
{
	for (size_t s = 0; s < NSTATES; s++)
		expect_nothing(classify_error(CONN_ESTABLISHED | CONN_FAILED,
					      EPIPE, all_states[s]),
			       0, "EPIPE after a timeout");
}
END_TEST

START_TEST(epipe_outside_close_state_is_not_a_reset)
{
	for (size_t s = 0; s < NSTATES; s++) {
		if (all_states[s] == TCPS_CLOSE)
			continue;
		expect_nothing(classify_error(CONN_ESTABLISHED, EPIPE,
					      all_states[s]),
			       0, "EPIPE not in CLOSE");
	}
}
END_TEST

START_TEST(timeouts_and_unreachable_mark_failed_without_event)
{
	static const int errors[] = {
		ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN,
	};

	for (size_t e = 0; e < sizeof(errors) / sizeof(*errors); e++)
		for (size_t s = 0; s < NSTATES; s++) {
			expect_nothing(classify_error(CONN_ESTABLISHED,
						      errors[e],
						      all_states[s]),
				       CONN_FAILED, "timeout, established");
			expect_nothing(classify_error(CONN_CONNECTING,
						      errors[e],
						      all_states[s]),
				       CONN_FAILED, "timeout, connecting");
		}
}
END_TEST

START_TEST(epipe_after_a_timeout_logs_nothing)
{
	unsigned int flags = CONN_ESTABLISHED;
	struct verdict v;

	v = classify_error(flags, ETIMEDOUT, TCPS_CLOSE);
	expect_nothing(v, CONN_FAILED, "ETIMEDOUT");
	flags |= v.set_flags;
	expect_nothing(classify_error(flags, EPIPE, TCPS_CLOSE), 0,
		       "EPIPE after ETIMEDOUT");
}
END_TEST

START_TEST(reported_connection_gets_no_verdict_for_any_error)
{
	static const unsigned int flags[] = {
		CONN_REPORTED, CONN_REPORTED | CONN_ESTABLISHED,
		CONN_REPORTED | CONN_ESTABLISHED | CONN_FAILED,
		CONN_REPORTED | CONN_CONNECTING,
	};

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (size_t e = 0; e < NWANTED; e++)
			for (size_t s = 0; s < NSTATES; s++)
				expect_nothing(classify_error(flags[f],
							      wanted_errors[e],
							      all_states[s]),
					       0, "already reported");
}
END_TEST

/* --- classify_close --- */

START_TEST(close_of_listening_or_connecting_socket_is_silent)
{
	static const int states[] = { TCPS_LISTEN, TCPS_SYN_SENT };
	static const unsigned int flags[] = {
		0, CONN_LISTENER, CONN_CONNECTING, CONN_LINGER0,
		CONN_ESTABLISHED | CONN_LINGER0, CONN_SHUT_WR, CONN_SHARED,
	};

	for (size_t s = 0; s < 2; s++)
		for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
			for (int policy = 0; policy <= 1; policy++) {
				expect_nothing(classify_close(flags[f],
							      states[s], 0,
							      policy),
					       0, "listen/syn_sent");
				expect_nothing(classify_close(flags[f],
							      states[s], 10,
							      policy),
					       0, "listen/syn_sent, unread");
			}
}
END_TEST

START_TEST(close_in_close_state_never_established_is_silent)
{
	static const unsigned int flags[] = {
		0, CONN_CONNECTING, CONN_SHUT_WR, CONN_LINGER0, CONN_FAILED,
	};

	for (size_t f = 0; f < sizeof(flags) / sizeof(*flags); f++)
		for (int policy = 0; policy <= 1; policy++)
			expect_nothing(classify_close(flags[f], TCPS_CLOSE, 5,
						      policy),
				       0, "CLOSE, never established");
}
END_TEST

START_TEST(close_in_close_state_after_failure_is_silent)
{
	expect_nothing(classify_close(CONN_ESTABLISHED | CONN_FAILED,
				      TCPS_CLOSE, 0, 0),
		       0, "CLOSE after timeout");
	expect_nothing(classify_close(CONN_ESTABLISHED | CONN_FAILED |
					      CONN_SHUT_WR,
				      TCPS_CLOSE, 0, 1),
		       0, "CLOSE after timeout and shutdown");
}
END_TEST

START_TEST(close_in_close_state_after_shutdown_is_normal_close)
{
	for (int policy = 0; policy <= 1; policy++) {
		expect_event(classify_close(CONN_ESTABLISHED | CONN_SHUT_WR,
					    TCPS_CLOSE, 0, policy),
			     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
			     "CLOSE after shutdown");
		expect_event(classify_close(CONN_ESTABLISHED | CONN_SHUT_WR |
						    CONN_LINGER0,
					    TCPS_CLOSE, 3, policy),
			     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
			     "CLOSE after shutdown, linger0, unread");
	}
}
END_TEST

START_TEST(close_in_close_state_reveals_unseen_peer_reset)
{
	/* Unread data, policy and linger0 no longer matter: it is gone. */
	for (int policy = 0; policy <= 1; policy++) {
		expect_event(classify_close(CONN_ESTABLISHED, TCPS_CLOSE, 0,
					    policy),
			     TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET,
			     "CLOSE, established");
		expect_event(classify_close(CONN_ESTABLISHED | CONN_LINGER0,
					    TCPS_CLOSE, 100, policy),
			     TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET,
			     "CLOSE, established, linger0, unread");
	}
}
END_TEST

START_TEST(shared_connection_already_closed_still_reports_outcome)
{
	/*
	 * Sharing hides what this close sends; a connection already in
	 * CLOSE sends nothing whoever closes it, so its outcome is known.
	 */
	expect_event(classify_close(CONN_ESTABLISHED | CONN_SHARED,
				    TCPS_CLOSE, 0, 0),
		     TCP_EVENT_RST_RECEIVED, TCP_CAUSE_PEER_RESET,
		     "shared, CLOSE");
	expect_event(classify_close(CONN_ESTABLISHED | CONN_SHARED |
					    CONN_SHUT_WR,
				    TCPS_CLOSE, 0, 1),
		     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
		     "shared, CLOSE after shutdown");
}
END_TEST

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
			for (size_t s = 0; s < NRESETTING; s++)
				expect_event(classify_close(flags[f],
							    resetting_states[s],
							    1, policy),
					     TCP_EVENT_RST_SENT,
					     TCP_CAUSE_UNREAD_DATA,
					     "unread, resetting state");
			/* The kernel resets on unread data in these too. */
			for (size_t s = 0; s < NQUIET; s++)
				expect_event(classify_close(flags[f],
							    quiet_states[s],
							    4096, policy),
					     TCP_EVENT_RST_SENT,
					     TCP_CAUSE_UNREAD_DATA,
					     "unread, quiet state");
		}
}
END_TEST

START_TEST(policy_beats_linger0)
{
	for (size_t s = 0; s < NRESETTING; s++) {
		expect_event(classify_close(CONN_ESTABLISHED | CONN_LINGER0,
					    resetting_states[s], 0, 1),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_POLICY,
			     "policy and linger0");
		expect_event(classify_close(CONN_ESTABLISHED,
					    resetting_states[s], 0, 1),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_POLICY, "policy");
	}
}
END_TEST

START_TEST(linger0_resets_in_states_that_reset)
{
	for (size_t s = 0; s < NRESETTING; s++) {
		expect_event(classify_close(CONN_ESTABLISHED | CONN_LINGER0,
					    resetting_states[s], 0, 0),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0, "linger0");
		expect_event(classify_close(CONN_ESTABLISHED | CONN_LINGER0 |
						    CONN_SHUT_WR,
					    resetting_states[s], 0, 0),
			     TCP_EVENT_RST_SENT, TCP_CAUSE_LINGER0,
			     "linger0 after shutdown");
	}
}
END_TEST

START_TEST(linger0_or_policy_in_last_ack_is_normal_close)
{
	for (size_t s = 0; s < NQUIET; s++)
		for (int policy = 0; policy <= 1; policy++)
			expect_event(classify_close(CONN_ESTABLISHED |
							    CONN_SHUT_WR |
							    CONN_LINGER0,
						    quiet_states[s], 0,
						    policy),
				     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL,
				     "linger0/policy in a quiet state");
}
END_TEST

START_TEST(plain_close_of_open_connection_is_normal)
{
	for (size_t s = 0; s < NRESETTING; s++)
		expect_event(classify_close(CONN_ESTABLISHED,
					    resetting_states[s], 0, 0),
			     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL, "plain close");
	expect_event(classify_close(CONN_ESTABLISHED | CONN_SHUT_WR,
				    TCPS_FIN_WAIT2, 0, 0),
		     TCP_EVENT_CLOSE, TCP_CAUSE_NORMAL, "close after shutdown");
}
END_TEST

START_TEST(shared_connection_close_sends_and_logs_nothing)
{
	for (size_t s = 0; s < NRESETTING; s++)
		for (int policy = 0; policy <= 1; policy++)
			for (int unread = 0; unread <= 1; unread++) {
				expect_nothing(classify_close(
						       CONN_ESTABLISHED |
							       CONN_SHARED,
						       resetting_states[s],
						       unread, policy),
					       0, "shared");
				expect_nothing(classify_close(
						       CONN_ESTABLISHED |
							       CONN_SHARED |
							       CONN_LINGER0,
						       resetting_states[s],
						       unread, policy),
					       0, "shared, linger0");
			}
	for (size_t s = 0; s < NQUIET; s++)
		expect_nothing(classify_close(CONN_ESTABLISHED | CONN_SHARED,
					      quiet_states[s], 0, 0),
			       0, "shared, quiet state");
}
END_TEST

START_TEST(reported_connection_close_is_silent)
{
	for (size_t s = 0; s < NSTATES; s++)
		for (int policy = 0; policy <= 1; policy++) {
			expect_nothing(classify_close(CONN_REPORTED |
							      CONN_ESTABLISHED,
						      all_states[s], 0,
						      policy),
				       0, "reported");
			expect_nothing(classify_close(CONN_REPORTED |
							      CONN_ESTABLISHED |
							      CONN_LINGER0,
						      all_states[s], 7,
						      policy),
				       0, "reported, linger0, unread");
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
	tcase_add_test(tc, wants_resets_timeouts_and_unreachable_errors);
	tcase_add_test(tc, ignores_errors_that_say_nothing_of_the_peer);
	suite_add_tcase(s, tc);

	tc = tcase_create("error");
	tcase_add_test(tc, refused_before_established_is_rst_received_refused);
	tcase_add_test(tc, refused_after_established_only_marks_failed);
	tcase_add_test(tc, connreset_is_peer_reset_whatever_came_before);
	tcase_add_test(tc, epipe_in_close_state_is_peer_reset);
	tcase_add_test(tc, epipe_after_shut_wr_is_not_a_reset);
	tcase_add_test(tc, epipe_after_another_failure_is_not_a_reset);
	tcase_add_test(tc, epipe_outside_close_state_is_not_a_reset);
	tcase_add_test(tc, timeouts_and_unreachable_mark_failed_without_event);
	tcase_add_test(tc, epipe_after_a_timeout_logs_nothing);
	tcase_add_test(tc, reported_connection_gets_no_verdict_for_any_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("close");
	tcase_add_test(tc, close_of_listening_or_connecting_socket_is_silent);
	tcase_add_test(tc, close_in_close_state_never_established_is_silent);
	tcase_add_test(tc, close_in_close_state_after_failure_is_silent);
	tcase_add_test(tc, close_in_close_state_after_shutdown_is_normal_close);
	tcase_add_test(tc, close_in_close_state_reveals_unseen_peer_reset);
	tcase_add_test(tc,
		       shared_connection_already_closed_still_reports_outcome);
	tcase_add_test(tc, unread_data_beats_policy_and_linger0);
	tcase_add_test(tc, policy_beats_linger0);
	tcase_add_test(tc, linger0_resets_in_states_that_reset);
	tcase_add_test(tc, linger0_or_policy_in_last_ack_is_normal_close);
	tcase_add_test(tc, plain_close_of_open_connection_is_normal);
	tcase_add_test(tc, shared_connection_close_sends_and_logs_nothing);
	tcase_add_test(tc, reported_connection_close_is_silent);
	tcase_add_test(tc, state_resets_only_where_the_kernel_would);
	suite_add_tcase(s, tc);

	return s;
}
