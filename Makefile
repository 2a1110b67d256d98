# superd: a fork-per-connection super-server.  GNU make or BSD make.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
LIBEXEC	?= $(PREFIX)/libexec/superd
# /etc/superd.conf and /etc/superd.d whatever the PREFIX: where superd
# looks by default; the units where systemd looks for units of PREFIX
# (/usr/local/lib/systemd/system is on its search path).
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
# The file update-inetd edits, which the installed table includes: made
# (a comment) when there is none, since an .include of a missing file is
# an error of the table; empty for none (the Debian package's postinst
# makes it instead, so that no package owns it).
INETD_CONF ?= /etc/inetd.conf
EXAMPLEDIR ?= $(PREFIX)/share/doc/superd/examples
# make run serves conf/superd.conf with its programs from this checkout,
# copied where a service's user (nobody) can execute them.
RUNDIR	?= /tmp/superd-run-$$(id -u)
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-result
BSD_CFLAGS = `pkg-config --cflags libbsd-overlay`
BSD_LIBS   = `pkg-config --libs libbsd-overlay`
WERROR	?=
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(WERROR) $(CPPFLAGS) $(CFLAGS) \
	     $(BSD_CFLAGS) -DSUPERD_LIBEXEC=\"$(LIBEXEC)\"
# superd-pty, pty's relay (ptyrelay.c): a program of its own, static so
# that it runs inside a chroot= that has no libraries, with flags of its
# own (a sanitizer's runtime cannot link statically), hardened as
# Debian's are.
PTY_CFLAGS ?= -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
PTY_LDFLAGS ?= -fPIE -static-pie -Wl,-z,relro,-z,now

SRCS	 = superd.c upgradeask.c upgrade.c upgradeenc.c upgradeadopt.c \
	   upgradedec.c reload.c watch.c ctlask.c ctl.c status.c reaper.c serve.c \
	   dgramconn.c admit.c dgramwait.c child.c \
	   linger.c errlog.c held.c proxywait.c refuse.c poll.c services.c $(CONF_SRCS) addr.c listen.c \
	   tcpopt.c contain.c spawn.c spawnns.c nspool.c spawnfail.c spawnback.c \
	   spawnenv.c cgroup.c cgsweep.c cgdelegate.c limits.c guard.c backlog.c \
	   internal.c scrape.c metrics.c httpreq.c builtin.c adopt.c notify.c \
	   ports.c inherit.c table.c log.c logtext.c proxyhdr.c tcpinfo.c fd.c \
	   pid.c timer.c
# The table parser: its files share confint.h.
CONF_SRCS = conf.c confinc.c confread.c hosts.c confopt.c confcontain.c confconn.c \
	    confproxy.c confpty.c \
	    confuser.c confval.c conflict.c \
	    svconf.c conferr.c
CONF_OBJS = $(CONF_SRCS:.c=.o)
OBJS	 = $(SRCS:.c=.o)
TAB_SRCS = supertab.c tabedit.c tabio.c tabmodel.c tabcheck.c tabsignal.c \
	   tabxinetd.c xiconv.c xiparse.c
TAB_OBJS = $(TAB_SRCS:.c=.o) $(CONF_OBJS) builtin.o log.o logtext.o fd.o \
	   addr.o
BENCH	 = bench/loadgen bench/spawnloop bench/hello bench/refserver

# What the build and the tests need on Debian or Ubuntu.
DEB_DEPS = build-essential pkg-config libbsd-dev bats bats-support \
	   bats-assert netcat-openbsd socat curl mandoc bc python3 \
	   procps util-linux iproute2 tftpd-hpa tftp-hpa systemd busybox-static \
	   haproxy openssl nginx-light libnginx-mod-stream
# What make fuzz, make analyze and make valgrind need besides.
CHECK_DEPS = clang libclang-rt-14-dev clang-tools cppcheck valgrind

all: superd supertab superd-pty

superd: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(BSD_LIBS)

.c.o:
	$(CC) $(ALL_CFLAGS) -c $<

superd-pty: ptyrelay.c
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(WERROR) $(PTY_CFLAGS) \
	    $(PTY_LDFLAGS) -o $@ ptyrelay.c

supertab: $(TAB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(TAB_OBJS) $(BSD_LIBS)

$(OBJS) $(TAB_OBJS): superd.h
# An upgrade's from= and to= tell two builds of one release apart by
# the commit they were built from, when there is a git checkout.
BUILD_ID != git rev-parse --short HEAD 2>/dev/null || true
upgradedec.o: upgradedec.c
	$(CC) $(ALL_CFLAGS) -DSUPERD_BUILD='"$(BUILD_ID)"' -c upgradedec.c
spawn.o spawnns.o spawnfail.o spawnback.o spawnenv.o: spawnint.h
spawn.o spawnns.o spawnback.o: sys.h
$(CONF_OBJS): confint.h
$(TAB_SRCS:.c=.o): tab.h

# Install what is missing (as root), or say the command to run.
deps:
	@missing=""; for p in $(DEB_DEPS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "missing packages; run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	fi

# The same for what make fuzz, analyze and valgrind need.
check-deps:
	@$(MAKE) -s deps DEB_DEPS="$(CHECK_DEPS)"

run: deps all run-table
	exec ./superd -d $(RUNDIR)/superd.conf

run-table:
	@rm -rf $(RUNDIR) && mkdir -p $(RUNDIR) && chmod 755 $(RUNDIR)
	@cp services/* $(RUNDIR)/ && chmod 755 $(RUNDIR)/*
	@sed 's|/usr/local/libexec/superd/|'$(RUNDIR)'/|' conf/superd.conf \
	    >$(RUNDIR)/superd.conf
	@echo "serving conf/superd.conf, programs from $(RUNDIR)"

test: deps all tests/proxycheck promtool
	bats --formatter tap tests

# proxyhdr.c's test driver (tests/proxyhdr.bats).
tests/proxycheck: tests/proxycheck.c proxyhdr.c superd.h
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ tests/proxycheck.c proxyhdr.c \
	    $(BSD_LIBS)

# promtool, which tests/metrics.bats checks /metrics with: Debian's
# prometheus package, unpacked here (tests/bin/), not installed, since
# its postinst starts a Prometheus server.  The package lists are
# fetched first (as root) when apt-get cannot find it.
PROMTOOL = tests/bin/promtool
promtool: $(PROMTOOL)

$(PROMTOOL):
	@d=`mktemp -d` && cd $$d && get() { apt-get download -qq \
	    -o APT::Sandbox::User=root prometheus; } && \
	{ get || { [ "$$(id -u)" = 0 ] && apt-get update -qq && get; }; } && \
	dpkg -x prometheus_*.deb x && mkdir -p $(CURDIR)/tests/bin && \
	install -m 755 x/usr/bin/promtool $(CURDIR)/$@; rc=$$?; \
	cd / && rm -rf $$d; exit $$rc

# detect_leaks=0 for the suite: superd leaves its table to exit(3) on
# every way out.  supertab's leak test (hostile.bats, heading 10) asks
# LeakSanitizer for it itself, so supertab stays leak-free.
check-asan: deps
	$(MAKE) clean
	$(MAKE) all CFLAGS="-O1 -g -fno-omit-frame-pointer \
	    -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    SUPERD_ASAN=1 bats --formatter tap tests
	$(MAKE) clean

# The man pages under mandoc, and the layers of the sources.
lint: layers
	mandoc -Tlint -Wwarning man/superd.8 man/superd.conf.5 man/supertab.8

# Which file calls which, from nm on the objects: fails on a cycle
# between files, a leaf using more than log.c and fd.c, or a use of a
# file with main(), or a use against the drawing of the files at the top
# of superd.h (the rules: tests/layers.py); V=1 prints the graph.
layers: $(OBJS) $(TAB_OBJS)
	python3 tests/layers.py $(if $(V),-v) --map superd.h superd: $(OBJS) \
	    supertab: $(TAB_OBJS)

# The table, the units and the example table take the installation's
# paths (sed); $(SYSCONFDIR)/superd.conf is installed only when there is
# none, so a reinstall never overwrites the administrator's table.
# superd.socket is an example (EXAMPLEDIR), not a unit: it must be edited
# to the table's addresses before it is enabled.
install: superd supertab superd-pty
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 superd supertab $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(LIBEXEC)
	install -m 755 services/* superd-pty $(DESTDIR)$(LIBEXEC)/
	install -m 644 man/superd.8 man/supertab.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/superd.conf.5 $(DESTDIR)$(MANDIR)/man5/superd.conf.5
	install -d $(DESTDIR)$(SYSCONFDIR)/superd.d $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(EXAMPLEDIR)
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/superd.conf ]; then \
	    echo "$(DESTDIR)$(SYSCONFDIR)/superd.conf exists: left as it is"; \
	else \
	    echo "installing $(DESTDIR)$(SYSCONFDIR)/superd.conf"; \
	    sed 's|/etc/superd|$(SYSCONFDIR)/superd|g' conf/system.conf \
	    >$(DESTDIR)$(SYSCONFDIR)/superd.conf.new && \
	    chmod 644 $(DESTDIR)$(SYSCONFDIR)/superd.conf.new && \
	    mv $(DESTDIR)$(SYSCONFDIR)/superd.conf.new \
	    $(DESTDIR)$(SYSCONFDIR)/superd.conf; fi
	@if [ -n "$(INETD_CONF)" ] && [ ! -e $(DESTDIR)$(INETD_CONF) ]; then \
	    echo "installing $(DESTDIR)$(INETD_CONF)"; \
	    mkdir -p `dirname $(DESTDIR)$(INETD_CONF)` && \
	    install -m 644 conf/inetd.conf $(DESTDIR)$(INETD_CONF); fi
	for u in $(UNITDIR)/superd.service $(EXAMPLEDIR)/superd.socket; do \
	    sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	    -e 's|/etc/superd|$(SYSCONFDIR)/superd|g' conf/$${u##*/} \
	    >$(DESTDIR)$$u && chmod 644 $(DESTDIR)$$u || exit 1; done
	sed 's|/usr/local/libexec/superd/|$(LIBEXEC)/|g' conf/superd.conf \
	    >$(DESTDIR)$(EXAMPLEDIR)/superd.conf
	chmod 644 $(DESTDIR)$(EXAMPLEDIR)/superd.conf

# What install put, but the table: $(SYSCONFDIR)/superd.conf may be the
# administrator's, and so may what is in superd.d; $(INETD_CONF) holds
# the lines of the packages that registered with update-inetd.  (Stop and
# disable the unit first: systemctl disable --now superd.)
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/superd $(DESTDIR)$(SBINDIR)/supertab \
	    $(DESTDIR)$(MANDIR)/man8/superd.8 $(DESTDIR)$(MANDIR)/man8/supertab.8 \
	    $(DESTDIR)$(MANDIR)/man5/superd.conf.5 \
	    $(DESTDIR)$(UNITDIR)/superd.service \
	    $(DESTDIR)$(EXAMPLEDIR)/superd.socket \
	    $(DESTDIR)$(EXAMPLEDIR)/superd.conf
	rm -rf $(DESTDIR)$(LIBEXEC)
	-d=$(DESTDIR)$(EXAMPLEDIR); rmdir $$d $${d%/*} \
	    $(DESTDIR)$(SYSCONFDIR)/superd.d 2>/dev/null

# memory= and tasks= on cgroup v2, in a cgroup delegated as systemd's
# Delegate=yes does, in a virtual machine booted on Debian's kernel
# (tests/cgroup2.sh, at most CG2_TIMEOUT seconds, 300; .ci/run runs it
# after the suite).  The kernel is unpacked into tests/bin/, not
# installed.
CG2_DEPS = qemu-system-x86 busybox-static
cgroup2: superd
	@$(MAKE) -s deps DEB_DEPS="$(CG2_DEPS)"
	bash tests/cgroup2.sh

# superd_VERSION_ARCH.deb in this directory (make clean removes it),
# built by dpkg-buildpackage from a copy of the tree under deb-build/
# (debian/; this tree's objects are left alone), then checked by lintian.
# The version is superd.h's SUPERD_VERSION, which debian/changelog's top
# entry must name.
DEB_BUILD_DEPS = debhelper dpkg-dev fakeroot lintian
DEBBUILD ?= deb-build
deb:
	@$(MAKE) -s deps DEB_DEPS="$(DEB_BUILD_DEPS) pkg-config libbsd-dev"
	@v=`sed -n 's/^#define SUPERD_VERSION[^"]*"\(.*\)"/\1/p' superd.h`; \
	c=`dpkg-parsechangelog -S Version`; \
	if [ "$$v" != "$$c" ]; then echo "superd.h says $$v," \
	    "debian/changelog $$c: add a changelog entry (dch -v $$v)"; \
	    exit 1; fi
	rm -rf $(DEBBUILD) && mkdir -p $(DEBBUILD)/superd
	tar -cf - --exclude=./$(DEBBUILD) --exclude=./.git \
	    --exclude='*.o' --exclude='*.deb' --exclude=./superd \
	    --exclude=./supertab --exclude=./fuzz/work --exclude=./tests/debs \
	    --exclude=./bench/results --exclude=./bench/build \
	    --exclude=./tests/bin . | \
	    tar -xf - -C $(DEBBUILD)/superd
	cd $(DEBBUILD)/superd && dpkg-buildpackage -us -uc -b
	lintian -I --pedantic --fail-on error,warning $(DEBBUILD)/superd_*.changes
	mv $(DEBBUILD)/superd_*.deb .
	@ls superd_`dpkg-parsechangelog -S Version`_`dpkg --print-architecture`.deb

# libFuzzer harnesses (fuzz/), built with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer from the sources supertab shares (timer_fuzz
# from timer.c alone, http_fuzz from httpreq.c); make fuzz runs each for FUZZ_S seconds on its seeds
# (fuzz/corpus/; timer_fuzz starts from none; upgrade_fuzz reads
# upgradedec.c's states, its seeds real ones), writing what it learns
# under fuzz/work/ (not in git) and a crash as fuzz/work/crash-*.
FUZZ_S	?= 60
FUZZ_CC	?= clang
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(WERROR) -g -O1 \
	   -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	   -fno-sanitize-recover=all $(BSD_CFLAGS)
FUZZ_OPTS ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
TAB_FUZZERS = fuzz/conf_fuzz fuzz/text_fuzz
FUZZERS	 = $(TAB_FUZZERS) fuzz/xinetd_fuzz fuzz/timer_fuzz fuzz/proxy_fuzz \
	   fuzz/http_fuzz fuzz/upgrade_fuzz
# Besides what supertab links: the allow=/deny= matcher text_fuzz checks.
FUZZ_EXTRA = limits.c

$(TAB_FUZZERS): fuzz/conf_fuzz.c fuzz/text_fuzz.c fuzz/resolve.c superd.h \
	    confint.h $(SRCS) $(TAB_SRCS)
	srcs=`for o in $(TAB_OBJS); do case " $(TAB_SRCS) " in \
	    *" $${o%.o}.c "*) ;; *) echo $${o%.o}.c;; esac; done`; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $@.c fuzz/resolve.c $$srcs \
	    $(FUZZ_EXTRA) $(BSD_LIBS) -ldl

# supertab import-xinetd's parser and conversion, checked by the table's.
XI_SRCS	 = xiparse.c xiconv.c
fuzz/xinetd_fuzz: fuzz/xinetd_fuzz.c fuzz/resolve.c superd.h tab.h \
	    confint.h $(SRCS) $(TAB_SRCS)
	srcs=`for o in $(TAB_OBJS); do case " $(TAB_SRCS) " in \
	    *" $${o%.o}.c "*) ;; *) echo $${o%.o}.c;; esac; done`; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $@.c fuzz/resolve.c $$srcs \
	    $(XI_SRCS) $(BSD_LIBS) -ldl

# timer.c against a model; it includes timer.c to check the tree itself.
fuzz/timer_fuzz: fuzz/timer_fuzz.c timer.c superd.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ fuzz/timer_fuzz.c $(BSD_LIBS)

# proxyhdr.c alone, with its properties (fuzz/proxy_fuzz.c).
fuzz/proxy_fuzz: fuzz/proxy_fuzz.c proxyhdr.c superd.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ fuzz/proxy_fuzz.c proxyhdr.c $(BSD_LIBS)

# httpreq.c alone: the metrics built-in's request head parser.
fuzz/http_fuzz: fuzz/http_fuzz.c httpreq.c superd.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ fuzz/http_fuzz.c httpreq.c $(BSD_LIBS)

# upgradedec.c alone: the state an upgrade in place hands over.
fuzz/upgrade_fuzz: fuzz/upgrade_fuzz.c upgradedec.c superd.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ fuzz/upgrade_fuzz.c upgradedec.c \
	    $(BSD_LIBS) -lm

fuzz: check-deps $(FUZZERS)
	mkdir -p fuzz/work/conf fuzz/work/text fuzz/work/timer \
	    fuzz/work/xinetd fuzz/work/proxy fuzz/work/http fuzz/work/upgrade
	fuzz/conf_fuzz $(FUZZ_OPTS) -max_total_time=$(FUZZ_S) \
	    -max_len=65536 -dict=fuzz/conf.dict -artifact_prefix=fuzz/work/ \
	    fuzz/work/conf fuzz/corpus/conf
	fuzz/text_fuzz $(FUZZ_OPTS) -max_total_time=$(FUZZ_S) \
	    -max_len=4096 -artifact_prefix=fuzz/work/ \
	    fuzz/work/text fuzz/corpus/text
	fuzz/xinetd_fuzz $(FUZZ_OPTS) -max_total_time=$(FUZZ_S) \
	    -max_len=16384 -artifact_prefix=fuzz/work/ \
	    fuzz/work/xinetd fuzz/corpus/xinetd
	fuzz/timer_fuzz $(FUZZ_OPTS) -max_total_time=$(FUZZ_S) \
	    -max_len=3000 -artifact_prefix=fuzz/work/ fuzz/work/timer
	fuzz/proxy_fuzz $(FUZZ_OPTS) -max_total_time=$(FUZZ_S) \
	    -max_len=70000 -dict=fuzz/proxy.dict -artifact_prefix=fuzz/work/ \
	    fuzz/work/proxy fuzz/corpus/proxy
	fuzz/http_fuzz $(FUZZ_OPTS) -max_total_time=$(FUZZ_S) \
	    -max_len=8192 -dict=fuzz/http.dict -artifact_prefix=fuzz/work/ \
	    fuzz/work/http fuzz/corpus/http
	fuzz/upgrade_fuzz $(FUZZ_OPTS) -max_total_time=$(FUZZ_S) \
	    -max_len=65536 -artifact_prefix=fuzz/work/ \
	    fuzz/work/upgrade fuzz/corpus/upgrade

# Static analysis, clean or failing: gcc's -fanalyzer, cppcheck and clang's
# scan-build over every source.  A report that is wrong is silenced at its
# line with the reason beside it, or here when it is about a whole class:
# superd is one thread, so the non-reentrant lookups (getpwnam and the
# like, made once per table load) are not a portability problem; supertab
# exits through err(3) when realloc fails, so the old buffer is not lost;
# gcc 12's leak check loses what conferr.c appends to a table's message
# lists (through the struct conf the caller passes, freed by conf_free),
# and what tabmodel.c keeps in supertab's struct table (freed by
# table_free), what import-xinetd's files keep in theirs (xi_free,
# xi_line_free), the names watch.c keeps in its table of directories
# (wdir_free), the partial line errlog.c keeps in a pipe's record
# (pipe_end) and the records upgradedec.c reads into the caller's struct
# upstate (upstate_free), and is off for those files, where scan-build checks
# leaks; supertab is one thread too (readdir).
ANALYZE_CC ?= gcc
CPPCHECK_FLAGS = -q --enable=warning,portability,performance --std=c11 \
	   --library=posix --inline-suppr --error-exitcode=1 \
	   -D_GNU_SOURCE -D__linux__ -DLIBBSD_OVERLAY -I. -I/usr/include/bsd \
	   --suppress=getpwnamCalled --suppress=getpwuidCalled \
	   --suppress=getgrnamCalled --suppress=getgrgidCalled \
	   --suppress=getservbynameCalled --suppress=getservbyportCalled \
	   --suppress=memleakOnRealloc:tabio.c \
	   --suppress=memleakOnRealloc:tabcheck.c \
	   --suppress=memleakOnRealloc:tabxinetd.c \
	   --suppress=memleakOnRealloc:xiparse.c \
	   --suppress=memleakOnRealloc:xiconv.c \
	   --suppress=memleakOnRealloc:watch.c --suppress=readdirCalled

analyze: check-deps
	@echo "== gcc -fanalyzer"
	@for f in $(SRCS) $(TAB_SRCS); do \
	    case $$f in conferr.c|tabmodel.c|tabxinetd.c|xiparse.c|xiconv.c|watch.c|errlog.c|upgradedec.c) \
	    x=-Wno-analyzer-malloc-leak;; \
	    *) x=;; esac; \
	    $(ANALYZE_CC) $(ALL_CFLAGS) -Werror -fanalyzer $$x -c $$f \
	    -o /dev/null || exit 1; done
	@echo "== cppcheck"
	cppcheck $(CPPCHECK_FLAGS) $(SRCS) $(TAB_SRCS)
	@echo "== scan-build"
	@d=`mktemp -d`; scan-build -o $$d --status-bugs sh -c 'for f in \
	    $(SRCS) $(TAB_SRCS); do $$CC $(ALL_CFLAGS) -c $$f -o /dev/null \
	    || exit 1; done'; rc=$$?; rm -rf $$d; exit $$rc

# superd under valgrind's memcheck: 200 reloads and 2,000 connections.
valgrind: check-deps all bench/loadgen
	bash tests/valgrind.sh

# 100,000 connections at concurrency 32: errors, descriptors, memory and
# zombies of the parent at the start, the middle and the end.  Not in CI.
soak: all bench/loadgen bench/hello
	bash bench/soak

bench/loadgen: bench/loadgen.c
	$(CC) -O2 -Wall -Wextra -o $@ bench/loadgen.c

bench/spawnloop: bench/spawnloop.c
	$(CC) -O2 -Wall -Wextra -o $@ bench/spawnloop.c

bench/hello: bench/hello.c
	$(CC) -O2 -Wall -Wextra -o $@ bench/hello.c

bench/refserver: bench/refserver.c
	$(CC) -O2 -Wall -Wextra -o $@ bench/refserver.c

# SUPERD_BASE=/path/to/superd: that binary beside ./superd, as superd-base.
# NSJAIL=/path/to/nsjail: the contained scenario's peer (by default
# ../shared/anchors/nsjail).  CONTAINED_OPTIONS=1: the per-option cost
# table too; CONTAINED_ONLY=1: only the contained runs; PROXY_ONLY=1: only
# hello and the proxy scenario, the proxy one's CPU against hello's; ROUNDS=N.
# IDLE_OPTIONS=idle=3600: the idle-children run again with those options.
bench: all $(BENCH)
	SUPERD_BASE=$(SUPERD_BASE) NSJAIL=$(NSJAIL) \
	    IDLE_OPTIONS=$(IDLE_OPTIONS) bash bench/run \
	    $(if $(QUICK),--quick) $(if $(CONTAINED_OPTIONS),--options) \
	    $(if $(CONTAINED_ONLY),--contained) $(if $(PROXY_ONLY),--proxy) \
	    $(if $(PTY),--pty) \
	    $(if $(ROUNDS),--rounds=$(ROUNDS))

clean:
	rm -f superd supertab superd-pty *.o $(BENCH) $(FUZZERS) tests/proxycheck
	rm -f superd_*.deb
	rm -rf $(DEBBUILD)

.PHONY: all bench deps check-deps run run-table test promtool check-asan lint layers install uninstall deb cgroup2 clean \
	fuzz analyze valgrind soak
