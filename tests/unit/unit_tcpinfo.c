/*
 * unit_tcpinfo.c - TCP_INFO read the one way the library and the command
 * both read it (core/tcpinfo.h): the observation the classifier takes,
 * the unacknowledged bytes, the bytes sent.
 */
#include <check.h>
#include <string.h>

#include "core/conn.h"
#include "core/tcpinfo.h"

START_TEST(observation_takes_what_tcp_info_says)
{
	struct tcp_info info;
	struct observation o;

	memset(&info, 0, sizeof(info));
	memset(&o, 0, sizeof(o));
	info.tcpi_probes = 2;
	info.tcpi_retransmits = 3;
	info.tcpi_last_ack_recv = 5000;
	info.tcpi_last_data_sent = 1200;
	info.tcpi_last_data_recv = 7000;
	info.tcpi_bytes_received = 42;
	info.tcpi_segs_in = 4;
	info.tcpi_segs_out = 5;
	o.flags = CONN_ESTABLISHED;
	o.unacked = 9;
	tcpinfo_observe(&o, TCPS_ESTABLISHED, &info);
	ck_assert_int_eq(o.state, TCPS_ESTABLISHED);
	ck_assert_int_eq(o.probes, 2);
	ck_assert_int_eq(o.retransmits, 3);
	ck_assert_int_eq(o.silence_ms, 3800);
	ck_assert_int_eq(o.idle_ms, 7000);
	ck_assert_uint_eq(o.kernel_received, 42);
	ck_assert_int_eq(o.answered, 1);
	ck_assert_int_eq(o.disconnected, 0);
	/* The caller's fields stay the caller's. */
	ck_assert_uint_eq(o.flags, CONN_ESTABLISHED);
	ck_assert_int_eq(o.unacked, 9);
}
END_TEST

/* An ACK after our last data: no silence before it, a negative one. */
START_TEST(silence_is_negative_when_the_peer_answered_last)
{
	struct tcp_info info;
	struct observation o;

	memset(&info, 0, sizeof(info));
	info.tcpi_last_ack_recv = 10;
	info.tcpi_last_data_sent = 4000;
	tcpinfo_observe(&o, TCPS_ESTABLISHED, &info);
	ck_assert_int_eq(o.silence_ms, -3990);
}
END_TEST

/* Counters cleared by a disconnect on this host; none when the kernel
 * gave no TCP_INFO at all. */
START_TEST(disconnected_only_when_the_kernel_answered)
{
	struct tcp_info info;
	struct observation o;

	memset(&info, 0, sizeof(info));
	tcpinfo_observe(&o, TCPS_CLOSE, &info);
	ck_assert_int_eq(o.disconnected, 1);
	ck_assert_int_eq(o.answered, 0);
	tcpinfo_observe(&o, -1, &info);
	ck_assert_int_eq(o.state, -1);
	ck_assert_int_eq(o.disconnected, 0);
	info.tcpi_segs_out = 1;
	tcpinfo_observe(&o, TCPS_CLOSE, &info);
	ck_assert_int_eq(o.disconnected, 0);
}
END_TEST

START_TEST(unacked_is_the_queue_less_what_was_never_sent)
{
	struct tcp_info info;

	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(tcpinfo_unacked(1000, &info), 1000);
	info.tcpi_notsent_bytes = 300;
	ck_assert_int_eq(tcpinfo_unacked(1000, &info), 700);
	ck_assert_int_eq(tcpinfo_unacked(300, &info), 0);
	/* Read at two moments: never below zero. */
	ck_assert_int_eq(tcpinfo_unacked(100, &info), 0);
	ck_assert_int_eq(tcpinfo_unacked(0, &info), 0);
	info.tcpi_notsent_bytes = 0xffffffffu;
	ck_assert_int_eq(tcpinfo_unacked(0x100000000ll, &info), 1);
}
END_TEST

START_TEST(sent_counts_each_byte_once_and_the_unsent)
{
	struct tcp_info info;

	memset(&info, 0, sizeof(info));
	ck_assert_uint_eq(tcpinfo_sent(&info), 0);
	info.tcpi_bytes_sent = 1500;
	info.tcpi_bytes_retrans = 500;
	info.tcpi_notsent_bytes = 20;
	ck_assert_uint_eq(tcpinfo_sent(&info), 1020);
	/* More retransmitted than sent cannot be: nothing went out once. */
	info.tcpi_bytes_sent = 100;
	ck_assert_uint_eq(tcpinfo_sent(&info), 20);
}
END_TEST

Suite *unit_tcpinfo_suite(void)
{
	Suite *s = suite_create("tcpinfo");
	TCase *tc = tcase_create("read");

	tcase_add_test(tc, observation_takes_what_tcp_info_says);
	tcase_add_test(tc, silence_is_negative_when_the_peer_answered_last);
	tcase_add_test(tc, disconnected_only_when_the_kernel_answered);
	tcase_add_test(tc, unacked_is_the_queue_less_what_was_never_sent);
	tcase_add_test(tc, sent_counts_each_byte_once_and_the_unsent);
	suite_add_tcase(s, tc);
	return s;
}
