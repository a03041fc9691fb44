// SPDX-License-Identifier: GPL-2.0
/* dnsblast: a DNS load generator over UDP sockets that costs its machine little per query, so
 * that a cache answering in the kernel is measured rather than the generator. dnsperf makes a
 * send and a receive system call per query, and polls; on this benchmark's 2-CPU VM that is
 * most of a CPU's time per query, and dnsperf against a reflector that does nothing reaches
 * about 2.1x the best userspace cache on lo: a ceiling too close to the 2x target to tell
 * anything apart. dnsblast sends and receives in batches (sendmmsg, recvmmsg) on connected
 * sockets, with at most -q queries outstanding in all, as dnsperf does at saturation.
 *
 * Its output reads as dnsperf's, for the bench's parser: "Queries completed:", "Queries
 * lost:", "Queries per second:", and with -S N a line every N seconds "<unix time>: <answers/s>".
 * A query is answered by a response (QR) from the server with its ID, on its socket; one not
 * answered within -t seconds is lost, as is one whose ID comes round again unanswered.
 * Bounded: -l seconds of sending (at most 60), at most -n queries (10^8 unless told), then -t
 * seconds of waiting for the last answers. -l, -n and -t mean what they do for dnsperf; -c is
 * sockets per thread.
 *
 * Usage: dnsblast -s ADDR -d FILE [-p PORT] [-l SEC] [-n QUERIES] [-T THREADS] [-c SOCKETS]
 *        [-q OUTSTANDING] [-t SEC] [-S SEC]
 * FILE: a query a line, "name type" (dnsperf's format); RD is set, no EDNS (dnsperf's default).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define QUERY_MAX_LEN 300        /* header + a 255-byte name + type and class */
#define ANSWER_BUF_LEN 4096
#define SOCKETS_MAX 16
#define THREADS_MAX 8
#define RCVBUF_BYTES (4 << 20)
#define SWEEP_MS 100             /* how often a socket's outstanding queries are checked */
#define SEND_SEC_MAX 60

struct query {
	uint16_t len;
	uint8_t wire[QUERY_MAX_LEN];
};

struct opts {
	struct sockaddr_storage server;
	socklen_t server_len;
	const char *file;
	double seconds;
	unsigned long long max_queries;
	int threads, sockets, outstanding, timeout_ms, stats_sec;
};

/* One connected socket and its queries in flight, indexed by ID. */
struct blast_socket {
	int fd;
	uint16_t next_id;
	int outstanding;
	uint32_t sent_ms[65536]; /* when the query with this ID was sent, +1; 0: none */
};

struct blast_thread {
	pthread_t tid;
	struct blast_socket *socks;
	int nsocks, window; /* queries outstanding per socket at most */
	size_t next_query;
	uint64_t send_end_ms; /* when it stopped sending */
	unsigned long long sent, completed, lost;
	unsigned long long rcodes[16];
};

static const struct opts *o;
static struct query *queries;
static size_t nqueries;
static uint64_t start_ms;
static atomic_ullong answered_total; /* for the per-second lines */
static atomic_ullong sent_total;     /* taken for sending, for -n */

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "dnsblast: %s\n", what);
	exit(2);
}

/* Reads FILE into wire-form queries, built by ldns: ID 0 (set per send), RD, one question. */
static void load_queries(const char *file)
{
	size_t cap = 1024, lineno = 0;
	char line[512];
	FILE *f = fopen(file, "r");

	if (!f) {
		fprintf(stderr, "dnsblast: can't open %s: %s\n", file, strerror(errno));
		exit(2);
	}
	queries = malloc(cap * sizeof(*queries));
	if (!queries)
		die("out of memory");
	while (fgets(line, sizeof(line), f)) {
		char name[300], type[32];
		ldns_rdf *dname;
		ldns_pkt *pkt;
		uint8_t *wire;
		size_t len;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%299s %31s", name, type) != 2) {
			fprintf(stderr, "dnsblast: %s:%zu: not \"name type\"\n", file, lineno);
			exit(2);
		}
		dname = ldns_dname_new_frm_str(name);
		if (!dname || !ldns_get_rr_type_by_name(type)) {
			fprintf(stderr, "dnsblast: %s:%zu: bad name or type\n", file, lineno);
			exit(2);
		}
		pkt = ldns_pkt_query_new(dname, ldns_get_rr_type_by_name(type), LDNS_RR_CLASS_IN,
					 LDNS_RD);
		if (!pkt || ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > QUERY_MAX_LEN)
			die("can't build a query");
		if (nqueries == cap) {
			cap *= 2;
			queries = realloc(queries, cap * sizeof(*queries));
			if (!queries)
				die("out of memory");
		}
		queries[nqueries].len = len;
		memcpy(queries[nqueries].wire, wire, len);
		nqueries++;
		free(wire);
		ldns_pkt_free(pkt);
	}
	fclose(f);
	if (!nqueries)
		die("no queries in the file");
}

static void open_socket(struct blast_socket *s)
{
	int size = RCVBUF_BYTES;

	s->fd = socket(o->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		die("can't open a UDP socket");
	/* the answers of a whole window may wait between two reads: room for them */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (connect(s->fd, (const struct sockaddr *)&o->server, o->server_len)) {
		fprintf(stderr, "dnsblast: can't connect a socket to the server: %s\n", strerror(errno));
		exit(2);
	}
}

/* Sends up to n queries on s, the thread's next ones in the file. */
static int send_batch(struct blast_thread *t, struct blast_socket *s, int n, uint32_t stamp)
{
	static _Thread_local uint8_t bufs[BATCH][QUERY_MAX_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int i, sent;

	unsigned long long before;

	if (n > BATCH)
		n = BATCH;
	/* -n: the queries are taken before they are sent, so that threads never overshoot it */
	before = atomic_fetch_add_explicit(&sent_total, n, memory_order_relaxed);
	if (before >= o->max_queries)
		return 0;
	if (before + n > o->max_queries)
		n = o->max_queries - before;
	for (i = 0; i < n; i++) {
		const struct query *q = &queries[t->next_query];
		uint16_t id = s->next_id++;

		if (++t->next_query == nqueries)
			t->next_query = 0;
		if (s->sent_ms[id]) { /* its ID came round unanswered */
			s->sent_ms[id] = 0;
			s->outstanding--;
			t->lost++;
		}
		memcpy(bufs[i], q->wire, q->len);
		bufs[i][0] = id >> 8;
		bufs[i][1] = id & 0xff;
		iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = q->len };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	sent = sendmmsg(s->fd, msgs, n, 0);
	if (sent < 0)
		sent = 0; /* a full send buffer: the next turn tries again */
	for (i = 0; i < sent; i++) {
		uint16_t id = bufs[i][0] << 8 | bufs[i][1];

		s->sent_ms[id] = stamp;
		s->outstanding++;
	}
	/* the IDs of unsent queries were taken: harmless, they were never marked sent */
	t->sent += sent;
	return sent;
}

/* Reads what answers wait on s. */
static int receive(struct blast_thread *t, struct blast_socket *s)
{
	static _Thread_local uint8_t bufs[BATCH][ANSWER_BUF_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int i, n, total = 0;

	do {
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = ANSWER_BUF_LEN };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		n = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++) {
			const uint8_t *a = bufs[i];
			uint16_t id;

			if (msgs[i].msg_len < 12 || !(a[2] & 0x80))
				continue; /* not a DNS response */
			id = a[0] << 8 | a[1];
			if (!s->sent_ms[id])
				continue; /* late (counted lost) or not ours */
			s->sent_ms[id] = 0;
			s->outstanding--;
			t->completed++;
			t->rcodes[a[3] & 0xf]++;
			total++;
		}
	} while (n == BATCH);
	if (total)
		atomic_fetch_add_explicit(&answered_total, total, memory_order_relaxed);
	return total;
}

/* Counts as lost what has waited more than the timeout (all of it with all). */
static void sweep(struct blast_thread *t, struct blast_socket *s, uint32_t stamp, int all)
{
	uint32_t id;

	if (!s->outstanding)
		return;
	for (id = 0; id < 65536; id++) {
		uint32_t sent = s->sent_ms[id];

		if (sent && (all || stamp - sent > (uint32_t)o->timeout_ms)) {
			s->sent_ms[id] = 0;
			s->outstanding--;
			t->lost++;
		}
	}
}

static void *blast(void *arg)
{
	struct blast_thread *t = arg;
	uint64_t end_ms = start_ms + (uint64_t)(o->seconds * 1000), last_sweep = start_ms;
	struct pollfd pfd[SOCKETS_MAX];
	int i, sending = 1;

	for (i = 0; i < t->nsocks; i++)
		pfd[i] = (struct pollfd){ .fd = t->socks[i].fd, .events = POLLIN };
	for (;;) {
		uint64_t now = now_ms();
		uint32_t stamp = now - start_ms + 1; /* never 0: 0 marks a free ID */
		int progress = 0, outstanding = 0;

		if (sending && (now >= end_ms ||
				atomic_load_explicit(&sent_total, memory_order_relaxed) >= o->max_queries)) {
			sending = 0;
			t->send_end_ms = now;
		}
		for (i = 0; i < t->nsocks; i++) {
			struct blast_socket *s = &t->socks[i];

			progress += receive(t, s);
			if (sending && s->outstanding < t->window)
				progress += send_batch(t, s, t->window - s->outstanding, stamp);
			outstanding += s->outstanding;
		}
		if (now - last_sweep >= SWEEP_MS) {
			for (i = 0; i < t->nsocks; i++)
				sweep(t, &t->socks[i], stamp, 0);
			last_sweep = now;
		}
		if (!sending && (!outstanding || now >= t->send_end_ms + o->timeout_ms))
			break;
		if (!progress) /* the window full and nothing to read: wait for an answer */
			poll(pfd, t->nsocks, 1);
	}
	for (i = 0; i < t->nsocks; i++)
		sweep(t, &t->socks[i], 0, 1);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: dnsblast -s ADDR -d FILE [-p PORT] [-l SEC] [-n QUERIES] [-T THREADS]\n"
			"                [-c SOCKETS] [-q OUTSTANDING] [-t SEC] [-S SEC]\n");
	exit(2);
}

static long arg_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "dnsblast: %s: %s is not a number from %ld to %ld\n", what, s, min, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static struct opts opts = { .seconds = 1, .max_queries = 100000000ULL, .threads = 2,
				    .sockets = 2, .outstanding = 1000, .timeout_ms = 1000 };
	unsigned long long sent = 0, completed = 0, lost = 0, rcodes[16] = { 0 };
	const char *server = NULL;
	struct blast_thread *threads;
	uint64_t last_count = 0;
	struct timespec next;
	uint64_t send_end_ms = 0;
	double elapsed;
	int c, i, port = 53;

	while ((c = getopt(argc, argv, "s:p:d:l:n:T:c:q:t:S:")) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'p': port = arg_long(optarg, 1, 65535, "-p"); break;
		case 'd': opts.file = optarg; break;
		case 'l': opts.seconds = arg_long(optarg, 1, SEND_SEC_MAX, "-l"); break;
		case 'n': opts.max_queries = arg_long(optarg, 1, 1000000000L, "-n"); break;
		case 'T': opts.threads = arg_long(optarg, 1, THREADS_MAX, "-T"); break;
		case 'c': opts.sockets = arg_long(optarg, 1, SOCKETS_MAX, "-c"); break;
		case 'q': opts.outstanding = arg_long(optarg, 1, 65536, "-q"); break;
		case 't': opts.timeout_ms = arg_long(optarg, 1, 10, "-t") * 1000; break;
		case 'S': opts.stats_sec = arg_long(optarg, 1, SEND_SEC_MAX, "-S"); break;
		default: usage();
		}
	}
	if (!server || !opts.file || optind != argc)
		usage();
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)&opts.server;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&opts.server;

		if (inet_pton(AF_INET, server, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons(port);
			opts.server_len = sizeof(*a4);
		} else if (inet_pton(AF_INET6, server, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons(port);
			opts.server_len = sizeof(*a6);
		} else {
			fprintf(stderr, "dnsblast: -s %s: not an IPv4 or IPv6 address\n", server);
			exit(2);
		}
	}
	o = &opts;
	load_queries(opts.file);

	threads = calloc(opts.threads, sizeof(*threads));
	if (!threads)
		die("out of memory");
	for (i = 0; i < opts.threads; i++) {
		struct blast_thread *t = &threads[i];
		int k, per_socket = opts.outstanding / (opts.threads * opts.sockets);

		t->nsocks = opts.sockets;
		t->window = per_socket > 0 ? per_socket : 1;
		t->next_query = nqueries * i / opts.threads;
		t->socks = calloc(opts.sockets, sizeof(*t->socks));
		if (!t->socks)
			die("out of memory");
		for (k = 0; k < opts.sockets; k++)
			open_socket(&t->socks[k]);
	}
	printf("DNS load from dnsblast: %zu queries in %s, %d threads x %d sockets, %d outstanding\n\n",
	       nqueries, opts.file, opts.threads, opts.sockets, opts.outstanding);
	start_ms = now_ms();
	for (i = 0; i < opts.threads; i++)
		if (pthread_create(&threads[i].tid, NULL, blast, &threads[i]))
			die("can't start a thread");

	/* the answers a second over each interval, stamped with the wall clock as dnsperf -S does */
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = opts.stats_sec; opts.stats_sec && i <= (int)opts.seconds; i += opts.stats_sec) {
		struct timespec wall;
		uint64_t count;

		next.tv_sec += opts.stats_sec;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		count = atomic_load_explicit(&answered_total, memory_order_relaxed);
		clock_gettime(CLOCK_REALTIME, &wall);
		printf("%ld.%06ld: %.2f\n", (long)wall.tv_sec, wall.tv_nsec / 1000,
		       (double)(count - last_count) / opts.stats_sec);
		last_count = count;
	}
	for (i = 0; i < opts.threads; i++) {
		struct blast_thread *t = &threads[i];
		int k;

		pthread_join(t->tid, NULL);
		if (t->send_end_ms > send_end_ms)
			send_end_ms = t->send_end_ms;
		sent += t->sent;
		completed += t->completed;
		lost += t->lost;
		for (k = 0; k < 16; k++)
			rcodes[k] += t->rcodes[k];
	}
	elapsed = send_end_ms > start_ms ? (send_end_ms - start_ms) / 1000.0 : opts.seconds;
	printf("\nStatistics:\n\n");
	printf("  Queries sent:         %llu\n", sent);
	printf("  Queries completed:    %llu (%.2f%%)\n", completed, sent ? 100.0 * completed / sent : 0);
	printf("  Queries lost:         %llu (%.2f%%)\n", lost, sent ? 100.0 * lost / sent : 0);
	printf("  Response codes:       NOERROR %llu, NXDOMAIN %llu, SERVFAIL %llu, other %llu\n",
	       rcodes[0], rcodes[3], rcodes[2], completed - rcodes[0] - rcodes[3] - rcodes[2]);
	printf("  Run time (s):         %.6f\n", elapsed);
	printf("  Queries per second:   %.6f\n", completed / elapsed);
	return 0;
}
