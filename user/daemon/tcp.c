// SPDX-License-Identifier: GPL-2.0
/* The TCP service (RFC 7766): length-prefixed messages, several per connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "log.h"
#include "server.h"
#include "tcp_frame.h"

/*
 * A connection is open from accept() to tcp_close(). Its memory outlives that while a query it
 * sent still waits for an answer: refs counts the holders (1 while open, 1 per query in
 * flight), and a resolution that ends after the client left finds the connection closed and
 * drops its answer. The memory is freed only by the connection's own timer, in the loop's timer
 * phase, never from an I/O callback: an event for the connection may still wait in the batch
 * the loop is working through (event.h), and the code that closed it may go on looking at it.
 *
 * It reads while fewer than tcp-pipeline of its queries are in flight and all its answers went
 * out (a client that does not read gets nothing more read: backpressure). Its timer fires when
 * it has something to do: at once when a whole message waits in its buffer and it may take it,
 * when the client closed its side and everything is answered, or when it can be freed; else at
 * the nearest of these deadlines:
 *   slow read  a message begun must arrive whole within tcp-io-timeout of its first byte
 *   unread     answers the kernel could not take yet must move within tcp-io-timeout
 *   idle       nothing in flight, begun or unsent: closed after tcp-idle-timeout
 */
#define TCP_IN_MIN_LEN 512        /* the read buffer, grown to a longer message's length */
/* answers the kernel would not take yet: a client that lets more than two of the largest pile
 * up is reset */
#define TCP_UNSENT_MAX_LEN (2 * (2 + TCP_FRAME_MSG_MAX))
#define TCP_ACCEPT_BATCH 16       /* connections accepted per wake-up; then other sockets */
#define TCP_ACCEPT_PAUSE_MS 100   /* no accept() this long after one failed for want of
				   * descriptors or memory (EMFILE...) */
#define TCP_EVICT_SCAN 32         /* when all places are taken, the least recently active
				   * connections looked at for an idle one to close */

struct tcp_source {
	sa_family_t family;
	uint8_t prefix[8]; /* the IPv4 address, or the IPv6 /64 */
};

struct tcp_conn {
	struct server *srv;
	struct tcp_conn *prev, *next; /* open: the most recently active first; or closed */
	struct tcp_conn *source_next; /* open, in the same source bucket */
	struct tcp_source source;
	struct ev_io io;              /* fd -1 once closed */
	struct ev_timer timer;
	uint32_t events;              /* what io waits for now */
	int refs;                     /* 1 while open, +1 per query in flight */
	bool eof;                     /* the client closed its side: answer, then close */
	struct tcp_frame_in in;       /* received, not yet taken: whole messages, then a part */
	uint8_t *out;                 /* answers not yet written */
	size_t out_len, out_sent;
	uint64_t in_since_ms;         /* the part's first byte came (or reading resumed) */
	uint64_t out_since_ms;        /* the unsent answers last moved */
	uint64_t active_ms;           /* the last query, or the last answer written whole */
};

enum tcp_due { TCP_DUE_NONE, TCP_DUE_NOW, TCP_DUE_SLOW_READ, TCP_DUE_UNREAD, TCP_DUE_IDLE };
enum tcp_close_why { TCP_CLOSE_DONE, TCP_CLOSE_IDLE, TCP_CLOSE_SLOW_READ, TCP_CLOSE_UNREAD };

static void tcp_update(struct tcp_conn *c);

static bool tcp_is_open(const struct tcp_conn *c)
{
	return c->io.fd >= 0;
}

static unsigned int tcp_inflight(const struct tcp_conn *c)
{
	return c->refs - tcp_is_open(c);
}

static size_t tcp_unsent(const struct tcp_conn *c)
{
	return c->out_len - c->out_sent;
}

static bool tcp_idle(const struct tcp_conn *c)
{
	return !c->in.have && !tcp_unsent(c) && !tcp_inflight(c);
}

/* May c take another query: a place among tcp-pipeline, and every answer out? */
static bool tcp_may_take(const struct tcp_conn *c)
{
	return tcp_is_open(c) && tcp_inflight(c) < c->srv->opts->tcp_pipeline && !tcp_unsent(c);
}

static bool tcp_may_read(const struct tcp_conn *c)
{
	return tcp_may_take(c) && !c->eof;
}

/* What c must do next, and when (ev_now_ms's clock). */
static uint64_t tcp_next(const struct tcp_conn *c, enum tcp_due *due)
{
	const struct xdpdns_options *o = c->srv->opts;
	uint64_t when = UINT64_MAX;

	*due = TCP_DUE_NONE;
	if ((tcp_may_take(c) && tcp_frame_ready(&c->in)) ||
	    (c->eof && !tcp_inflight(c) && !tcp_unsent(c))) {
		*due = TCP_DUE_NOW;
		return 0;
	}
	if (tcp_unsent(c)) {
		when = c->out_since_ms + o->tcp_io_timeout_ms;
		*due = TCP_DUE_UNREAD;
	}
	if (c->in.have && tcp_may_read(c) && c->in_since_ms + o->tcp_io_timeout_ms < when) {
		when = c->in_since_ms + o->tcp_io_timeout_ms;
		*due = TCP_DUE_SLOW_READ;
	}
	if (tcp_idle(c)) {
		when = c->active_ms + o->tcp_idle_timeout_ms;
		*due = TCP_DUE_IDLE;
	}
	return when;
}

static void tcp_source_of(const struct sockaddr_storage *sa, struct tcp_source *src)
{
	memset(src, 0, sizeof(*src));
	src->family = sa->ss_family;
	if (sa->ss_family == AF_INET6)
		memcpy(src->prefix, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);
	else
		memcpy(src->prefix, &((const struct sockaddr_in *)sa)->sin_addr, 4);
}

static struct tcp_conn **tcp_source_bucket(struct server *s, const struct tcp_source *src)
{
	/* keyed, as the cache's buckets are: a client can't choose addresses that fall in one */
	return &s->tcp.sources[xdpdns_siphash(&s->cache.key, src, sizeof(*src)) %
			       SERVER_TCP_SOURCE_BUCKETS];
}

/* How many connections from src are open. */
static unsigned int tcp_source_count(struct server *s, const struct tcp_source *src)
{
	const struct tcp_conn *c = *tcp_source_bucket(s, src);
	unsigned int n = 0;

	for (; c; c = c->source_next)
		n += !memcmp(&c->source, src, sizeof(*src));
	return n;
}

/* Takes c out of its list: the open ones' or the closed ones'. */
static void tcp_unlink(struct tcp_conn *c)
{
	struct server_tcp *t = &c->srv->tcp;

	if (c->prev)
		c->prev->next = c->next;
	else if (tcp_is_open(c))
		t->open = c->next;
	else
		t->closed = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else if (tcp_is_open(c))
		t->open_tail = c->prev;
	c->prev = c->next = NULL;
}

/* Puts c (unlinked) first in its list. */
static void tcp_link(struct tcp_conn *c)
{
	struct server_tcp *t = &c->srv->tcp;
	struct tcp_conn **head = tcp_is_open(c) ? &t->open : &t->closed;

	c->next = *head;
	if (*head)
		(*head)->prev = c;
	else if (tcp_is_open(c))
		t->open_tail = c;
	*head = c;
}

/* c (open) asked something: the last to be closed to make room. */
static void tcp_touch(struct tcp_conn *c)
{
	c->active_ms = ev_now_ms();
	tcp_unlink(c);
	tcp_link(c);
}

static void tcp_free(struct tcp_conn *c)
{
	tcp_unlink(c);
	ev_timer_stop(c->srv->loop, &c->timer);
	tcp_frame_free(&c->in);
	free(c->out);
	free(c);
}

/* Drops a holder's reference: the last one frees c (later: see above); a query's place
 * freed may let the next be read. */
static void tcp_unref(struct tcp_conn *c)
{
	if (!--c->refs)
		ev_timer_start(c->srv->loop, &c->timer, 0);
	else if (tcp_is_open(c))
		tcp_update(c);
}

/* Closes c, counting why; answers to its queries still in flight will be dropped. A client that
 * does not read is reset, so that the kernel drops what it holds for it at once. */
static void tcp_close(struct tcp_conn *c, enum tcp_close_why why)
{
	struct server *s = c->srv;
	struct tcp_conn **p;

	if (!tcp_is_open(c))
		return;
	if (why == TCP_CLOSE_IDLE) {
		s->stats.tcp_closed_idle++;
	} else if (why == TCP_CLOSE_SLOW_READ) {
		s->stats.tcp_closed_slow_read++;
	} else if (why == TCP_CLOSE_UNREAD) {
		struct linger reset = { .l_onoff = 1, .l_linger = 0 };

		s->stats.tcp_closed_unread++;
		setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	}
	for (p = tcp_source_bucket(s, &c->source); *p != c; p = &(*p)->source_next)
		;
	*p = c->source_next;
	tcp_unlink(c);
	ev_io_del(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->timer);
	close(c->io.fd);
	c->io.fd = -1;
	tcp_link(c);
	s->tcp.n_open--;
	free(c->out); /* never sent now; the input stays: the caller may be reading it */
	c->out = NULL;
	c->out_len = c->out_sent = 0;
	tcp_unref(c);
}

/* The events c waits for, and its timer, from what it must do next. */
static void tcp_update(struct tcp_conn *c)
{
	struct ev_loop *loop = c->srv->loop;
	uint32_t events = (tcp_may_read(c) ? EPOLLIN : 0) | (tcp_unsent(c) ? EPOLLOUT : 0);
	uint64_t now = ev_now_ms(), when;
	enum tcp_due due;

	if (events != c->events) {
		/* reading again: a message's time starts now, not when the pause began */
		if ((events & EPOLLIN) && !(c->events & EPOLLIN))
			c->in_since_ms = now;
		if (ev_io_mod(loop, &c->io, events)) {
			tcp_close(c, TCP_CLOSE_DONE);
			return;
		}
		c->events = events;
	}
	when = tcp_next(c, &due);
	if (due == TCP_DUE_NONE)
		ev_timer_stop(loop, &c->timer);
	else
		ev_timer_start(loop, &c->timer, when > now ? when - now : 0);
}

/* Writes what the kernel takes; a client that lets too much pile up is reset. */
static void tcp_flush(struct tcp_conn *c)
{
	while (tcp_unsent(c)) {
		ssize_t n = send(c->io.fd, c->out + c->out_sent, tcp_unsent(c),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) { /* reset, or gone */
			tcp_close(c, TCP_CLOSE_DONE);
			return;
		}
		c->out_sent += n;
		c->out_since_ms = ev_now_ms();
	}
	if (!tcp_unsent(c)) {
		free(c->out); /* an idle connection keeps no buffer */
		c->out = NULL;
		c->out_len = c->out_sent = 0;
		c->active_ms = ev_now_ms();
	} else if (tcp_unsent(c) > TCP_UNSENT_MAX_LEN) {
		tcp_close(c, TCP_CLOSE_UNREAD);
		return;
	}
	tcp_update(c);
}

/* A response for one of c's queries (its struct server_client's reply). */
static void tcp_reply(const struct server_client *client, const uint8_t *wire, size_t len)
{
	struct tcp_conn *c = client->ctx;

	if (!tcp_is_open(c)) /* the client left before its answer */
		return;
	if (c->out_sent) { /* what went out makes room */
		memmove(c->out, c->out + c->out_sent, tcp_unsent(c));
		c->out_len -= c->out_sent;
		c->out_sent = 0;
	}
	if (!c->out_len)
		c->out_since_ms = ev_now_ms();
	if (tcp_frame_append(&c->out, &c->out_len, wire, len)) {
		tcp_close(c, TCP_CLOSE_DONE);
		return;
	}
	tcp_flush(c);
}

/* One of c's queries is done with: its place in tcp-pipeline is free. */
static void tcp_release(const struct server_client *client)
{
	tcp_unref(client->ctx);
}

/* Hands the whole messages at the start of c's buffer to server_query() while c may take them. */
static void tcp_take(struct tcp_conn *c)
{
	struct server_client client = {
		.reply = tcp_reply, .release = tcp_release, .ctx = c, .tcp = true,
	};
	size_t len;

	while (tcp_may_take(c) && (len = tcp_frame_ready(&c->in))) {
		c->refs++;
		c->srv->stats.queries_tcp++;
		tcp_touch(c);
		server_query(c->srv, c->in.buf + 2, len - 2, &client);
		/* c may be closed now (its answer could not be sent), not freed */
		tcp_frame_consume(&c->in, len);
		c->in_since_ms = ev_now_ms(); /* the next message's time starts */
	}
	tcp_frame_trim(&c->in, TCP_IN_MIN_LEN); /* after a long message */
}

static void tcp_read(struct tcp_conn *c)
{
	ssize_t n;

	tcp_take(c); /* what is in first: then the buffer holds at most a part */
	if (!tcp_may_read(c))
		return;
	if (tcp_frame_reserve(&c->in, TCP_IN_MIN_LEN)) {
		tcp_close(c, TCP_CLOSE_DONE);
		return;
	}
	n = recv(c->io.fd, c->in.buf + c->in.have, c->in.cap - c->in.have, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			tcp_close(c, TCP_CLOSE_DONE);
		return;
	}
	if (!n) {
		c->eof = true;
		return;
	}
	if (!c->in.have)
		c->in_since_ms = ev_now_ms();
	c->in.have += n;
	tcp_take(c);
}

static void on_tcp_conn(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct tcp_conn *c = container_of(io, struct tcp_conn, io);

	(void)loop;
	if (!tcp_is_open(c)) /* closed earlier in this batch: freed after it */
		return;
	if (events & (EPOLLERR | EPOLLHUP)) { /* reset: nothing can be sent any more */
		tcp_close(c, TCP_CLOSE_DONE);
		return;
	}
	if (events & EPOLLOUT)
		tcp_flush(c);
	if ((events & EPOLLIN) && tcp_may_read(c))
		tcp_read(c);
	if (tcp_is_open(c))
		tcp_update(c);
}

static void on_tcp_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct tcp_conn *c = container_of(t, struct tcp_conn, timer);
	enum tcp_due due;

	(void)loop;
	if (!tcp_is_open(c)) {
		if (!c->refs)
			tcp_free(c);
		return;
	}
	if (tcp_next(c, &due) > ev_now_ms()) { /* moved since the timer was set */
		tcp_update(c);
		return;
	}
	switch (due) {
	case TCP_DUE_NOW:
		tcp_take(c);
		if (c->eof && tcp_is_open(c) && !tcp_inflight(c) && !tcp_unsent(c))
			tcp_close(c, TCP_CLOSE_DONE); /* the kernel still sends what it holds */
		else if (tcp_is_open(c))
			tcp_update(c);
		break;
	case TCP_DUE_SLOW_READ:
		tcp_close(c, TCP_CLOSE_SLOW_READ);
		break;
	case TCP_DUE_UNREAD:
		tcp_close(c, TCP_CLOSE_UNREAD);
		break;
	case TCP_DUE_IDLE:
		tcp_close(c, TCP_CLOSE_IDLE);
		break;
	case TCP_DUE_NONE:
		break;
	}
}

/* An idle connection among the least recently active, closed to make room; false if none. */
static bool tcp_evict_idle(struct server *s)
{
	struct tcp_conn *c = s->tcp.open_tail;
	int i;

	for (i = 0; c && i < TCP_EVICT_SCAN; i++, c = c->prev)
		if (tcp_idle(c) && !c->eof) {
			tcp_close(c, TCP_CLOSE_IDLE);
			return true;
		}
	return false;
}

static void tcp_refuse(struct server *s, int fd, const struct sockaddr_storage *sa,
		       const char *why)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	inet_ntop(sa->ss_family,
		  sa->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
					    : (const void *)&((const struct sockaddr_in *)sa)->sin_addr,
		  addr, sizeof(addr));
	s->stats.tcp_refused++;
	xdpdns_log_event(XDPDNS_LOG_WARN, "tcp_refused", "source", addr,
			 "TCP connection from %s refused: %s", addr, why);
	close(fd);
}

static void tcp_accepted(struct server *s, int fd, const struct sockaddr_storage *sa)
{
	const struct xdpdns_options *o = s->opts;
	struct tcp_source src;
	struct tcp_conn *c, **bucket;

	tcp_source_of(sa, &src);
	if (tcp_source_count(s, &src) >= o->tcp_connections_per_source)
		return tcp_refuse(s, fd, sa, "tcp-connections-per-source reached");
	if (s->tcp.n_open >= o->tcp_connections && !tcp_evict_idle(s))
		return tcp_refuse(s, fd, sa, "tcp-connections reached, none idle");
	c = calloc(1, sizeof(*c));
	if (!c)
		return tcp_refuse(s, fd, sa, "out of memory");
	c->srv = s;
	c->source = src;
	c->io.fd = fd;
	c->io.cb = on_tcp_conn;
	c->timer.cb = on_tcp_timer;
	c->refs = 1;
	c->events = EPOLLIN;
	if (ev_io_add(s->loop, &c->io, c->events)) {
		free(c);
		return tcp_refuse(s, fd, sa, "can't watch it");
	}
	bucket = tcp_source_bucket(s, &src);
	c->source_next = *bucket;
	*bucket = c;
	s->tcp.n_open++;
	tcp_link(c);
	c->active_ms = ev_now_ms();
	tcp_update(c);
}

static void tcp_listeners_set(struct server *s, uint32_t events)
{
	int i;

	for (i = 0; i < s->tcp.n_listeners; i++)
		ev_io_mod(s->loop, &s->tcp.listeners[i].io, events);
}

static void on_tcp_accept_timer(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	tcp_listeners_set(container_of(t, struct server, tcp.accept_timer), EPOLLIN);
}

/* accept()'s errors that are the new connection's own (accept(2): network errors pending on
 * it), not the listener's: the next one is taken. */
static bool tcp_accept_error_passes(int err)
{
	return err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM ||
	       err == ENETDOWN || err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET ||
	       err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH;
}

static void on_tcp_accept(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct tcp_listener *l = container_of(io, struct tcp_listener, io);
	struct server *s = l->srv;
	int i;

	(void)events;
	for (i = 0; i < TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(io->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			tcp_accepted(s, fd, &sa);
			continue;
		}
		if (errno == EAGAIN)
			return;
		if (tcp_accept_error_passes(errno))
			continue;
		/* out of descriptors or memory (EMFILE, ENFILE, ENOBUFS...): the connection stays
		 * in the backlog, and the listener would wake the loop for it at once, for ever */
		s->stats.tcp_accept_failed++;
		xdpdns_log_event(XDPDNS_LOG_WARN, "tcp_accept_failed", NULL, NULL,
				 "can't accept TCP connections: %s; trying again in %d ms",
				 strerror(errno), TCP_ACCEPT_PAUSE_MS);
		tcp_listeners_set(s, 0);
		ev_timer_start(loop, &s->tcp.accept_timer, TCP_ACCEPT_PAUSE_MS);
		return;
	}
}

void tcp_init(struct server *s)
{
	s->tcp.accept_timer.cb = on_tcp_accept_timer;
}

int tcp_listen(struct server *s, int fd)
{
	struct tcp_listener *l;
	int err;

	if (s->tcp.n_listeners == XDPDNS_SERVICES_MAX) {
		close(fd);
		return -ENOSPC;
	}
	l = &s->tcp.listeners[s->tcp.n_listeners];
	l->srv = s;
	l->io.fd = fd;
	l->io.cb = on_tcp_accept;
	err = ev_io_add(s->loop, &l->io, EPOLLIN);
	if (err) {
		close(fd);
		return err;
	}
	s->tcp.n_listeners++;
	return 0;
}

void tcp_unlisten(struct server *s)
{
	int i;

	for (i = 0; i < s->tcp.n_listeners; i++) {
		ev_io_del(s->loop, &s->tcp.listeners[i].io);
		close(s->tcp.listeners[i].io.fd);
	}
	s->tcp.n_listeners = 0;
}

void tcp_fini(struct server *s)
{
	ev_timer_stop(s->loop, &s->tcp.accept_timer);
	while (s->tcp.open)
		tcp_close(s->tcp.open, TCP_CLOSE_DONE);
	while (s->tcp.closed)
		tcp_free(s->tcp.closed);
}
