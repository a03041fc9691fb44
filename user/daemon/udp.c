// SPDX-License-Identifier: GPL-2.0
/* The UDP service: batches on every socket, workers on their own threads (udp.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "log.h"
#include "respond.h"
#include "server.h"
#include "wire.h"

#define UDP_MSG_MAX 65535
/* datagrams taken per recvmmsg(); then other sockets have a turn. 32 already takes the cost of
 * the system calls to a few percent of an answer's */
#define UDP_BATCH 32
/* where a batch's answers are written before sendmmsg(): an answer over UDP is at most
 * XDPDNS_EDNS_MAX-ish, a few KiB; one that does not fit after the others flushes them first */
#define UDP_OUT_SIZE (UDP_BATCH * 4096 + RESPOND_MAX_LEN)

/* One thread's buffers for a batch in, and its answers out. */
struct udp_batch {
	int fd; /* where the answers go */
	struct mmsghdr in[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH];
	struct sockaddr_storage in_addr[UDP_BATCH];
	struct mmsghdr out[UDP_BATCH];
	struct iovec out_iov[UDP_BATCH];
	struct sockaddr_storage out_addr[UDP_BATCH];
	unsigned int n_out;
	size_t out_used;
	uint8_t *in_buf;  /* UDP_BATCH * UDP_MSG_MAX */
	uint8_t *out_buf; /* UDP_OUT_SIZE */
};

/* A query a worker handed to the resolution thread. */
struct udp_handoff {
	struct udp_handoff *next;
	int sock; /* the service address's index in socks[] */
	socklen_t addr_len;
	struct sockaddr_storage addr;
	size_t len;
	uint8_t wire[];
};

struct udp_worker {
	struct server *srv;
	pthread_t thread;
	bool started;
	int epfd;
	int stop_fd;                     /* an eventfd: written to stop the thread */
	int fds[XDPDNS_SERVICES_MAX];    /* its socket for socks[i]'s address */
	int n;
	struct udp_batch *batch;
	struct server_stats local;       /* the thread's own */
	struct server_stats shared;      /* local, published after each batch (atomic words) */
};

static struct udp_batch *batch_new(void)
{
	struct udp_batch *b = calloc(1, sizeof(*b));
	int i;

	if (!b)
		return NULL;
	b->in_buf = malloc((size_t)UDP_BATCH * UDP_MSG_MAX);
	b->out_buf = malloc(UDP_OUT_SIZE);
	if (!b->in_buf || !b->out_buf) {
		free(b->in_buf);
		free(b->out_buf);
		free(b);
		return NULL;
	}
	for (i = 0; i < UDP_BATCH; i++) {
		b->in_iov[i].iov_base = b->in_buf + (size_t)i * UDP_MSG_MAX;
		b->in_iov[i].iov_len = UDP_MSG_MAX;
		b->in[i].msg_hdr.msg_iov = &b->in_iov[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
		b->in[i].msg_hdr.msg_name = &b->in_addr[i];
		b->out[i].msg_hdr.msg_iov = &b->out_iov[i];
		b->out[i].msg_hdr.msg_iovlen = 1;
		b->out[i].msg_hdr.msg_name = &b->out_addr[i];
	}
	return b;
}

static void batch_free(struct udp_batch *b)
{
	if (!b)
		return;
	free(b->in_buf);
	free(b->out_buf);
	free(b);
}

/* Reads up to UDP_BATCH datagrams from fd. Returns how many (0: none waiting). */
static int batch_read(struct udp_batch *b, int fd)
{
	int i, n;

	for (i = 0; i < UDP_BATCH; i++)
		b->in[i].msg_hdr.msg_namelen = sizeof(b->in_addr[i]);
	do
		n = recvmmsg(fd, b->in, UDP_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? 0 : n;
}

/* Sends the answers written so far. A datagram the socket refuses (its buffer full) is dropped,
 * as sendto() would: the client asks again. */
static void batch_flush(struct udp_batch *b)
{
	unsigned int done = 0;

	while (done < b->n_out) {
		int n = sendmmsg(b->fd, b->out + done, b->n_out - done, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		done += n > 0 ? (unsigned int)n : 1; /* skip the one it failed on */
	}
	b->n_out = 0;
	b->out_used = 0;
}

/* Room for an answer of up to len bytes; flushes first if needed. NULL: it can't be batched. */
static uint8_t *batch_room(struct udp_batch *b, size_t len)
{
	if (len > UDP_OUT_SIZE)
		return NULL;
	if (b->n_out == UDP_BATCH || UDP_OUT_SIZE - b->out_used < len)
		batch_flush(b);
	return b->out_buf + b->out_used;
}

/* Queues the answer of len bytes, written at batch_room(), for addr. */
static void batch_add(struct udp_batch *b, size_t len, const struct sockaddr_storage *addr,
		      socklen_t addr_len)
{
	unsigned int i = b->n_out++;

	b->out_iov[i].iov_base = b->out_buf + b->out_used;
	b->out_iov[i].iov_len = len;
	memcpy(&b->out_addr[i], addr, addr_len);
	b->out[i].msg_hdr.msg_namelen = addr_len;
	b->out_used += len;
}

/* ---- the resolution thread ---- */

/* A response to a client of socket c->ctx: into the batch being answered, else at once. */
static void udp_reply(const struct server_client *c, const uint8_t *wire, size_t len)
{
	const struct udp_socket *u = c->ctx;
	uint8_t *room = u->batch ? batch_room(u->batch, len) : NULL;

	if (!room) {
		sendto(u->io.fd, wire, len, MSG_DONTWAIT, (const struct sockaddr *)&c->addr,
		       c->addr_len);
		return;
	}
	memcpy(room, wire, len);
	batch_add(u->batch, len, &c->addr, c->addr_len);
}

static void on_udp(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct udp_socket *u = container_of(io, struct udp_socket, io);
	struct udp_batch *b = u->srv->udp.batch;
	struct server_client c = { .reply = udp_reply, .ctx = u };
	int i, n;

	(void)loop;
	(void)events;
	n = batch_read(b, io->fd);
	b->fd = io->fd;
	u->batch = b;
	for (i = 0; i < n; i++) {
		c.addr_len = b->in[i].msg_hdr.msg_namelen;
		memcpy(&c.addr, &b->in_addr[i], c.addr_len);
		u->srv->stats.queries_udp++;
		server_query(u->srv, b->in_iov[i].iov_base, b->in[i].msg_len, &c);
	}
	batch_flush(b);
	u->batch = NULL;
}

/* The queries the workers handed over, answered as if read here: UDP_BATCH of them a turn, as
 * from a socket. The workers can queue thousands between two turns of the loop (a flood of
 * misses); answered all at once, they held up for tens of ms the upstreams' answers, their
 * timers and the other sockets. The rest wait for the next turn, the eventfd written again. */
static void on_handoff(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct server *s = container_of(io, struct server, udp.handoff_io);
	struct udp_handoff *h, *next, *last = NULL;
	uint64_t v, one = 1;
	unsigned int n = 0;
	bool more;

	(void)loop;
	(void)events;
	if (read(io->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("handoff eventfd: %s", strerror(errno));
	pthread_mutex_lock(&s->udp.handoff_lock);
	h = s->udp.handoff;
	for (next = h; next && n < UDP_BATCH; n++) {
		last = next;
		next = next->next;
	}
	if (last)
		last->next = NULL;
	s->udp.handoff = next;
	if (!next)
		s->udp.handoff_last = NULL;
	s->udp.n_handoff -= n;
	more = next != NULL;
	pthread_mutex_unlock(&s->udp.handoff_lock);
	/* the rest's wake-up is ours to write: a worker writes only to an empty queue */
	if (more && write(io->fd, &one, sizeof(one)) < 0)
		log_debug("handoff eventfd: %s", strerror(errno));
	for (; h; h = next) {
		struct server_client c = { .reply = udp_reply, .ctx = &s->udp.socks[h->sock] };

		next = h->next;
		c.addr_len = h->addr_len;
		memcpy(&c.addr, &h->addr, h->addr_len);
		if (h->sock < s->udp.n) /* else its address went (a reload) */
			server_query(s, h->wire, h->len, &c);
		free(h);
	}
}

/* ---- the workers ---- */

/* Publishes the worker's counters for udp_stats_sum(), word by word. */
static void worker_publish(struct udp_worker *w)
{
	const uint64_t *from = (const uint64_t *)&w->local;
	uint64_t *to = (uint64_t *)&w->shared;
	size_t i;

	for (i = 0; i < sizeof(w->local) / sizeof(uint64_t); i++)
		__atomic_store_n(&to[i], from[i], __ATOMIC_RELAXED);
}

/* Queues the list first..last (n queries) for the resolution thread and wakes it. */
static void worker_hand_over(struct udp_worker *w, struct udp_handoff *first,
			     struct udp_handoff *last, unsigned int n)
{
	struct server_udp *u = &w->srv->udp;
	uint64_t one = 1;
	bool wake;

	pthread_mutex_lock(&u->handoff_lock);
	while (first && u->n_handoff >= UDP_HANDOFF_MAX) { /* full: this batch's newest go */
		struct udp_handoff *next = first->next;

		free(first);
		first = next;
		n--;
		w->local.udp_handoff_dropped++;
	}
	/* partly full: all the batch goes in, a little over the bound */
	wake = first && !u->handoff;
	if (first) {
		if (u->handoff_last)
			u->handoff_last->next = first;
		else
			u->handoff = first;
		u->handoff_last = last;
		u->n_handoff += n;
	}
	pthread_mutex_unlock(&u->handoff_lock);
	/* the resolution thread takes from the queue after reading the eventfd, and writes it
	 * again when it leaves some: a queue that was not empty has a wake-up on its way */
	if (wake && write(u->handoff_io.fd, &one, sizeof(one)) < 0)
		log_debug("handoff eventfd: %s", strerror(errno));
}

/* Answers a batch read from the worker's socket sock. */
static void worker_batch(struct udp_worker *w, int sock)
{
	struct udp_batch *b = w->batch;
	struct udp_handoff *first = NULL, *last = NULL;
	uint16_t udp_size = __atomic_load_n(&w->srv->udp.edns_udp_size, __ATOMIC_RELAXED);
	unsigned int n_handed = 0;
	int i, n = batch_read(b, w->fds[sock]);

	b->fd = w->fds[sock];
	for (i = 0; i < n; i++) {
		const uint8_t *wire = b->in_iov[i].iov_base;
		size_t len = b->in[i].msg_len;
		socklen_t alen = b->in[i].msg_hdr.msg_namelen;
		struct xdpdns_query q;
		enum xdpdns_query_verdict v = xdpdns_query_parse(wire, len, &q);
		struct udp_handoff *h;

		w->local.queries_udp++;
		if (v == XDPDNS_QUERY_DROP)
			continue;
		if (v == XDPDNS_QUERY_OK) {
			uint8_t *room = batch_room(b, RESPOND_MAX_LEN);
			int m = room ? server_query_hit_shared(w->srv, &q, udp_size, room,
							       RESPOND_MAX_LEN, &w->local) : -1;

			if (m > 0) {
				batch_add(b, m, &b->in_addr[i], alen);
				continue;
			}
		}
		h = malloc(sizeof(*h) + len);
		if (!h)
			continue;
		h->next = NULL;
		h->sock = sock;
		h->addr_len = alen;
		memcpy(&h->addr, &b->in_addr[i], alen);
		h->len = len;
		memcpy(h->wire, wire, len);
		if (last)
			last->next = h;
		else
			first = h;
		last = h;
		n_handed++;
	}
	batch_flush(b);
	if (first)
		worker_hand_over(w, first, last, n_handed);
	worker_publish(w);
}

static void *worker_run(void *arg)
{
	struct udp_worker *w = arg;

	for (;;) {
		struct epoll_event ev[XDPDNS_SERVICES_MAX + 1];
		int i, n = epoll_wait(w->epfd, ev, XDPDNS_SERVICES_MAX + 1, -1);

		if (n < 0 && errno != EINTR) {
			log_error("UDP worker: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == XDPDNS_SERVICES_MAX)
				return NULL; /* stop_fd */
			worker_batch(w, ev[i].data.u32);
		}
	}
}

/* ---- setup ---- */

bool udp_reuseport(const struct server *s)
{
	return s->udp.n_threads > 1;
}

int udp_init(struct server *s, unsigned int threads)
{
	struct server_udp *u = &s->udp;
	unsigned int i;

	u->n_threads = threads ? threads : 1;
	u->edns_udp_size = s->opts->edns_udp_size;
	u->batch = batch_new();
	if (!u->batch)
		return -ENOMEM;
	pthread_mutex_init(&u->handoff_lock, NULL);
	u->handoff_io.fd = -1;
	if (u->n_threads == 1)
		return 0;
	u->workers = calloc(u->n_threads - 1, sizeof(*u->workers));
	if (!u->workers)
		goto fail;
	for (i = 0; i < u->n_threads - 1; i++)
		u->workers[i].epfd = u->workers[i].stop_fd = -1;
	for (i = 0; i < u->n_threads - 1; i++) {
		struct udp_worker *w = &u->workers[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = XDPDNS_SERVICES_MAX };

		w->srv = s;
		w->batch = batch_new();
		if (!w->batch)
			goto fail;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->epfd < 0 || w->stop_fd < 0 ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stop_fd, &ev))
			goto fail;
	}
	u->handoff_io.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	u->handoff_io.cb = on_handoff;
	if (u->handoff_io.fd < 0 || ev_io_add(s->loop, &u->handoff_io, EPOLLIN))
		goto fail;
	return 0;
fail:
	log_error("can't set up %u UDP threads: %s", u->n_threads, strerror(errno ? errno : ENOMEM));
	udp_fini(s);
	return -ENOMEM;
}

/* A worker's socket bound where fd is (with SO_REUSEPORT, as fd): its port too, if fd's was
 * chosen by the kernel (port 0, the tests'). Returns it or -errno. */
static int socket_like(int fd)
{
	struct xdpdns_sockaddr at = { .len = sizeof(at.sa) }, *sa = &at;
	int nfd, one = 1;

	if (getsockname(fd, (struct sockaddr *)&at.sa, &at.len))
		return -errno;
	nfd = socket(sa->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (nfd < 0)
		return -errno;
	setsockopt(nfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(nfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (sa->sa.ss_family == AF_INET6)
		setsockopt(nfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(nfd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(nfd, (const struct sockaddr *)&sa->sa, sa->len)) {
		int err = -errno;

		close(nfd);
		return err;
	}
	return nfd;
}

int udp_listen(struct server *s, int fd)
{
	struct server_udp *u = &s->udp;
	struct udp_socket *us;
	unsigned int i;
	int err;

	if (u->n == XDPDNS_SERVICES_MAX || u->running) {
		close(fd);
		return u->running ? -EBUSY : -ENOSPC;
	}
	for (i = 0; i < u->n_threads - 1; i++) {
		struct udp_worker *w = &u->workers[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = w->n };
		int wfd = socket_like(fd);

		if (wfd < 0) {
			err = wfd;
			goto fail;
		}
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, wfd, &ev)) {
			err = -errno;
			close(wfd);
			goto fail;
		}
		w->fds[w->n++] = wfd;
	}
	us = &u->socks[u->n];
	us->srv = s;
	us->batch = NULL;
	us->io.fd = fd;
	us->io.cb = on_udp;
	err = ev_io_add(s->loop, &us->io, EPOLLIN);
	if (err)
		goto fail;
	u->n++;
	return 0;
fail:
	/* the workers' sockets for this address go too */
	while (i--) {
		struct udp_worker *w = &u->workers[i];

		close(w->fds[--w->n]); /* closing drops it from the epoll set */
	}
	close(fd);
	return err;
}

int udp_start(struct server *s)
{
	struct server_udp *u = &s->udp;
	sigset_t all, old;
	unsigned int i;
	int err = 0;

	if (u->running || u->n_threads == 1 || !u->n)
		return 0;
	/* signals are the event loop's (a signalfd): none for the workers */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < u->n_threads - 1 && !err; i++) {
		err = -pthread_create(&u->workers[i].thread, NULL, worker_run, &u->workers[i]);
		u->workers[i].started = !err;
		if (err)
			log_error("can't start UDP thread %u: %s", i + 1, strerror(-err));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	u->running = true;
	if (err) {
		/* the ones that started are stopped; their sockets go too, so that nothing waits
		 * on a socket that no thread reads */
		udp_unlisten(s);
		return err;
	}
	return 0;
}

/* Stops the workers' threads, those that started. */
static void stop_workers(struct server *s)
{
	struct server_udp *u = &s->udp;
	uint64_t one = 1;
	unsigned int i;

	if (!u->running)
		return;
	for (i = 0; i < u->n_threads - 1; i++) {
		struct udp_worker *w = &u->workers[i];

		if (write(w->stop_fd, &one, sizeof(one)) < 0)
			continue; /* never: an eventfd far below its maximum */
	}
	for (i = 0; i < u->n_threads - 1; i++) {
		struct udp_worker *w = &u->workers[i];

		if (w->started) {
			pthread_join(w->thread, NULL);
			w->started = false;
		}
		if (read(w->stop_fd, &one, sizeof(one)) < 0)
			continue;
	}
	u->running = false;
}

void udp_unlisten(struct server *s)
{
	struct server_udp *u = &s->udp;
	struct udp_handoff *h, *next;
	unsigned int i;
	int j;

	stop_workers(s);
	for (i = 0; u->workers && i < u->n_threads - 1; i++) {
		struct udp_worker *w = &u->workers[i];

		for (j = 0; j < w->n; j++)
			close(w->fds[j]);
		w->n = 0;
	}
	for (j = 0; j < u->n; j++) {
		ev_io_del(s->loop, &u->socks[j].io);
		close(u->socks[j].io.fd);
	}
	u->n = 0;
	pthread_mutex_lock(&u->handoff_lock);
	h = u->handoff;
	u->handoff = u->handoff_last = NULL;
	u->n_handoff = 0;
	pthread_mutex_unlock(&u->handoff_lock);
	for (; h; h = next) {
		next = h->next;
		free(h);
	}
}

void udp_options_changed(struct server *s)
{
	__atomic_store_n(&s->udp.edns_udp_size, s->opts->edns_udp_size, __ATOMIC_RELAXED);
}

void udp_fini(struct server *s)
{
	struct server_udp *u = &s->udp;
	unsigned int i;

	if (!u->batch)
		return; /* never initialised */
	udp_unlisten(s);
	for (i = 0; u->workers && i < u->n_threads - 1; i++) {
		struct udp_worker *w = &u->workers[i];

		if (w->epfd >= 0)
			close(w->epfd);
		if (w->stop_fd >= 0)
			close(w->stop_fd);
		batch_free(w->batch);
	}
	free(u->workers);
	u->workers = NULL;
	if (u->handoff_io.fd >= 0) {
		ev_io_del(s->loop, &u->handoff_io);
		close(u->handoff_io.fd);
		u->handoff_io.fd = -1;
	}
	pthread_mutex_destroy(&u->handoff_lock);
	batch_free(u->batch);
	u->batch = NULL;
}

void udp_stats_sum(const struct server *s, struct server_stats *sum)
{
	const struct server_udp *u = &s->udp;
	unsigned int i;
	size_t k;

	for (i = 0; u->workers && i < u->n_threads - 1; i++) {
		const uint64_t *from = (const uint64_t *)&u->workers[i].shared;
		uint64_t *to = (uint64_t *)sum;

		for (k = 0; k < sizeof(*sum) / sizeof(uint64_t); k++)
			to[k] += __atomic_load_n(&from[k], __ATOMIC_RELAXED);
	}
}
