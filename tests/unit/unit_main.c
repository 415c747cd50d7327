/*
 * unit_main.c - runs the unit suites: the pure parts of the library
 * (config, fd table and connection pool, formatter, classifier, the
 * kernel lookup after a close, the injection rules, the constructor's
 * symbol lookup, TCP_INFO as read, the peer's state,
 * ADDR[/PREFIX][:PORT], sock_diag's messages), linked in directly,
 * without preloading.
 */
#include <check.h>
#include <stdlib.h>

Suite *unit_config_suite(void);
Suite *unit_fdtable_suite(void);
Suite *unit_format_suite(void);
Suite *unit_classify_suite(void);
Suite *unit_sockdiag_suite(void);
Suite *unit_inject_suite(void);
Suite *unit_nextsym_suite(void);
Suite *unit_tally_suite(void);
Suite *unit_tcpinfo_suite(void);
Suite *unit_peer_state_suite(void);
Suite *unit_addr_spec_suite(void);
Suite *unit_diag_msg_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(unit_config_suite());
	int failed;

	srunner_add_suite(sr, unit_fdtable_suite());
	srunner_add_suite(sr, unit_format_suite());
	srunner_add_suite(sr, unit_classify_suite());
	srunner_add_suite(sr, unit_sockdiag_suite());
	srunner_add_suite(sr, unit_inject_suite());
	srunner_add_suite(sr, unit_nextsym_suite());
	srunner_add_suite(sr, unit_tally_suite());
	srunner_add_suite(sr, unit_tcpinfo_suite());
	srunner_add_suite(sr, unit_peer_state_suite());
	srunner_add_suite(sr, unit_addr_spec_suite());
	srunner_add_suite(sr, unit_diag_msg_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
