// SPDX-License-Identifier: GPL-2.0
/* xdpdnsd: the xdpdns daemon. Puts the fast path on its attach points (loader.c; pattern ones
 * as interfaces come and go, linkwatch.c), serves the queries it passes on (server.c), resolves
 * them upstream (upstream.c) and fills the kernel's cache. `xdpdnsd --help` lists the options;
 * user/xdpdns.conf.example documents them.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include "config.h"
#include "control_server.h"
#include "fallback.h"
#include "health.h"
#include "ksync.h"
#include "linkwatch.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "privileges.h"
#include "server.h"
#include "snapshot.h"

struct daemon {
	int argc;
	char **argv;      /* read again on SIGHUP */
	struct xdpdns_options opts;
	struct xdpdns_loader loader;
	struct xdpdns_linkwatch linkwatch;
	struct ev_loop loop;
	struct server server;
	struct health health;
	struct control control;
	struct metrics metrics;
	struct ev_io signals;
	struct ev_timer snapshot_timer;
	struct ev_timer clock_timer; /* the boot clock's offset for the kernel (struct xdpdns_hot) */
	pid_t snapshot_child;     /* a periodic save in progress, 0: none */
	struct xdpdns_fallback *fallback; /* fallback-file's records; server.fallback borrows */
};

/* The interface's own addresses, when no --listen was given (link-local IPv6 left out: it
 * needs a scope, and clients do not use it for DNS). */
static int listen_on_iface(struct xdpdns_options *o)
{
	struct ifaddrs *ifs, *i;

	if (getifaddrs(&ifs))
		return -errno;
	for (i = ifs; i; i = i->ifa_next) {
		const void *addr;

		if (!i->ifa_addr || strcmp(i->ifa_name, o->iface) || o->n_listen == XDPDNS_SERVICES_MAX)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			addr = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			addr = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(addr))
				continue;
		} else {
			continue;
		}
		inet_ntop(i->ifa_addr->sa_family, addr, o->listen[o->n_listen++],
			  sizeof(o->listen[0]));
	}
	freeifaddrs(ifs);
	return o->n_listen ? 0 : -EADDRNOTAVAIL;
}

/* What the options leave to the host: upstreams from resolv.conf, listen addresses from the
 * interface (read again on every reload: they may have changed). Returns 0 or -errno with err. */
static int complete_options(struct xdpdns_options *o, char *err, size_t errlen)
{
	if (!o->n_upstreams) {
		int ret = xdpdns_options_resolv_conf(o, XDPDNS_RESOLV_CONF, err, errlen);

		if (ret)
			return ret;
	}
	if (!o->n_listen && (!o->iface[0] || listen_on_iface(o))) {
		if (o->iface[0])
			snprintf(err, errlen, "%s has no address to listen on: give --listen", o->iface);
		else
			snprintf(err, errlen, "no iface, whose addresses would be the default: give "
				 "--listen");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

static uint16_t iface_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int mtu = XDPDNS_DEFAULT_MTU;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd >= 0 && !ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = ifr.ifr_mtu;
	if (fd >= 0)
		close(fd);
	return mtu > 0xffff ? 0xffff : mtu;
}

/* The kernel's config from the options; an adopted cache keeps its hash seed (its keys). */
static int write_kernel_config(struct daemon *d, uint64_t *seed)
{
	struct xdpdns_config cfg;
	int err = xdpdns_config_read(&d->loader.maps, &cfg);

	if (err)
		return err;
	cfg.stale_ttl_sec = d->opts.stale_ttl_sec;
	cfg.max_stale_sec = d->opts.max_stale_sec;
	cfg.edns_udp_size = d->opts.edns_udp_size;
	/* the attach points' own MTUs are in xdpdns_ifaces; this one is for any other */
	cfg.mtu = d->opts.iface[0] ? iface_mtu(d->opts.iface) : XDPDNS_DEFAULT_MTU;
	/* the division once here, so the fast path only adds (see ratelimit.h) */
	cfg.ratelimit_cost_ns = d->opts.ratelimit_qps ? 1000000000ULL / d->opts.ratelimit_qps : 0;
	cfg.ratelimit_burst = d->opts.ratelimit_burst;
	cfg.ratelimit_action = d->opts.ratelimit_action;
	if (d->opts.ratelimit_qps)
		log_info("shield: at most %u queries/s per source (IPv4 address, IPv6 /64), burst %u; "
			 "over it: %s", d->opts.ratelimit_qps, d->opts.ratelimit_burst,
			 d->opts.ratelimit_action == XDPDNS_RATELIMIT_ACTION_TRUNCATE ?
				 "empty TC=1 answer" : "dropped");
	*seed = cfg.hash_seed;
	return xdpdns_config_write(&d->loader.maps, &cfg);
}

/* The kernel's service list and the daemon's listeners, exactly the options' addresses and port
 * (an adopted cache may list those of an earlier configuration). */
static int serve_addresses(struct daemon *d)
{
	const char *addrs[XDPDNS_SERVICES_MAX];
	int i, err;

	for (i = 0; i < d->opts.n_listen; i++)
		addrs[i] = d->opts.listen[i];
	err = xdpdns_services_set(&d->loader.maps, addrs, d->opts.n_listen, d->opts.port);
	if (err == -ENOSPC)
		log_error("more than %d service addresses in the kernel", XDPDNS_SERVICES_MAX);
	for (i = 0; i < d->opts.n_listen && !err; i++)
		err = server_listen(&d->server, d->opts.listen[i]);
	return err;
}

/* fallback-file's records into *out (NULL when the option is empty). Returns 0, or -errno
 * with "FILE:LINE: problem" in err. */
static int load_fallback(const struct xdpdns_options *o, struct xdpdns_fallback **out, char *err,
			 size_t errlen)
{
	int ret;

	*out = NULL;
	if (!o->fallback_file[0])
		return 0;
	ret = xdpdns_fallback_load(out, o->fallback_file, err, errlen);
	if (!ret)
		log_info("fallback-file %s: %zu records in %zu RRsets", o->fallback_file,
			 xdpdns_fallback_records(*out), xdpdns_fallback_rrsets(*out));
	return ret;
}

/* Puts fb in place of the daemon's fallback records, for the server too. */
static void use_fallback(struct daemon *d, struct xdpdns_fallback *fb)
{
	xdpdns_fallback_free(d->fallback);
	d->fallback = fb;
	server_set_fallback(&d->server, fb);
}

static bool same_listen(const struct xdpdns_options *a, const struct xdpdns_options *b)
{
	return a->port == b->port && a->n_listen == b->n_listen &&
	       !memcmp(a->listen, b->listen, sizeof(a->listen));
}

/* ---- snapshots (snapshot.h) ---- */

/* A start with fresh maps (a reboot, a new host, pins removed): the cache the last run saved. */
static void restore_snapshot(struct daemon *d)
{
	struct xdpdns_snapshot_counts n;
	char buf[300], err[512];
	const char *path = xdpdns_options_snapshot_path(&d->opts, buf, sizeof(buf));
	uint64_t t0 = ev_now_ms();
	int ret;

	if (!path)
		return;
	ret = xdpdns_snapshot_load(&d->loader.maps, path, &n, err, sizeof(err));
	if (ret == -ENOENT) {
		log_info("no snapshot in %s: starting with an empty cache", path);
		return;
	}
	if (ret) {
		log_warn("%s: starting with an empty cache", err);
		return;
	}
	log_info("restored %llu entries from %s in %llu ms; dropped %llu past max-stale, %llu "
		 "that found their map full; evicted %llu to make room", (unsigned long long)n.loaded,
		 path, (unsigned long long)(ev_now_ms() - t0), (unsigned long long)n.too_old,
		 (unsigned long long)n.full, (unsigned long long)n.evicted);
}

static void save_snapshot(struct daemon *d, enum xdpdns_log_level level)
{
	struct xdpdns_snapshot_counts n;
	char buf[300], err[512];
	const char *path = xdpdns_options_snapshot_path(&d->opts, buf, sizeof(buf));
	uint64_t t0 = ev_now_ms();

	if (!path)
		return;
	if (path == buf && mkdir(XDPDNS_SNAPSHOT_DIR, 0700) && errno != EEXIST)
		log_warn("can't create %s: %s", XDPDNS_SNAPSHOT_DIR, strerror(errno));
	if (xdpdns_snapshot_save(&d->loader.maps, path, &n, err, sizeof(err)))
		xdpdns_log_event(XDPDNS_LOG_WARN, "snapshot_save_failed", "file", path, "%s", err);
	else
		xdpdns_log(level, "saved %llu entries to %s in %llu ms", (unsigned long long)n.saved,
			   path, (unsigned long long)(ev_now_ms() - t0));
}

/* Is a periodic save still running? Reaps it when it is done. */
static bool snapshot_child_running(struct daemon *d, bool wait)
{
	if (d->snapshot_child <= 0)
		return false;
	if (waitpid(d->snapshot_child, NULL, wait ? 0 : WNOHANG) == 0)
		return true;
	d->snapshot_child = 0;
	return false;
}

/* The periodic save runs in a child: it shares the maps' fds, and walking 100,000 entries takes
 * 0.2-0.3 s that every miss would otherwise wait in this loop. One at a time; reaped at the next
 * tick, or before the save at stop. Without a child (fork failed), the loop saves itself. */
static void on_snapshot_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct daemon *d = container_of(t, struct daemon, snapshot_timer);
	pid_t pid;

	if (snapshot_child_running(d, false)) {
		log_debug("the last periodic snapshot is still being saved: skipped this one");
	} else {
		pid = fork();
		if (pid == 0) {
			save_snapshot(d, XDPDNS_LOG_DEBUG);
			_exit(0); /* nothing of the parent's to clean up: it owns it all */
		}
		if (pid < 0)
			save_snapshot(d, XDPDNS_LOG_DEBUG);
		d->snapshot_child = pid > 0 ? pid : 0;
	}
	ev_timer_start(loop, t, (uint64_t)d->opts.snapshot_interval_sec * 1000);
}

/* (Re-)arms the periodic save for the options in force. */
static void arm_snapshot_timer(struct daemon *d)
{
	char buf[300];

	ev_timer_stop(&d->loop, &d->snapshot_timer);
	d->snapshot_timer.cb = on_snapshot_timer;
	if (d->opts.snapshot_interval_sec && xdpdns_options_snapshot_path(&d->opts, buf, sizeof(buf)))
		ev_timer_start(&d->loop, &d->snapshot_timer,
			       (uint64_t)d->opts.snapshot_interval_sec * 1000);
}

/* Every second: a resume from suspend moves CLOCK_BOOTTIME away from the monotonic clock the
 * program reads; the kernel must age entries by the time suspended too. */
static void on_clock_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct daemon *d = container_of(t, struct daemon, clock_timer);
	int err = xdpdns_hot_clock_write(&d->loader.maps);

	if (err)
		log_warn("can't write the boot clock's offset for the kernel: %s", strerror(-err));
	ev_timer_start(loop, t, 1000);
}

/* Serves metrics where the options say, if anywhere. A failure is logged and leaves the DNS
 * service running: a node's resolver matters more than its metrics. */
static void start_metrics(struct daemon *d)
{
	if (d->opts.metrics_listen.len)
		metrics_start(&d->metrics, &d->loop, &d->server, &d->opts.metrics_listen);
	else
		log_info("metrics-listen off: no metrics endpoint");
}

/* Descriptors the daemon may need at once: one per TCP client and per upstream query in flight,
 * and a few dozen more (maps, listeners, control and metrics connections). */
#define FD_RESERVE 64

/* Raises the soft RLIMIT_NOFILE to the hard one (systemd's soft default is 1024), and says so
 * when even that is short of what the options may need: then accept() pauses and upstream
 * queries fail when they run out. */
static void raise_nofile(const struct xdpdns_options *o)
{
	rlim_t want = (rlim_t)o->tcp_connections + o->upstream_inflight + FD_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		log_warn("%llu file descriptors at most (RLIMIT_NOFILE), and tcp-connections %u with "
			 "upstream-inflight %u may need %llu: raise the limit (LimitNOFILE= in the "
			 "unit) or lower them", (unsigned long long)rl.rlim_cur, o->tcp_connections,
			 o->upstream_inflight, (unsigned long long)want);
}

static bool same_sockaddr(const struct xdpdns_sockaddr *a, const struct xdpdns_sockaddr *b)
{
	return a->len == b->len && !strcmp(a->text, b->text);
}

/* Applies new options to everything running; the caches stay. */
static int apply(struct daemon *d, const struct xdpdns_options *o)
{
	bool relisten = !same_listen(&d->opts, o);
	/* also when the same address failed before: the port may be free now */
	bool remetrics = !same_sockaddr(&d->opts.metrics_listen, &o->metrics_listen) ||
			 (o->metrics_listen.len && d->metrics.io.fd < 0);
	uint64_t seed;
	int err;

	if (relisten)
		server_unlisten(&d->server);
	d->opts = *o; /* in place: the server and the health checks point here */
	xdpdns_log_init("xdpdnsd", d->opts.log_level);
	xdpdns_log_set_format(d->opts.log_format);
	/* upstreams keep their health and queries in flight their server; the probes follow */
	server_options_changed(&d->server);
	raise_nofile(&d->opts);
	err = health_reload(&d->health);
	if (remetrics) {
		metrics_stop(&d->metrics);
		start_metrics(d);
	}
	if (!err)
		err = write_kernel_config(d, &seed);
	if (!err && relisten)
		err = serve_addresses(d);
	if (!err && relisten)
		err = server_start(&d->server);
	arm_snapshot_timer(d);
	return err;
}

/* SIGHUP: reads the command line and the config file again. A config with errors is refused
 * whole (logged with its file and line), and the daemon goes on as it was. */
static void reload(struct ev_loop *loop, struct daemon *d)
{
	static struct xdpdns_options o; /* large; reloads are one at a time */
	struct xdpdns_fallback *fb = NULL;
	char err[512];
	int ret;

	xdpdns_options_defaults(&o);
	ret = xdpdns_options_parse_args(&o, d->argc, d->argv, err, sizeof(err));
	if (!ret)
		ret = xdpdns_options_check(&o, err, sizeof(err));
	if (!ret) {
		/* what the process and the loader were started with stays (the option table's
		 * column; the interfaces of a pattern do follow, live) */
		xdpdns_options_keep_restart(&o, &d->opts);
		ret = complete_options(&o, err, sizeof(err));
	}
	if (!ret) /* read again even if its name is the same: the file may have changed */
		ret = load_fallback(&o, &fb, err, sizeof(err));
	if (ret) {
		log_error("SIGHUP: config not reloaded: %s", err);
		return;
	}
	use_fallback(d, fb);
	if (apply(d, &o)) {
		log_error("SIGHUP: the new config could not be applied in full: stopping");
		ev_stop(loop);
		return;
	}
	log_info("SIGHUP: config reloaded; the cache is kept");
}

static void on_signal(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct daemon *d = container_of(io, struct daemon, signals);
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(loop, d);
			continue;
		}
		log_info("%s: stopping", strsignal(si.ssi_signo));
		ev_stop(loop);
	}
}

static int watch_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->signals.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signals.fd < 0)
		return -errno;
	d->signals.cb = on_signal;
	return ev_io_add(&d->loop, &d->signals, EPOLLIN);
}

/* Are there attach points whose interfaces may come later (not NICs)? */
static bool attaches_later(const struct xdpdns_options *o)
{
	int i;

	for (i = 0; i < o->n_attach; i++)
		if (!o->attach[i].nic)
			return true;
	return false;
}

/* `user`: what needs root is done (attached, maps open, listening): become the user. The
 * default snapshot directory is made the user's first; another must be writable by it. */
static int drop_privileges(struct daemon *d)
{
	char buf[300], dir[300], err[512];
	const char *path = xdpdns_options_snapshot_path(&d->opts, buf, sizeof(buf));
	bool kept_bpf;
	uid_t uid;
	gid_t gid;
	int ret;

	if (!d->opts.user[0])
		return 0;
	ret = xdpdns_user_lookup(d->opts.user, &uid, &gid, err, sizeof(err));
	if (!ret && path == buf &&
	    ((mkdir(XDPDNS_SNAPSHOT_DIR, 0700) && errno != EEXIST) ||
	     chown(XDPDNS_SNAPSHOT_DIR, uid, gid))) {
		ret = -errno;
		snprintf(err, sizeof(err), "can't give %s to user %s: %s", XDPDNS_SNAPSHOT_DIR,
			 d->opts.user, strerror(errno));
	}
	if (!ret)
		ret = xdpdns_privileges_drop(d->opts.user, uid, gid, &d->loader.maps,
					     attaches_later(&d->opts), &kept_bpf, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		return ret;
	}
	log_info("running as user %s (%u:%u) with CAP_NET_BIND_SERVICE%s%s", d->opts.user, uid, gid,
		 attaches_later(&d->opts) ? ", CAP_NET_ADMIN (interfaces as they come)" : "",
		 kept_bpf ? " and CAP_BPF (this kernel wants it for map updates)" :
		 attaches_later(&d->opts) ? "" : " only");
	snprintf(dir, sizeof(dir), "%s", path ? path : "");
	if (path && access(dirname(dir), W_OK))
		log_warn("snapshot-file %s: user %s can't write its directory: snapshots will fail",
			 path, d->opts.user);
	return 0;
}

static void on_link(void *arg, int ifindex, const char *ifname, bool removed)
{
	struct daemon *d = arg;

	xdpdns_loader_link(&d->loader, ifindex, ifname, removed);
}

/* Everything up to serving; on failure, logged and undone by the caller. */
static int start(struct daemon *d)
{
	uint64_t seed;
	char err[512];
	int i, ret;

	ret = complete_options(&d->opts, err, sizeof(err));
	if (!ret) /* before anything is attached: a bad file is a config error */
		ret = load_fallback(&d->opts, &d->fallback, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		return ret;
	}
	raise_nofile(&d->opts);
	ret = ev_init(&d->loop);
	if (ret)
		return ret;
	/* interfaces are watched from before the loader looks at those there: none is missed */
	ret = xdpdns_linkwatch_open(&d->linkwatch, &d->loop, on_link, d);
	if (ret) {
		log_error("can't watch interfaces (rtnetlink): %s", strerror(-ret));
		return ret;
	}
	ret = xdpdns_loader_start(&d->loader, xdpdns_options_instance(&d->opts), d->opts.attach,
				  d->opts.n_attach, d->opts.mode, d->opts.cache_entries);
	if (ret)
		return ret;
	ret = xdpdns_linkwatch_run(&d->linkwatch);
	if (ret)
		return ret;
	ret = write_kernel_config(d, &seed);
	if (ret)
		return ret;
	/* adopted maps hold the live cache, newer than any snapshot */
	if (!d->loader.maps_adopted)
		restore_snapshot(d);
	ret = server_init(&d->server, &d->loop, &d->opts, &d->loader.maps, seed);
	if (!ret)
		server_import_kernel(&d->server); /* a failure leaves the kernel's cache working */
	if (!ret) {
		server_set_fallback(&d->server, d->fallback);
		ret = health_start(&d->health, server_upstreams(&d->server), &d->loader.maps, &d->opts,
				   server_recovery_start, &d->server);
	}
	if (!ret)
		ret = control_start(&d->control, &d->server, xdpdns_options_instance(&d->opts));
	if (!ret)
		ret = serve_addresses(d);
	if (!ret)
		ret = watch_signals(d);
	if (!ret) {
		start_metrics(d); /* before the drop: a metrics port below 1024 needs the capability */
		ret = drop_privileges(d);
	}
	if (!ret) /* after the drop: a thread keeps the capabilities it started with */
		ret = server_start(&d->server);
	if (ret)
		return ret;
	arm_snapshot_timer(d);
	d->clock_timer.cb = on_clock_timer;
	ev_timer_start(&d->loop, &d->clock_timer, 1000);
	for (i = 0; i < d->opts.n_upstreams; i++)
		log_info("upstream %d: %s", i + 1, d->opts.upstreams[i].text);
	for (i = 0; i < d->opts.n_listen; i++)
		log_info("serving %s port %u", d->opts.listen[i], d->opts.port);
	log_info("%u threads answer UDP", xdpdns_options_threads(&d->opts));
	/* systemd's Type=notify: started only now, so units ordered after us find a cache */
	xdpdns_sd_notify("READY=1\nSTATUS=serving");
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d; /* large (the server's tables): not on the stack */
	char err[512];
	int ret;

	d.argc = argc;
	d.argv = argv;
	xdpdns_options_defaults(&d.opts);
	ret = xdpdns_options_parse_args(&d.opts, argc, argv, err, sizeof(err));
	if (ret == 1)
		return 0;
	if (!ret)
		ret = xdpdns_options_check(&d.opts, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "xdpdnsd: %s\n", err);
		return 2;
	}
	xdpdns_log_init("xdpdnsd", d.opts.log_level);
	xdpdns_log_set_format(d.opts.log_format);
	metrics_init(&d.metrics);
	d.signals.fd = -1;
	d.control.io.fd = -1;
	d.linkwatch.io.fd = -1;
	d.loader.old_pins[0].fd = d.loader.old_pins[1].fd = -1;

	ret = start(&d);
	if (!ret) {
		ev_run(&d.loop);
		xdpdns_sd_notify("STOPPING=1");
		ev_timer_stop(&d.loop, &d.snapshot_timer);
		ev_timer_stop(&d.loop, &d.clock_timer);
		snapshot_child_running(&d, true); /* one writer at a time */
		save_snapshot(&d, XDPDNS_LOG_INFO); /* before the program may be detached */
	}

	metrics_stop(&d.metrics);
	control_stop(&d.control);
	xdpdns_linkwatch_close(&d.linkwatch);
	if (d.health.set)
		health_stop(&d.health);
	server_fini(&d.server);
	xdpdns_fallback_free(d.fallback);
	if (xdpdns_loader_attached(&d.loader)) {
		/* with keep, a start that failed after taking over a cache (an upgrade whose new
		 * config is refused, say) leaves the program too: detaching would end the hits
		 * the old daemon left answering */
		if (d.opts.keep && (!ret || d.loader.maps_adopted)) {
			log_info("leaving the program on %d interfaces of instance %s: the kernel keeps "
				 "answering from its cache", d.loader.n_links, d.loader.instance);
			xdpdns_loader_close(&d.loader);
		} else {
			xdpdns_loader_detach(&d.loader);
		}
	} else {
		xdpdns_loader_close(&d.loader);
	}
	if (d.signals.fd >= 0)
		close(d.signals.fd);
	ev_fini(&d.loop);
	return ret ? 1 : 0;
}
