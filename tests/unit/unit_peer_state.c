/*
 * unit_peer_state.c - the peer's state from an observation
 * (core/peer_state.c), as tcp_peer_status() and "tcpshim ls" report it.
 */
#include <check.h>

#include "core/conn.h"
#include "core/peer_state.h"

static struct observation seen(int state, unsigned int flags)
{
	return (struct observation){ .state = state, .flags = flags };
}

START_TEST(open_connections_are_alive_or_probing)
{
	static const int open[] = { TCPS_ESTABLISHED, TCPS_CLOSE_WAIT,
				    TCPS_FIN_WAIT1, TCPS_FIN_WAIT2 };

	for (size_t i = 0; i < sizeof(open) / sizeof(*open); i++) {
		struct observation o = seen(open[i], CONN_ESTABLISHED);

		ck_assert_int_eq(peer_state_of(&o), TCP_PEER_ALIVE);
		o.probes = 1;
		ck_assert_int_eq(peer_state_of(&o), TCP_PEER_PROBING);
		o.probes = 0;
		o.retransmits = 2;
		ck_assert_int_eq(peer_state_of(&o), TCP_PEER_PROBING);
		ck_assert_int_eq(peer_state_wants_keepalive(&o), 0);
	}
}
END_TEST

START_TEST(other_states_are_closed)
{
	static const int other[] = { TCPS_LISTEN, TCPS_SYN_SENT, TCPS_SYN_RECV,
				     TCPS_TIME_WAIT, TCPS_LAST_ACK,
				     TCPS_CLOSING, -1 };

	for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++) {
		struct observation o = seen(other[i], CONN_ESTABLISHED);

		o.probes = 3;
		ck_assert_int_eq(peer_state_of(&o), TCP_PEER_CLOSED);
		ck_assert_int_eq(peer_state_wants_keepalive(&o), 0);
	}
}
END_TEST

/* What the shim saw at the end comes first, and needs nothing more. */
START_TEST(closed_as_the_shim_saw_it_end)
{
	struct observation o = seen(TCPS_CLOSE, CONN_ESTABLISHED | CONN_DEAD);

	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_DEAD);
	ck_assert_int_eq(peer_state_wants_keepalive(&o), 0);
	o.flags = CONN_ESTABLISHED | CONN_RESET;
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_RESET);
	ck_assert_int_eq(peer_state_wants_keepalive(&o), 0);
}
END_TEST

/* Unseen: the close classifier judges, even once it was logged. */
START_TEST(closed_unseen_as_the_classifier_judges)
{
	struct observation o = seen(TCPS_CLOSE, CONN_ESTABLISHED);

	o.answered = 1;
	o.unacked = 10;
	ck_assert_int_eq(peer_state_wants_keepalive(&o), 1);
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_RESET);
	o.flags |= CONN_REPORTED;
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_RESET);
	ck_assert_uint_eq(o.flags, CONN_ESTABLISHED | CONN_REPORTED);
	o.retransmits = 4;
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_DEAD);
	/* Keepalive gave up: as many probes as TCP_KEEPCNT. */
	o.retransmits = 0;
	o.probes = 3;
	o.keepcnt = 3;
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_DEAD);
	o.keepcnt = 5;
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_RESET);
	/* Shut down first: an orderly end. */
	o = seen(TCPS_CLOSE, CONN_ESTABLISHED | CONN_SHUT_WR);
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_CLOSED);
	/* Never connected, and nothing came back. */
	o = seen(TCPS_CLOSE, 0);
	ck_assert_int_eq(peer_state_of(&o), TCP_PEER_CLOSED);
}
END_TEST

Suite *unit_peer_state_suite(void)
{
	Suite *s = suite_create("peer state");
	TCase *tc = tcase_create("judge");

	tcase_add_test(tc, open_connections_are_alive_or_probing);
	tcase_add_test(tc, other_states_are_closed);
	tcase_add_test(tc, closed_as_the_shim_saw_it_end);
	tcase_add_test(tc, closed_unseen_as_the_classifier_judges);
	suite_add_tcase(s, tc);
	return s;
}
