# bench_report.awk - the Markdown report of `make bench` (tests/bench/bench.sh).
#
#   awk -f tests/bench/bench_report.awk RESULTS SAMPLES
#
# RESULTS holds "key value..." lines (counted figures, memory, the run's
# settings); SAMPLES holds "workload configuration ns [note...]" lines,
# one per timed run.  Plain POSIX awk (Debian's default is mawk).
#
# Two kinds of budget.  A counted one (instructions, system calls, bytes
# per socket: the same on any machine, whatever its load) that does not
# hold fails the run: its name goes to the file named by -v over=FILE,
# from which bench.sh takes its exit status.  A wall-clock one is
# reported, "inconclusive" when the run's own noise cannot decide it, and
# never fails the run.

FNR == 1 { file++ }

file == 1 {
	key = $1
	sub(/^[^ ]+ /, "")
	r[key] = $0
	next
}

file == 2 {
	k = $1 SUBSEP $2
	n[k]++
	v[k, n[k]] = $3 + 0
	if (NF > 3) {
		note = $4
		for (i = 5; i <= NF; i++)
			note = note " " $i
		notes[$1] = note
	}
}

function sort(k, cnt,    i, j, t) {
	for (i = 1; i <= cnt; i++)
		s[i] = v[k, i]
	for (i = 2; i <= cnt; i++)
		for (j = i; j > 1 && s[j - 1] > s[j]; j--) {
			t = s[j]; s[j] = s[j - 1]; s[j - 1] = t
		}
}

function median(w, c,    k, cnt) {
	k = w SUBSEP c
	cnt = n[k]
	if (cnt == 0)
		return -1
	sort(k, cnt)
	if (cnt % 2)
		return s[(cnt + 1) / 2]
	return (s[cnt / 2] + s[cnt / 2 + 1]) / 2
}

# Three significant digits, in the workload's unit.
function num(x) {
	if (x >= 100)
		return sprintf("%.0f", x)
	if (x >= 10)
		return sprintf("%.1f", x)
	return sprintf("%.2f", x)
}

function cell(w, c,    k, cnt, med) {
	k = w SUBSEP c
	cnt = n[k]
	if (cnt == 0)
		return "-"
	med = median(w, c)
	return sprintf("%s (%s–%s)", num(med / scale[w]), num(s[1] / scale[w]),
		       num(s[cnt] / scale[w]))
}

function ratio(w, c,    base) {
	base = median(w, "native")
	if (base <= 0 || n[w SUBSEP c] == 0)
		return "-"
	return sprintf("%.3f", median(w, c) / base)
}

# Half the interquartile range of the native runs, over their median,
# in percent: the noise of the run, little moved by one stray run.
function quartiles(w,    med, cnt, q) {
	med = median(w, "native")
	cnt = n[w SUBSEP "native"]
	q = int(cnt / 4)
	return med > 0 ? (s[cnt - q] - s[q + 1]) / 2 / med * 100 : 0
}

# The budgets hold tcpshim as a program runs under it: not
# libkeepalive0, nor a test run with injection rules armed (its cost is
# reported, not budgeted).
function budgeted(c) {
	return c != "libka" && c != "shiminj"
}

function have(key) {
	return (key in r) && r[key] != ""
}

function added(mode, c) {
	if (!have("ir." mode "." c) || !have("ir." mode ".native"))
		return "-"
	return sprintf(mode == "start" ? "%+d" : "%+.1f",
		       r["ir." mode "." c] - r["ir." mode ".native"])
}

function sys(mode, c) {
	return have("sys." mode "." c) ? sprintf("%+g", r["sys." mode "." c]) : "-"
}

# A budget row: workload w under configuration c, no slower than
# libkeepalive0, judged against the run's noise.
# A budget row: workload w under configuration c, no slower than
# libkeepalive0, judged against the run's noise.
function against_libka(what, w, c,    x, noise, says) {
	x = median(w, c) / median(w, "libka")
	noise = quartiles(w) / 100
	if (x <= 1 || x - 1 > noise)
		says = clock_verdict(x <= 1, sprintf("%.0f%% slower", (x - 1) * 100))
	else
		says = sprintf("**inconclusive**: %.1f%% slower, within" \
			       " this run's noise (%.1f%%)", (x - 1) * 100,
			       noise * 100)
	row(what ", over libkeepalive0", "≤ 1.00",
	    sprintf("%.3f (native runs' middle half ±%.1f%%)", x, noise * 100),
	    says, 0)
}

# The verdict of a counted budget: one that does not hold fails the run.
function verdict(ok, by) {
	return ok ? "holds" : "**does not hold** (" by ")"
}

# The verdict of a wall-clock budget, which never fails the run.
function clock_verdict(ok, by) {
	return ok ? "holds" : "**over** (" by "): wall clock, reported"
}

# One row of the budgets' table; counted: the verdict decides the run.
function row(what, limit, measured, says, counted) {
	print "| " what " | " limit " | " measured " | " says " | " \
	      (counted ? "yes" : "no: wall clock") " |"
	if (!counted)
		return
	if (says ~ /does not hold/) {
		failed = failed (failed == "" ? "" : "; ") what
		print what >over
	} else if (says == "-")
		unmeasured = unmeasured (unmeasured == "" ? "" : "; ") what
}

# The instructions a healthy call of mode m adds, under every budgeted
# configuration, against the limit.
function instr_row(m, limit,    i, c, a, worst, text) {
	worst = -1e9; text = ""
	# The budgeted configurations, and the packaged library where
	# make deb built one.
	for (i = 2; i <= ncfg + 1; i++) {
		c = i <= ncfg ? cfg[i] : "shimdeb"
		if (!budgeted(c) || added(m, c) == "-")
			continue
		a = r["ir." m "." c] - r["ir." m ".native"]
		worst = a > worst ? a : worst
		text = text (text == "" ? "" : "; ") \
		       sprintf("%+.1f %s", a, title[c])
	}
	row("instructions added per healthy " mlabel[m], "≤ " limit,
	    text == "" ? "not measured" : text,
	    text == "" ? "-" : verdict(worst <= limit,
				       sprintf("%+.1f over", worst - limit)), 1)
}

# System calls added to the modes in list (space-separated): none.
function sys_row(what, list, per,    nm, ms, j, i, x, worst, seen) {
	nm = split(list, ms, " ")
	worst = 0; seen = 0
	for (j = 1; j <= nm; j++)
		for (i = 2; i <= ncfg; i++) {
			if (!budgeted(cfg[i]) || !have("sys." ms[j] "." cfg[i]))
				continue
			seen = 1
			x = r["sys." ms[j] "." cfg[i]]
			worst = x > worst ? x : worst
		}
	row("system calls added to " what, "0",
	    seen ? sprintf("%+g at most", worst) : "not measured",
	    seen ? verdict(worst <= 0, sprintf("%+g per %s", worst, per)) : "-", 1)
}

END {
	split("pingpong bulk fileclose churn manysock threads spawn", order, " ")
	label["pingpong"] = "1. ping-pong, 64 B (µs per round trip)"
	label["bulk"] = "2. bulk, 64 KiB writes (µs per write)"
	label["fileclose"] = "3. close() of a regular file (ns)"
	label["churn"] = "4. connect/accept/close churn (µs per connection)"
	label["manysock"] = "5. one send on each of many sockets (ns per send)"
	label["threads"] = "6. two threads sending at once (ns per send)"
	label["spawn"] = "7. fork and exec /bin/true (ms)"
	scale["pingpong"] = 1000; scale["bulk"] = 1000; scale["fileclose"] = 1
	scale["churn"] = 1000; scale["manysock"] = 1; scale["threads"] = 1
	scale["spawn"] = 1000000

	ncfg = split(r["configs"], cfg, " ")
	title["native"] = "native"
	title["shim"] = "tcpshim"
	title["shimka"] = "tcpshim, keepalive + JSON log"
	title["libka"] = "libkeepalive0"
	title["shiminj"] = "tcpshim, TCPSHIM_INJECT rules armed"
	title["shimdeb"] = "tcpshim as packaged (" r["deb"] ")"
	kaname = "libkeepalive0"
	# The wrapped data calls, each counted and budgeted.
	DATA = "send sendto sendmsg write writev recv recvfrom recvmsg read" \
	       " readv send1 udpmsg"
	split("send sendto sendmsg write writev recv recvfrom recvmsg read" \
	      " readv", plain, " ")
	for (j = 1; j <= 10; j++)
		mlabel[plain[j]] = plain[j] ", 64 B"
	mlabel["send1"] = "send, 1 B, flags 0, drained by a thread of" \
			  " the program (every thread counted)"
	mlabel["udpmsg"] = "recvmsg on UDP, IP_PKTINFO and SO_TIMESTAMP" \
			   " read on every call"
	mlabel["close"] = "close of /dev/null"
	mlabel["churn"] = "one connection: socket, connect, accept, 2 × close"
	mlabel["start"] = "start and exit of /bin/true (once)"

	print "## tcpshim benchmark"
	print ""
	print "Machine: " r["machine"] "; load average " r["load"] "." \
	      " Wall clock: " r["rounds"] \
	      " rounds of " r["secs"] " s per workload and configuration, run" \
	      " interleaved (native, tcpshim, ..., native, tcpshim, ...)."
	print "Time per operation, lower is better: median (min–max)." \
	      " ×: median over the native median of the same run."
	if (have("nofile"))
		print "RLIMIT_NOFILE soft limit " r["nofile"] ": at each start" \
		      " tcpshim looks for inherited sockets " \
		      (r["nofile"] + 0 <= 4096 ? "with poll()" \
		       : "in /proc/self/fd (above 4096: poll() would cost more)") "."
	print ""
	hdr = "| workload |"
	sep = "| --- |"
	for (i = 1; i <= ncfg; i++) {
		hdr = hdr " " title[cfg[i]] " |"
		sep = sep " ---: |"
		if (cfg[i] != "native") {
			hdr = hdr " × |"
			sep = sep " ---: |"
		}
	}
	print hdr
	print sep
	for (j = 1; j <= 7; j++) {
		w = order[j]
		line = "| " label[w] " |"
		for (i = 1; i <= ncfg; i++) {
			line = line " " cell(w, cfg[i]) " |"
			if (cfg[i] != "native")
				line = line " " ratio(w, cfg[i]) " |"
		}
		print line
	}
	print ""
	if ("manysock" in notes)
		print "Workloads 1 and 2: both ends on one CPU. Workload 5: " \
		      notes["manysock"] ", in a new random order each sweep." \
		      " Workload 6: each thread on its own connection and CPU."
	if (median("pingpong", "native") > 0)
		printf "Native rates: %.0f round trips/s, %.2f GB/s bulk," \
		       " %.0f connections/s.\n",
		       1e9 / median("pingpong", "native"),
		       65536 / median("bulk", "native"),
		       1e9 / median("churn", "native")
	print "Keepalive settings, both preloads: idle 60 s, interval 10 s," \
	      " 5 probes (TCPSHIM_KEEPALIVE=60,10,5; KEEPIDLE, KEEPINTVL," \
	      " KEEPCNT)."
	if (r["configs"] ~ /shiminj/)
		print "TCPSHIM_INJECT rules armed: two rules on every" \
		      " connection, never reached (after_sent and" \
		      " after_received of 10^15 bytes), as a test run under" \
		      " --inject pays on every call."
	if (r["configs"] !~ /libka/)
		print "libkeepalive0 was not measured: not installed" \
		      " (apt-get install libkeepalive0, as root)."
	print ""

	# The storm: refused connects, one RST each.
	if (n["storm" SUBSEP "native"] > 0) {
		scale["storm"] = 1000
		print "### A reset storm"
		print ""
		print "Refused connects to a loopback port, one RST each, as" \
		      " fast as one thread goes (µs per reset): median" \
		      " (min–max), and × over native."
		print ""
		print "| native | tcpshim, no log | × | file log, every" \
		      " event written | × | file log, TCPSHIM_RATE=100 | × |"
		print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		print "| " cell("storm", "native") " | " cell("storm", "stormoff") \
		      " | " ratio("storm", "stormoff") " | " \
		      cell("storm", "stormfile") " | " ratio("storm", "stormfile") \
		      " | " cell("storm", "stormrate") " | " \
		      ratio("storm", "stormrate") " |"
		print ""
		printf "Native: %.0f resets/s. Past the limit an event is" \
		       " counted and not filled in (no cookie or address" \
		       " lookups), so the storm costs what seeing the resets" \
		       " costs with no log at all.\n\n",
		       1e9 / median("storm", "native")
	}

	print "### Counted per call"
	print ""
	print "User-space instructions (callgrind, inside the loop of calls," \
	      " in the calling thread, and for the 1-byte send in the" \
	      " draining thread too) and" \
	      " system calls (strace -c), each as (count at " 2 * r["ncalls"] \
	      " calls − count at " r["ncalls"] ") / " r["ncalls"] \
	      ", except the start of /bin/true, counted once;" \
	      " \"added\" is over native."
	print ""
	hdr = "| per call | native instructions |"
	sep = "| --- | ---: |"
	for (i = 2; i <= ncfg; i++) {
		hdr = hdr " instructions added: " title[cfg[i]] " |"
		sep = sep " ---: |"
	}
	for (i = 2; i <= ncfg; i++) {
		hdr = hdr " system calls added: " title[cfg[i]] " |"
		sep = sep " ---: |"
	}
	print hdr
	print sep
	nmodes = split(DATA " close churn start", modes, " ")
	for (j = 1; j <= nmodes; j++) {
		m = modes[j]
		line = "| " mlabel[m] " | " \
		       (have("ir." m ".native") ? r["ir." m ".native"] : "-") " |"
		for (i = 2; i <= ncfg; i++)
			line = line " " added(m, cfg[i]) " |"
		for (i = 2; i <= ncfg; i++)
			line = line " " sys(m, cfg[i]) " |"
		print line
	}
	print ""
	for (j = 1; j < nmodes; j++)
		for (i = 2; i <= ncfg; i++)
			if (have("sysx." modes[j] "." cfg[i]))
				print "- " mlabel[modes[j]] ", " title[cfg[i]] ": " \
				      r["sysx." modes[j] "." cfg[i]]
	if (have("skip.ir"))
		print "- Instructions not counted: " r["skip.ir"]
	if (have("skip.deb"))
		print "- The packaged library not counted: " r["skip.deb"]
	else if (have("deb"))
		print "- The packaged library (" r["deb"] ", Debian's build flags)" \
		      " is counted beside the plain build: its figures are in the" \
		      " instruction budgets below."
	if (have("skip.sys"))
		print "- System calls not counted: " r["skip.sys"]
	print ""

	# Anonymous resident memory, KiB in RESULTS.
	fixed = r["mem.shim.0"] - r["mem.native.0"]
	per = r["mem.shim.2n"] - r["mem.shim.n"]
	per = (per - (r["mem.native.2n"] - r["mem.native.n"])) * 1024 / r["mem.n"]
	all = r["mem.shim.2n"] - r["mem.native.2n"]
	lowd = r["mem.shim.lowlimit"] - r["mem.native.lowlimit"]
	highd = r["mem.shim.highlimit"] - r["mem.native.highlimit"]
	fdd = (r["mem.shim.highfd"] - r["mem.native.highfd"]) - fixed
	print "### Resident memory (anonymous, smaps_rollup)"
	print ""
	printf "- tcpshim loaded, no socket: %+d KiB over native.\n", fixed
	printf "- Per tracked socket: %.1f bytes, ±%.1f (the growth from %d" \
	       " to %d sockets, over native's, per socket: one page more or" \
	       " less moves it by %.1f); %d sockets cost %+d KiB over native" \
	       " in all.\n", per, 4096 / r["mem.n"], r["mem.n"],
	       2 * r["mem.n"], 4096 / r["mem.n"], 2 * r["mem.n"], all
	printf "- 16 sockets at low fds: %+d KiB over native with" \
	       " RLIMIT_NOFILE %d, %+d KiB with RLIMIT_NOFILE %d.\n",
	       lowd, r["mem.low"], highd, r["mem.high"]
	printf "- One socket at fd %d: %+d KiB over the no-socket figure.\n",
	       r["mem.high"] - 1, fdd
	print ""

	print "### Budgets"
	print ""
	print "A counted budget (instructions, system calls, bytes per" \
	      " socket) that does not hold fails `make bench`; a" \
	      " wall-clock one is reported and never fails it."
	print ""
	print "| budget | limit | measured | verdict | fails the run |"
	print "| --- | --- | --- | --- | --- |"
	nd = split(DATA, dm, " ")
	for (j = 1; j <= nd; j++)
		instr_row(dm[j], 22)
	sys_row("the data calls above", DATA, "call")
	sys_row("close() of a non-socket", "close", "close")
	for (j = 1; j <= 2; j++) {
		w = j == 1 ? "pingpong" : "bulk"
		text = ""; worst = 0; seen = 0
		for (i = 2; i <= ncfg; i++) {
			if (!budgeted(cfg[i]) || ratio(w, cfg[i]) == "-")
				continue
			seen = 1
			x = ratio(w, cfg[i])
			worst = x + 0 > worst ? x + 0 : worst
			text = text (text == "" ? "" : "; ") x " " title[cfg[i]]
		}
		# The run's own noise: how far apart the middle half of the
		# native runs lie; and libkeepalive0, which does nothing on this
		# path (it wraps socket() only), so that its distance from
		# native is noise too.
		noise = quartiles(w) / 100
		how = sprintf("native runs' middle half ±%.1f%%", quartiles(w))
		if (ratio(w, "libka") != "-") {
			x = ratio(w, "libka") - 1
			x = x < 0 ? -x : x
			noise = x > noise ? x : noise
			how = how sprintf("; libkeepalive0, which adds nothing" \
					  " here, %s", ratio(w, "libka"))
		}
		if (seen)
			text = text " (" how ")"
		if (!seen)
			says = "-"
		else if (noise > 0.01)
			says = sprintf("**inconclusive**: this run's noise (%.1f%%)" \
				    " is above the 1%% budget", noise * 100)
		else
			says = clock_verdict(worst <= 1.01,
				    sprintf("%.1f%% slower", (worst - 1) * 100))
		row((j == 1 ? "ping-pong" : "bulk") " median time, over native",
		    "≤ 1.01", seen ? text : "not measured", says, 0)
	}
	if (n["churn" SUBSEP "libka"] > 0)
		against_libka("churn with keepalive", "churn", "shimka")
	else
		row("churn with keepalive, over " kaname, "≤ 1.00",
		    "not measured: " kaname " not installed", "-", 0)
	# Start-up: what every process start pays, against the other preload.
	what = "instructions added to the start of /bin/true, over " kaname "'s"
	if (have("ir.start.libka") && have("ir.start.shim")) {
		a = r["ir.start.shim"] - r["ir.start.native"]
		b = r["ir.start.libka"] - r["ir.start.native"]
		row(what, "≤ 1.5× (" sprintf("%d", 1.5 * b) ")",
		    sprintf("%+d (%.2f×)", a, a / b),
		    verdict(a <= 1.5 * b, sprintf("%.2f×", a / b)), 1)
	} else
		row(what, "≤ 1.5×", "not measured", "-", 1)
	if (n["spawn" SUBSEP "libka"] > 0)
		against_libka("fork and exec of /bin/true", "spawn", "shim")
	if (n["storm" SUBSEP "stormrate"] > 0) {
		# What the limit leaves of the log's cost, against the
		# native runs' own spread.
		x = median("storm", "stormrate") / median("storm", "stormoff")
		noise = quartiles("storm") / 100
		row("a reset storm past TCPSHIM_RATE=100, over tcpshim with" \
		    " no log", "≤ 1 + native spread",
		    sprintf("%.3f (native runs' middle half ±%.1f%%)", x,
			    noise * 100),
		    clock_verdict(x - 1 <= noise, sprintf("%.1f%% slower",
						      (x - 1) * 100)), 0)
	}
	# One page more or less over N sockets is the resolution.
	res = 4096 / r["mem.n"]
	row("memory per tracked socket", "≤ 64 B",
	    sprintf("%.1f B (±%.1f)", per, res),
	    verdict(per - res <= 64, sprintf("%.1f B over", per - res - 64)) \
	    (per > 64 && per - res <= 64 ? ", within the resolution" : ""), 1)
	row("memory with RLIMIT_NOFILE " r["mem.low"] " → " r["mem.high"] \
	    ", fds low", "no growth (one page)",
	    sprintf("%+d KiB", highd - lowd),
	    verdict(highd - lowd <= 4, sprintf("%+d KiB", highd - lowd)), 1)
	print ""
	if (failed != "")
		print "**Counted budgets that do not hold, failing `make bench`:** " \
		      failed "."
	else
		print "Every counted budget holds" \
		      (unmeasured != "" ? " that was measured (not measured: " \
		       unmeasured ")" : "") "."
	print ""
	print "Events logged by the healthy workloads: " r["events"] \
	      (r["events"] == 0 ? "." : " (expected none: see build/bench/).")
	print ""
}
