/* SPDX-License-Identifier: GPL-2.0 */
/* The counter registry: every counter and gauge of the daemon, once. `xdpdnsctl stats` (the
 * control socket's stats and health commands), the Prometheus page (daemon/metrics.c) and
 * `xdpdnsctl top` (ctl/top.c) are all produced from these tables, and tests/test_counters.c
 * checks that every row reaches each of them. The kernel's counters have their own table,
 * XDPDNS_REASONS (xdpdns_kern_user.h). A new counter is one row here and its field where the
 * source column says. */
#ifndef XDPDNS_COUNTERS_H
#define XDPDNS_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

enum xdpdns_counter_kind {
	XDPDNS_COUNTER, /* only grows (from the daemon's start): a Prometheus counter, _total */
	XDPDNS_GAUGE,   /* a level, now: top shows its value, not a rate */
};

/* The daemon's counters: X(ID, stats, metric, labels, kind, help, top, source)
 *   ID      XDPDNS_CTR_<ID>, the index of its value
 *   stats   its name in the stats command's "name value" lines
 *   metric  its Prometheus family, with labels ("" for none) inside the braces; the rows of a
 *           family follow each other
 *   kind    COUNTER or GAUGE
 *   help    the family's HELP, on its first row (NULL on the others)
 *   top     its row in xdpdnsctl top (rows of one label are shown as their sum), or NULL: shown
 *           there under its stats name while it moves
 *   source  where the daemon reads it (daemon/stats.c): STAT(field), a field of struct
 *           server_stats, which every thread that answers keeps its own of, summed; OF(path), a
 *           field of the struct server that owns resolution; FN(f), f(server) */
#define XDPDNS_DAEMON_COUNTERS(X)                                                               \
	X(QUERIES_UDP, "queries_udp", "xdpdns_queries_total",                                   \
	  "transport=\"udp\"", COUNTER,                                                         \
	  "Queries the daemon received: passed on by the kernel, or over TCP.",                 \
	  "daemon answers (queries)", STAT(queries_udp))                                        \
	X(QUERIES_TCP, "queries_tcp", "xdpdns_queries_total",                                   \
	  "transport=\"tcp\"", COUNTER, NULL,                                                   \
	  "daemon answers (queries)", STAT(queries_tcp))                                        \
	X(FROM_DCACHE, "answered_from_daemon_cache", "xdpdns_daemon_cache_answers_total",       \
	  "", COUNTER, "Queries answered from the daemon's cache.",                             \
	  "  from daemon cache", STAT(from_dcache))                                             \
	X(MISSES, "misses", "xdpdns_misses_total",                                              \
	  "", COUNTER,                                                                          \
	  "Queries the daemon had no fresh answer for: resolved, coalesced, or answered "       \
	  "stale.",                                                                             \
	  "  daemon misses", STAT(misses))                                                      \
	X(STALE_ANSWERS, "stale_answers", "xdpdns_stale_answers_total",                         \
	  "", COUNTER,                                                                          \
	  "Answers served stale by the daemon (RFC 8767): upstreams down or too slow.",         \
	  "  stale", STAT(stale_answers))                                                       \
	X(GUARD_ANSWERS, "guard_answers", "xdpdns_guard_answers_total",                         \
	  "", COUNTER, "Answers with the last good answer instead of a negative one.",          \
	  "  guard (last good)", STAT(guard_answers))                                           \
	X(FALLBACK_ANSWERS, "fallback_answers", "xdpdns_fallback_answers_total",                \
	  "", COUNTER, "Answers from fallback-file: upstreams failed and nothing was cached.",  \
	  "  fallback-file", STAT(fallback_answers))                                            \
	X(SERVFAIL, "servfail", "xdpdns_servfail_answers_total",                                \
	  "", COUNTER, "SERVFAIL answers sent.",                                                \
	  "  SERVFAIL", STAT(servfail))                                                         \
	X(MALFORMED, "malformed", "xdpdns_malformed_queries_total",                             \
	  "", COUNTER, "Queries answered FORMERR, NOTIMP or BADVERS.",                          \
	  NULL, STAT(malformed))                                                                \
	X(TRUNCATED, "truncated", "xdpdns_truncated_answers_total",                             \
	  "", COUNTER, "UDP answers sent truncated (TC=1).",                                    \
	  NULL, STAT(truncated))                                                                \
	X(RESOLVED, "resolved", "xdpdns_resolutions_total",                                     \
	  "", COUNTER, "Resolutions that ended with an upstream answer.",                       \
	  NULL, STAT(resolved))                                                                 \
	X(COALESCED, "coalesced", "xdpdns_coalesced_queries_total",                             \
	  "", COUNTER,                                                                          \
	  "Queries that waited on a resolution of the same question already in flight.",        \
	  NULL, STAT(coalesced))                                                                \
	X(WAITERS_OVER_CAP, "waiters_over_cap", "xdpdns_waiters_over_cap_total",                \
	  "", COUNTER,                                                                          \
	  "Queries refused a place among those waiting on one resolution (the cap).",           \
	  NULL, STAT(waiters_over_cap))                                                         \
	X(OVER_BUDGET, "over_budget", "xdpdns_over_budget_total",                               \
	  "", COUNTER,                                                                          \
	  "Queries answered without asking upstream: upstream-qps or upstream-inflight "        \
	  "spent.",                                                                             \
	  NULL, STAT(over_budget))                                                              \
	X(TCP_CONNECTIONS, "tcp_connections", "xdpdns_tcp_connections",                         \
	  "", GAUGE, "TCP connections open now.",                                               \
	  NULL, OF(tcp.n_open))                                                                 \
	X(TCP_REFUSED, "tcp_refused", "xdpdns_tcp_refused_total",                               \
	  "", COUNTER,                                                                          \
	  "TCP connections closed at once: tcp-connections-per-source reached, or "             \
	  "tcp-connections with none idle to close instead.",                                   \
	  NULL, STAT(tcp_refused))                                                              \
	X(TCP_CLOSED_IDLE, "tcp_closed_idle", "xdpdns_tcp_closed_total",                        \
	  "why=\"idle\"", COUNTER,                                                              \
	  "TCP connections the daemon closed: idle (tcp-idle-timeout, or to make room), a "     \
	  "message not whole within tcp-io-timeout, answers not taken by the client (reset).",  \
	  NULL, STAT(tcp_closed_idle))                                                          \
	X(TCP_CLOSED_SLOW_READ, "tcp_closed_slow_read", "xdpdns_tcp_closed_total",              \
	  "why=\"slow_read\"", COUNTER, NULL,                                                   \
	  NULL, STAT(tcp_closed_slow_read))                                                     \
	X(TCP_CLOSED_UNREAD, "tcp_closed_unread", "xdpdns_tcp_closed_total",                    \
	  "why=\"unread\"", COUNTER, NULL,                                                      \
	  NULL, STAT(tcp_closed_unread))                                                        \
	X(TCP_ACCEPT_FAILED, "tcp_accept_failed", "xdpdns_tcp_accept_failures_total",           \
	  "", COUNTER,                                                                          \
	  "accept() failures for want of descriptors or memory: the TCP listeners pause each "  \
	  "time.",                                                                              \
	  NULL, STAT(tcp_accept_failed))                                                        \
	X(UDP_HANDOFF_DROPPED, "udp_handoff_dropped", "xdpdns_udp_handoff_dropped_total",       \
	  "", COUNTER,                                                                          \
	  "UDP queries a worker thread dropped: the resolution thread's queue was full.",       \
	  NULL, STAT(udp_handoff_dropped))                                                      \
	X(HALF_OPEN_QUERIES, "half_open_queries", "xdpdns_half_open_queries_total",             \
	  "", COUNTER,                                                                          \
	  "Client misses sent upstream while every upstream was marked down (half-open), so "   \
	  "that a wrong verdict heals without waiting for a probe.",                            \
	  NULL, STAT(half_open_queries))                                                        \
	X(RESOLUTIONS_IN_FLIGHT, "resolutions_in_flight", "xdpdns_resolutions_in_flight",       \
	  "", GAUGE, "Resolutions waiting on an upstream.",                                     \
	  "resolutions in flight", OF(res.n_pending))                                               \
	X(PREFETCHES, "prefetches", "xdpdns_prefetches_total",                                  \
	  "", COUNTER, "Hot entries refreshed before they expired.",                            \
	  "prefetches", STAT(prefetches))                                                       \
	X(RECOVERY_REFRESHES, "recovery_refreshes", "xdpdns_recovery_refreshes_total",          \
	  "", COUNTER, "Stale entries refreshed after an outage of every upstream.",            \
	  NULL, STAT(recovery_refreshes))                                                       \
	X(RECOVERY_QUEUED, "recovery_queued", "xdpdns_recovery_queued",                         \
	  "", GAUGE,                                                                            \
	  "Stale entries waiting to be refreshed after an outage of every upstream.",           \
	  NULL, FN(recovery_queued))                                                            \
	X(DAEMON_CACHE_ENTRIES, "daemon_cache_entries", "xdpdns_daemon_cache_entries",          \
	  "", GAUGE,                                                                            \
	  "Entries in the daemon's cache, expired ones kept for stale answers included.",       \
	  "daemon cache entries", OF(cache.count))                                              \
	X(KERNEL_FILLS, "kernel_fills", "xdpdns_kernel_fills_total",                            \
	  "", COUNTER, "Answers stored in the kernel's cache.",                                 \
	  NULL, STAT(kernel_fills))                                                             \
	X(KERNEL_FILL_SKIPPED, "kernel_fill_skipped", "xdpdns_kernel_fills_skipped_total",      \
	  "", COUNTER,                                                                          \
	  "Answers kept out of the kernel's cache: too big, too many records, or an error.",    \
	  NULL, STAT(kernel_fill_skipped))                                                      \
	X(KERNEL_EVICTIONS, "kernel_evictions", "xdpdns_kernel_evictions_total",                \
	  "", COUNTER,                                                                          \
	  "Kernel cache entries evicted (least recently used) to make room in a full map.",     \
	  NULL, STAT(kernel_evictions))                                                         \
	X(GUARD_NAMES, "guard_names", "xdpdns_guard_engaged_total",                             \
	  "", COUNTER, "Names that turned negative and got the last-known-good guard.",         \
	  NULL, STAT(guard_names))                                                              \
	X(GUARD_CONFIRMED, "guard_confirmed", "xdpdns_guard_ended_total",                       \
	  "how=\"confirmed\"", COUNTER,                                                         \
	  "Guards ended: negative confirmed by another upstream, window expired, name "         \
	  "positive again.",                                                                    \
	  NULL, STAT(guard_confirmed))                                                          \
	X(GUARD_EXPIRED, "guard_expired", "xdpdns_guard_ended_total",                           \
	  "how=\"expired\"", COUNTER, NULL,                                                     \
	  NULL, STAT(guard_expired))                                                            \
	X(GUARD_RECOVERED, "guard_recovered", "xdpdns_guard_ended_total",                       \
	  "how=\"recovered\"", COUNTER, NULL,                                                   \
	  NULL, STAT(guard_recovered))                                                          \
	X(GUARD_WATCHING, "guard_watching", "xdpdns_guard_watching",                            \
	  "", GAUGE, "Names the guard watches now.",                                            \
	  NULL, OF(guard.count))                                                                \
	X(NEGATIVE_HEALING, "negative_healing", "xdpdns_negative_healing_total",                \
	  "", COUNTER,                                                                          \
	  "Negative answers cached briefly because the name was positive lately.",              \
	  NULL, STAT(negative_healing))                                                         \
	X(UPSTREAM_OVER_BUDGET, "upstream_over_budget", "xdpdns_upstream_over_budget_total",    \
	  "", COUNTER, "Upstream attempts not sent for want of an upstream-qps token.",         \
	  NULL, OF(upstreams.over_budget))                                                      \
	X(UPSTREAM_UNPARSABLE, "upstream_unparsable", "xdpdns_upstream_ignored_total",          \
	  "why=\"unparsable\"", COUNTER,                                                        \
	  "Upstream datagrams ignored: unparsable, or not the answer (wrong ID or question).",  \
	  NULL, OF(upstreams.bogus.unparsable))                                                 \
	X(UPSTREAM_WRONG_ID, "upstream_wrong_id", "xdpdns_upstream_ignored_total",              \
	  "why=\"wrong_id\"", COUNTER, NULL,                                                    \
	  NULL, OF(upstreams.bogus.wrong_id))                                                   \
	X(UPSTREAM_WRONG_QUESTION, "upstream_wrong_question", "xdpdns_upstream_ignored_total",  \
	  "why=\"wrong_question\"", COUNTER, NULL,                                              \
	  NULL, OF(upstreams.bogus.wrong_question))                                             \
	X(SCRUBBED_RECORDS, "scrubbed_records", "xdpdns_scrubbed_records_total",                \
	  "", COUNTER,                                                                          \
	  "Upstream records dropped before caching: not part of the answer to the question.",   \
	  NULL, STAT(scrubbed_records))                                                         \
	X(NOT_CACHED, "not_cached", "xdpdns_not_cached_total",                                  \
	  "", COUNTER,                                                                          \
	  "Upstream answers passed on but not stored: truncated, TTL 0, negative without "      \
	  "SOA, rcode.",                                                                        \
	  NULL, STAT(not_cached))                                                               \
	X(OUTDATED_ANSWERS, "outdated_answers", "xdpdns_outdated_answers_total",                \
	  "", COUNTER,                                                                          \
	  "Upstream answers not stored: a later resolution's answer was cached already.",       \
	  NULL, STAT(outdated_answers))                                                         \
	X(CACHE_ONLY_FORWARDED, "cache_only_forwarded", "xdpdns_cache_only_misses_total",       \
	  "how=\"forwarded\"", COUNTER,                                                         \
	  "cache-only: client misses sent upstream within cache-only-miss-qps, or over it "     \
	  "answered stale or REFUSED.",                                                         \
	  NULL, STAT(cache_only_forwarded))                                                     \
	X(CACHE_ONLY_STALE, "cache_only_stale", "xdpdns_cache_only_misses_total",               \
	  "how=\"stale\"", COUNTER, NULL,                                                       \
	  NULL, STAT(cache_only_stale))                                                         \
	X(CACHE_ONLY_REFUSED, "cache_only_refused", "xdpdns_cache_only_misses_total",           \
	  "how=\"refused\"", COUNTER, NULL,                                                     \
	  NULL, STAT(cache_only_refused))

/* Each upstream's: X(ID, key, metric, kind, help, top, field)
 *   key     "key=value" in the health command's line for the upstream
 *   metric  its family, labelled upstream="ADDR"
 *   top     its column in top's table of upstreams
 *   field   of struct upstream (daemon/upstream.h)
 * An upstream's state (up, down, forced) and its latency histogram are not numbers of this
 * kind: the health line's second word, and their own families on the page. */
#define XDPDNS_UPSTREAM_COUNTERS(X)                                                             \
	X(FAILS, "fails", "xdpdns_upstream_failures",                                           \
	  GAUGE, "Consecutive failed attempts of the upstream, health probes included.",        \
	  "fails", fails)                                                                       \
	X(QUERIES, "queries", "xdpdns_upstream_queries_total",                                  \
	  COUNTER, "Attempts sent to the upstream, health probes included.",                    \
	  "queries/s", queries)                                                                 \
	X(ANSWERS, "answers", "xdpdns_upstream_answers_total",                                  \
	  COUNTER, "Usable answers from the upstream.",                                         \
	  "answers/s", answers)                                                                 \
	X(NAME_FAILURES, "name_failures", "xdpdns_upstream_name_failures_total",                \
	  COUNTER,                                                                              \
	  "SERVFAIL or REFUSED answers from the upstream: about the name asked, not counted "   \
	  "against its health.",                                                                \
	  "namefail/s", name_failures)                                                          \
	X(TIMEOUTS, "timeouts", "xdpdns_upstream_timeouts_total",                               \
	  COUNTER, "Attempts the upstream did not answer in time.",                             \
	  "timeouts/s", timeouts)                                                               \
	X(BOGUS, "bogus", "xdpdns_upstream_bogus_total",                                        \
	  COUNTER, "Datagrams from the upstream ignored: wrong ID or question, unparsable.",    \
	  "bogus/s", bogus)

#define XDPDNS_CTR_ENUM(id, ...) XDPDNS_CTR_##id,
enum xdpdns_counter {
	XDPDNS_DAEMON_COUNTERS(XDPDNS_CTR_ENUM)
	XDPDNS_CTR_COUNT
};
#undef XDPDNS_CTR_ENUM

#define XDPDNS_UPC_ENUM(id, ...) XDPDNS_UPC_##id,
enum xdpdns_upstream_counter {
	XDPDNS_UPSTREAM_COUNTERS(XDPDNS_UPC_ENUM)
	XDPDNS_UPC_COUNT
};
#undef XDPDNS_UPC_ENUM

/* A row of either table (labels and source: the daemon's table only). */
struct xdpdns_counter_def {
	const char *name;   /* stats name, or health key */
	const char *metric;
	const char *labels;
	enum xdpdns_counter_kind kind;
	const char *help;
	const char *top;
};

extern const struct xdpdns_counter_def xdpdns_counters[XDPDNS_CTR_COUNT];
extern const struct xdpdns_counter_def xdpdns_upstream_counters[XDPDNS_UPC_COUNT];

/* The stats command's answer: a "name value" line per counter, in the table's order. */
void xdpdns_counters_print(FILE *out, const uint64_t v[XDPDNS_CTR_COUNT]);

/* Reads the stats command's answer into v. Names it does not know are left alone (a newer
 * daemon); a counter it lacks (an older daemon, or another program) is an error: -ENOENT, with
 * *missing its name. Returns 0 or -ENOENT. */
int xdpdns_counters_parse(const char *text, uint64_t v[XDPDNS_CTR_COUNT], const char **missing);

/* An upstream's " key=value" pairs, in the table's order, for its health line. */
void xdpdns_upstream_counters_print(FILE *out, const uint64_t v[XDPDNS_UPC_COUNT]);

/* Reads the pairs from one health line into v. Returns 0, or -ENOENT with *missing the key it
 * lacks. */
int xdpdns_upstream_counters_parse(const char *line, uint64_t v[XDPDNS_UPC_COUNT],
				   const char **missing);

#endif /* XDPDNS_COUNTERS_H */
