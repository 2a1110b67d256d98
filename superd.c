/*
 * superd: a fork-per-connection super-server in the inetd family.
 *
 * One parent listens on every address of its service table.  For each
 * connection (or datagram, or wait-mode readiness) it starts a child with
 * the socket on stdin and stdout, which executes the service's program.
 *
 * The life of the daemon, all of it in this file:
 *   1. what whoever started superd left (signals, stdio) is put right
 *      (inherit.c); options; sockets handed over by a supervisor
 *      (LISTEN_FDS, adopt.c) are taken aside before anything else opens
 *      a descriptor;
 *   2. the table is read whole (conf.c) and its unix paths checked
 *      (table.c): any error, and superd exits 1 having bound nothing;
 *   3. the pid file is locked, the listeners are bound (a busy address is
 *      retried every 10 s), superd detaches unless told not to;
 *   4. one epoll loop: listeners (serve.c), each child's pidfd, the
 *      control socket superd -S asks (ctl.c), and a signalfd for
 *      SIGHUP (reload.c), SIGTERM and SIGINT (close every listener and
 *      exit 0; children finish on their own, or with -k are waited for
 *      and then ended), SIGUSR1 (status) and SIGUSR2 (upgrade in
 *      place: the new binary checked, then executed in this process
 *      with every socket, child and counter: upgrade.c; its start takes
 *      them over, upgradeadopt.c).  Every
 *      deadline (timeouts, retries, pauses, log summaries) is a timer
 *      (timer.c): the loop sleeps until the first.
 * A supervisor is told when superd is ready, reloading and stopping
 * (notify.c); the -P ports file is written at start, after a reload and
 * after a late bind (ports.c).
 *
 * SIGCHLD is left at SIG_DFL and never read: children are reaped from
 * their pidfds, which avoids waitpid(-1)'s walk over every child.  As
 * PID 1, or with -r, superd is also a subreaper, and SIGCHLD joins the
 * signalfd: the orphans reparented to superd are reaped (reaper.c).
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define MAX_EVENTS	256
#define MAX_SLEEP_SECS	3600	/* the longest epoll_wait, in seconds */

extern char	**environ;

static const char	*conf_path = SUPERD_CONF;
static const char	*conf_name;	/* conf_path as given, for messages */
static const char	*ports_path;
static const char	*pid_path;
static const char	*status_arg;	/* -S, -u */
static int		 opt_upgrade;	/* -u */
static int		 opt_bindfatal;	/* -b */
static int		 opt_debug;	/* -d */
static int		 opt_fg;	/* -D, -d */
static int		 opt_stderr;	/* -e, -d */
static int		 opt_test;	/* -t */
static int		 opt_keepenv;	/* -E */
static int		 opt_backlog = SOMAXCONN; /* -q */
static int		 opt_endwait = -1; /* -k: seconds; -1: none */
static int		 opt_reaper;	/* -r */
static int		 opt_watch;	/* -w */
static struct evsrc	 signal_ev = { EV_SIGNAL };

#define USAGE	"usage: superd [-bdDeEhrtVw] [-k seconds] [-P portsfile] " \
		    "[-p pidfile] [-q backlog] [service-table | -]\n" \
		"       superd -S pidfile | pid\n" \
		"       superd -u pidfile | pid\n"

static void __attribute__((noreturn))
usage(void)
{
	fputs(USAGE, stderr);
	exit(EXIT_USAGE);
}

/* A path given relative to where superd started, made absolute. */
static const char *
absolute(const char *path)
{
	char	 cwd[PATH_MAX], *abs;

	if (path == NULL || path[0] == '/' || strcmp(path, "-") == 0)
		return path;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		err(1, "getcwd");
	if (asprintf(&abs, "%s/%s", cwd, path) == -1)
		err(1, "asprintf");
	return abs;
}

/*
 * -b: a listener that cannot be bound at start ends superd (exit 1), for
 * scripts that would rather fail than wait on the 10 s retry.  What was
 * bound is closed first (unix socket files removed).
 */
static void __attribute__((noreturn))
bind_fatal(const struct service *bad, const char *why)
{
	struct service	*sv;
	char		 addr[128];

	addr_format_full((const struct sockaddr *)&bad->sv_addr, addr,
	    sizeof(addr));
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		listen_close(sv);
	errx(1, "%s:%d: cannot bind %s (%s): %s", bad->sv_cf->cf_file != NULL ?
	    bad->sv_cf->cf_file : conf_name, bad->sv_cf->cf_line, addr,
	    proto_label(bad), why);
}

static void
set_title(void)
{
	int	 n = services_count(), nch = child_count();

	setproctitle("%d service%s, %d child%s", n, n == 1 ? "" : "s",
	    nch, nch == 1 ? "" : "ren");
}

/*
 * -w: watch the files of the table just read, good or bad: every file it
 * included and every directory a glob searched (c_files, the named table
 * first), so that an edit of /etc/inetd.conf or a file dropped into
 * /etc/superd.d is served as an edit of the table is.
 */
static void
watch_table(const struct conf *c)
{
	const char	*one[1];

	if (!opt_watch)
		return;
	if (c != NULL && c->c_nfiles > 0) {
		watch_set((const char *const *)c->c_files, c->c_nfiles);
		return;
	}
	one[0] = conf_path;
	watch_set(one, 1);
}

/*
 * SIGHUP: read the table again.  Any error and the running table stays as
 * it was, whole; every error is logged.
 */
static void
reload(void)
{
	struct conf	*c;
	char		 q[1024], msg[64];
	size_t		 i;

	if (strcmp(conf_path, "-") == 0) {
		log_warnx("event=reload-failed error=\"the table was read from "
		    "standard input: there is no file to reread\"");
		metrics_reload(0);
		return;
	}
	(void)snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(timer_now() * 1e6));
	notify_send(msg);
	c = conf_load(conf_path, NULL);
	watch_table(c);
	if (c->c_nerrors == 0) {
		table_check_contain(c, conf_path);
		table_check_cgroups(c, conf_path, 0);
		if (c->c_nerrors == 0)
			table_start_pools(c);
	}
	if (c->c_nerrors > 0) {
		for (i = 0; i < c->c_nerrors; i++) {
			log_quote(q, sizeof(q), c->c_errors[i]);
			log_warnx("event=reload-failed error=%s", q);
		}
		conf_free(c);
		metrics_reload(0);
		notify_send("READY=1");
		return;
	}
	table_log_warnings(c);
	table_log_errors(c);
	reload_merge(c, opt_keepenv);
	metrics_reload(1);
	ports_write();
	set_title();
	(void)malloc_trim(0);
	notify_send("READY=1");
}

/*
 * Read every pending signal; what they ask for is done after the batch.
 * SIGCHLD is in the set only when superd reaps orphans (reaper.c).
 */
static int
read_signals(int sigfd, int *hup, int *usr1, int *usr2, int *chld)
{
	struct signalfd_siginfo	 si;
	int			 quit = 0;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			*hup = 1;
			break;
		case SIGUSR1:
			*usr1 = 1;
			break;
		case SIGUSR2:
			*usr2 = 1;
			break;
		case SIGCHLD:
			*chld = 1;
			break;
		case SIGTERM:
		case SIGINT:
			quit = (int)si.ssi_signo;
			break;
		}
	}
	return quit;
}

/*
 * SIGTERM, SIGINT: close every listener.  Without -k children finish on
 * their own and superd exits now; with it every service is removed as a
 * reload removes one (nothing of it is due any more, held connections
 * are closed), and its children are waited for (end_wait).
 */
static void
shutdown_all(int sig)
{
	struct service	*sv;
	char		 wait[32] = "";

	notify_send("STOPPING=1");
	/* an upgrade's check is ended: superd never executes while ending */
	upgrade_cancel();
	if (opt_endwait >= 0)
		(void)snprintf(wait, sizeof(wait), " wait=%d", opt_endwait);
	log_info("event=shutdown signal=%s children=%d%s",
	    sig == SIGINT ? "INT" : "TERM", child_count(), wait);
	if (opt_endwait < 0) {
		TAILQ_FOREACH(sv, services_list(), sv_entry)
			listen_close(sv);
		return;
	}
	while ((sv = TAILQ_FIRST(services_list())) != NULL)
		serve_remove(sv);
}

/*
 * -k: the wait for the children is over (or a second SIGTERM or SIGINT
 * cut it short): their groups get SIGTERM, then SIGKILL (child.c), and
 * the connections still lingering are closed (linger.c).
 */
static struct timer	 end_timer;

static void
end_due(struct timer *t, double now)
{
	timer_clear(t);
	child_end_all(now);
	linger_stop();
}

/*
 * The process title says how many children run, at most once a second
 * (setproctitle writes over argv, cheap, but not for every child).
 */
static struct timer	 title_timer;
static double		 title_at;
static int		 title_children = -1;

static void
title_due(struct timer *t, double now)
{
	(void)t;
	set_title();
	title_children = child_count();
	title_at = now;
}

static void
title_update(double now)
{
	if (title_children == child_count())
		return;
	if (now >= title_at + 1.0)
		title_due(&title_timer, now);
	else if (!timer_pending(&title_timer)) {
		timer_init(&title_timer, title_due, NULL);
		timer_set(&title_timer, title_at + 1.0);
	}
}

/*
 * How long epoll_wait may sleep: until the first timer (timer.c), or
 * until log.c wants to write again; -1 for ever.
 */
static int
sleep_ms(void)
{
	double	 due, now;
	int	 timeout = -1, retry;

	if ((due = timer_next()) != -1) {
		/*
		 * epoll_wait(2) takes an int of milliseconds (24.8 days at
		 * most; a double beyond INT_MAX converts to anything, a
		 * negative one sleeps for ever): a timer further off than
		 * MAX_SLEEP_SECS is waited for a piece at a time.
		 */
		now = timer_now();
		if (due <= now)
			timeout = 0;
		else if (due - now >= MAX_SLEEP_SECS)
			timeout = MAX_SLEEP_SECS * 1000;
		else
			timeout = (int)((due - now) * 1000) + 1;
	}
	/* log lines that could not go out yet are tried again */
	if ((retry = log_retry_ms()) != -1 && (timeout == -1 ||
	    timeout > retry))
		timeout = retry;
	return timeout;
}

/*
 * The event loop: until SIGTERM or SIGINT, whose number it returns.  It
 * sleeps until the next timer is due (sleep_ms), reads a batch
 * of events, then acts on the signals of the batch, then on the timers.
 * Ending (-k, after shutdown_all), it runs until the last child is
 * reaped and the last group ended, with no service left: a reload is
 * refused then, and a second SIGTERM or SIGINT ends the children at once.
 */
static int
loop(int sigfd, int ending)
{
	struct epoll_event	 events[MAX_EVENTS];
	struct evsrc		*src;
	double			 now;
	int			 n, i, quit = 0, hup, usr1, usr2, chld;

	log_hold();
	for (;;) {
		if (ending && child_pending() + linger_count() == 0)
			return 0;
		spawn_flush();
		log_flush();
		n = poll_wait(events, MAX_EVENTS, sleep_ms());
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		now = timer_now();
		hup = usr1 = usr2 = chld = 0;
		for (i = 0; i < n; i++) {
			src = events[i].data.ptr;
			switch (src->ev_kind) {
			case EV_SIGNAL:
				quit = read_signals(sigfd, &hup, &usr1,
				    &usr2, &chld);
				break;
			case EV_LISTENER:
				serve_listener((struct service *)src, now);
				break;
			case EV_CHILD:
				child_reap((struct child *)src, now);
				break;
			case EV_SPAWN:
				spawn_event();
				break;
			case EV_LINGER:
				linger_event(src, now);
				break;
			case EV_PROXY:
				admit_proxied(src, events[i].events, now);
				break;
			case EV_CONTROL:
				ctl_event(src, now);
				break;
			case EV_ERRPIPE:
				errlog_event(src, events[i].events, now);
				break;
			case EV_WATCH:
				watch_event(now);
				break;
			case EV_UPGRADE:
				upgrade_event(src, now);
				break;
			}
		}
		/* Signals last: a reload may free what this batch named. */
		if (quit && !ending)
			return quit;
		if (quit && timer_pending(&end_timer))
			end_due(&end_timer, now);
		quit = 0;
		if (hup && ending) {
			log_warnx("event=reload-failed error=\"superd is "
			    "ending\"");
			metrics_reload(0);
		} else if (hup)
			reload();
		if (chld)
			reaper_reap(now);
		if (usr1)
			serve_status(now);
		if (usr2)
			upgrade_signal(conf_path, ending, now);
		timer_run(now);
		/* -w: the table changed and has been quiet since */
		if (watch_due() && !ending)
			reload();
		slots_check(now);
		if (serve_bound_late())
			ports_write();
		title_update(now);
		/* the check passed: this process becomes the new binary */
		if (upgrade_due())
			upgrade_exec(now);
	}
}

/*
 * -k S: wait up to S seconds for the children, then end them; superd
 * exits once the last is reaped.
 */
static void
end_wait(int sigfd)
{
	timer_init(&end_timer, end_due, NULL);
	timer_set(&end_timer, timer_now() + opt_endwait);
	(void)loop(sigfd, 1);
}

/*
 * Before anything else: what whoever started superd left behind is put
 * right (signals, inherited descriptors, stdio), the sockets a supervisor
 * handed over are taken aside, and spawn.c's eventfd is made the lowest
 * descriptor above stdio.
 */
static void
start_clean(void)
{
	inherit_reset_signals(getenv(UPGRADE_STATE_ENV) != NULL);
	/*
	 * What our parent left open is not for the services; an upgrade's
	 * old binary left exactly what it hands over (upgradeadopt.c).
	 */
	if (!upgrade_take())
		closefrom(3 + adopt_take());
	adopt_raise();
	inherit_open_stdio();
	/* the eventfd lowest, before anything else opens a descriptor */
	if (spawn_init() == -1)
		err(1, "spawn_init");
	notify_init();
}

/*
 * The command line, into the opt_ statics; -V and -h end superd here,
 * and -S, which takes no other option and no table (ctlask.c).
 */
static void
parse_args(int argc, char *argv[])
{
	const char	*errstr;
	int		 ch, nopts = 0;

	while ((ch = getopt(argc, argv, "bdDeEhk:rtp:P:q:S:u:Vw")) != -1) {
		nopts++;
		switch (ch) {
		case 'b':
			opt_bindfatal = 1;
			break;
		case 'd':
			opt_debug = 1;
			opt_fg = 1;
			opt_stderr = 1;
			break;
		case 'D':
			opt_fg = 1;
			break;
		case 'e':
			opt_stderr = 1;
			break;
		case 'E':
			opt_keepenv = 1;
			break;
		case 'k':
			opt_endwait = strtonum(optarg, 0, 86400, &errstr);
			if (errstr != NULL)
				errx(EXIT_USAGE, "-k %s: seconds (0 to 86400) "
				    "is %s", optarg, errstr);
			break;
		case 'r':
			opt_reaper = 1;
			break;
		case 't':
			opt_test = 1;
			nspool_allow(0);	/* a check makes no pool */
			break;
		case 'p':
			pid_path = optarg;
			break;
		case 'P':
			ports_path = optarg;
			break;
		case 'S':
		case 'u':
			if (status_arg != NULL)
				usage();
			status_arg = optarg;
			opt_upgrade = ch == 'u';
			break;
		case 'q':
			opt_backlog = strtonum(optarg, 1, INT_MAX, &errstr);
			if (errstr != NULL)
				errx(EXIT_USAGE, "backlog %s is %s", optarg,
				    errstr);
			break;
		case 'V':
			printf("superd %s\n", SUPERD_VERSION);
			exit(0);
		case 'w':
			opt_watch = 1;
			break;
		case 'h':
			fputs(USAGE, stdout);
			exit(0);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (status_arg != NULL && (argc > 0 || nopts > 1)))
		usage();
	if (status_arg != NULL && opt_upgrade)
		upgrade_ask(status_arg);
	if (status_arg != NULL)
		ctl_ask(status_arg);
	if (argc == 1)
		conf_path = argv[0];
	if (opt_watch && strcmp(conf_path, "-") == 0)
		errx(EXIT_USAGE, "-w watches a table's file: one read from "
		    "standard input has none");
}


/*
 * The table, read whole and every error and warning printed.  Messages
 * name it as given (conf_name); a reload opens it from "/", as every
 * other path superd keeps.
 */
static struct conf *
load_table(void)
{
	struct conf	*c, *k;

	c = conf_load(conf_path, strcmp(conf_path, "-") == 0 ? stdin : NULL);
	table_check_paths(c, conf_path);
	table_check_contain(c, conf_path);
	table_check_cgroups(c, conf_path, opt_test);
	/*
	 * After an upgrade's execve a table that fails (edited since the
	 * check) never ends superd: the old binary's running table is
	 * served, as a failed reload keeps it (upgradeadopt.c).
	 */
	if (c->c_nerrors > 0 && !opt_test && upgrade_active()) {
		table_report(c, opt_test);
		if ((k = upgrade_table(c, conf_path)) != c) {
			c = k;
			table_check_paths(c, conf_path);
			table_check_contain(c, conf_path);
			table_check_cgroups(c, conf_path, opt_test);
		}
	}
	table_start_pools(c);
	conf_name = conf_path;
	conf_path = absolute(conf_path);
	ports_path = absolute(ports_path);
	pid_path = absolute(pid_path);
	table_report(c, opt_test);
	return c;
}

/*
 * What a running daemon needs before its first socket: "/" as its
 * directory, the log, the pid file locked, room for descriptors.
 */
static void
start_daemon(void)
{
	/* every path is absolute now; children start in "/" */
	if (chdir("/") == -1)
		err(1, "chdir /");
	if (!opt_stderr && !opt_debug)
		log_check_syslog();
	log_init(opt_stderr || opt_debug, opt_debug);
	/* an upgrade's new binary holds the old one's lock already */
	if (!upgrade_pid(pid_path) && pid_path != NULL)
		pid_open(pid_path);
	ports_init(ports_path);
	inherit_raise_nofile();
}

/*
 * The table becomes the running one: each service takes the socket
 * handed over for its address, or binds its own (a failure is retried
 * every 10 s, or ends superd under -b, but never after an upgrade's
 * execve: it is a reload then).  Sockets handed over that no
 * service took are closed.
 */
static void
start_services(struct conf *c)
{
	struct service	*sv;
	char		 why[256];

	listen_init(opt_backlog);
	services_append(&c->c_services);
	conf_free(c);
	TAILQ_FOREACH(sv, services_list(), sv_entry) {
		if (spawn_prepare(sv, opt_keepenv) == -1)
			err(1, "spawn_prepare");
		upgrade_match(sv);
		if (sv->sv_fd == -1)
			adopt_match(sv);
	}
	TAILQ_FOREACH(sv, services_list(), sv_entry) {
		if (sv->sv_fd != -1 || listen_cover(sv, services_list()) == 0)
			continue;
		/* after an upgrade's execve a busy address is retried */
		if (serve_open(sv, why, sizeof(why)) == -1 && opt_bindfatal &&
		    !upgrade_active())
			bind_fatal(sv, why);
	}
	adopt_drop();
}

/*
 * The loop's sources: the signals it reads are blocked and read from a
 * signalfd, which with spawn.c's eventfd goes into a new epoll set.
 * Returns the signalfd.
 */
static int
start_events(void)
{
	sigset_t	 mask;
	int		 sigfd;

	(void)signal(SIGPIPE, SIG_IGN);
	spawn_signals();
	(void)sigemptyset(&mask);
	(void)sigaddset(&mask, SIGHUP);
	(void)sigaddset(&mask, SIGTERM);
	(void)sigaddset(&mask, SIGINT);
	(void)sigaddset(&mask, SIGUSR1);
	(void)sigaddset(&mask, SIGUSR2);
	/*
	 * As PID 1 the kernel drops a signal whose action is the default;
	 * a blocked one is always queued, and read here.
	 */
	if (reaper_start(opt_reaper))
		(void)sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1)
		fatal("sigprocmask");
	if ((sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("signalfd");
	sigfd = fd_high(sigfd);
	if (poll_init() == -1)
		fatal("epoll_create1");
	if (poll_add(sigfd, EPOLLIN, &signal_ev) == -1)
		fatal("epoll_ctl signalfd");
	if (spawn_watch() == -1)
		fatal("epoll_ctl eventfd");
	return sigfd;
}

/*
 * Every listener into the poll set (an adopted one is logged here, a
 * bound one was when it was bound), and superd says it is ready.
 */
static void
start_serving(void)
{
	struct service	*sv;

	TAILQ_FOREACH(sv, services_list(), sv_entry) {
		if (sv->sv_upgraded)
			poll_resume(sv, PAUSE_UNBOUND);
		else if (sv->sv_adopted) {
			log_info("event=listen svc=%s line=%d addr=%s proto=%s "
			    "adopted=1%s%s%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, log_str(sv->sv_addrstr),
			    proto_label(sv), sv->sv_fd == -1 ?
			    " dual-stack=1" : "", sv->sv_cf->cf_file != NULL ?
			    " file=" : "", sv->sv_cf->cf_file != NULL ?
			    log_str(sv->sv_cf->cf_file) : "");
			poll_resume(sv, PAUSE_UNBOUND);
		} else if (sv->sv_fd != -1)
			poll_resume(sv, 0);
	}
	ports_write();
	set_title();
	/* give back what reading the table took: RSS is the steady state */
	(void)malloc_trim(0);
	notify_send("READY=1");
}

/*
 * The life of the daemon, in order.  Any error in the table and superd
 * exits having bound nothing; sockets are bound before it detaches, so
 * that nothing but its pid is lost by the fork.
 */
int
main(int argc, char *argv[])
{
	struct conf	*c;
	int		 sigfd, sig, v;

	upgrade_init(argc, argv);
	setproctitle_init(argc, argv, environ);
	start_clean();
	parse_args(argc, argv);
	c = load_table();
	if (c->c_nerrors > 0)
		return EXIT_CONF;
	if (opt_test) {
		sig = c->c_nincerrors > 0 ? EXIT_CONF : 0;
		conf_free(c);
		/* an upgrade's check (upgrade.c): which states this reads */
		if (sig == 0 && getenv(UPGRADE_CHECK_ENV) != NULL) {
			printf(UPGRADE_HELLO " version=%s states=",
			    upstate_binary());
			for (v = UPSTATE_OLDEST; v <= UPSTATE_VERSION; v++)
				printf("%d%s", v, v < UPSTATE_VERSION ? "," : "\n");
		}
		return sig;
	}
	start_daemon();
	metrics_start();
	table_log_errors(c);
	cgroup_sweep();
	if (opt_watch) {
		watch_init();
		watch_table(c);
	}
	start_services(c);
	/*
	 * PID 1 that detached would end its PID namespace: it never does;
	 * nor does an upgrade's new binary: its pid is the one to keep.
	 */
	if (!opt_fg && getpid() != 1 && !upgrade_active() &&
	    daemon(0, 0) == -1)
		err(1, "daemon");
	if (!upgrade_active())
		pid_write();
	sigfd = start_events();
	watch_start();
	ctl_open();
	upgrade_adopt(timer_now());
	start_serving();
	upgrade_done(timer_now());
	sig = loop(sigfd, 0);
	shutdown_all(sig);
	if (opt_endwait >= 0)
		end_wait(sigfd);
	errlog_stop(timer_now());
	reaper_end();
	cgroup_end();
	return 0;
}
