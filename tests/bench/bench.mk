# Benchmarks: included by the top Makefile.  Not part of make check:
# nothing here asserts a wall-clock time.
#
# tests/bench/bench_work.c        the timed workloads (nanoseconds per
#                                 operation)
# tests/bench/bench_calls.c       exact numbers of one call, for callgrind,
#                                 strace and resident memory
# tests/bench/bench.sh            runs them natively and preloaded,
#                                 interleaved, and writes $(B)/bench.md
# tests/bench/bench_report.awk    that report, with the budgets' verdicts
# tests/bench/bench_servers.sh    nginx and redis-server
# tests/bench/bench_watch.sh      what tcpshim watch costs (root, and a
#                                 command built with watch), its last part
# tests/bench/bench_watch.c       that part's workloads, counted
# tests/bench/bench_net.h         what bench_work and bench_watch share
# tests/bench/bench_report_cmd.sh tcpshim report on a million events, its
#                                 last part
# tests/bench/bench_report_log.py that part's log (and test_report's)

BENCH_BINS := $(T)/bench_work $(T)/bench_calls $(T)/bench_watch

# Built with the user's CFLAGS (-O2 by default), like a program that
# would be run under the shim.
$(T)/bench_%: tests/bench/bench_%.c tests/bench/bench_net.h $(B)/flags
	@mkdir -p $(T)
	$(CC) $(BASE_CFLAGS) -pthread -o $@ $< -ldl

# Its unwrapped halves make system calls with the library's own raw
# entry (os/real.o, with what it needs), which no wrapper sees.
$(T)/bench_calls: tests/bench/bench_calls.c $(B)/obj/os/real.o $(B)/obj/os/nextsym.o $(B)/flags
	@mkdir -p $(T)
	$(CC) $(BASE_CFLAGS) -Ishim -pthread -o $@ $< $(B)/obj/os/real.o $(B)/obj/os/nextsym.o -ldl

.PHONY: bench
bench: all $(BENCH_BINS)
	@sh tests/bench/bench.sh
