/* SPDX-License-Identifier: GPL-2.0 */
/* DNS over TCP's framing (RFC 1035 4.2.2, RFC 7766 8): every message goes with its length in
 * two bytes before it. Buffers only, no sockets: the daemon's TCP service (tcp.c) and its upstream
 * queries over TCP (upstream.c) both read and write messages through these. */
#ifndef XDPDNS_TCP_FRAME_H
#define XDPDNS_TCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define TCP_FRAME_MSG_MAX 65535 /* the most two bytes of length can say */

/* What a stream brought: whole messages, each with its prefix, then at most a part of one. */
struct tcp_frame_in {
	uint8_t *buf;
	size_t have, cap;
};

/* The length, prefix included, of the whole message at the start of in; 0 while it is not all
 * in. The message itself is at in->buf + 2. */
static inline size_t tcp_frame_ready(const struct tcp_frame_in *in)
{
	size_t len;

	if (in->have < 2)
		return 0;
	len = 2 + ((size_t)in->buf[0] << 8 | in->buf[1]);
	return in->have >= len ? len : 0;
}

/* Makes room for the message begun at the start of in, whose length is known once its prefix is
 * in, and for at least min bytes in all. Returns 0 or -ENOMEM. */
int tcp_frame_reserve(struct tcp_frame_in *in, size_t min);

/* Takes the first len bytes (a whole message, tcp_frame_ready()'s) out of in. */
void tcp_frame_consume(struct tcp_frame_in *in, size_t len);

/* Frees in's buffer when it holds nothing and is larger than keep (after a long message). */
void tcp_frame_trim(struct tcp_frame_in *in, size_t keep);

void tcp_frame_free(struct tcp_frame_in *in);

/* Appends msg with its length before it to the buffer *out of *len bytes (grown with realloc).
 * Returns 0, -EMSGSIZE for a message longer than the prefix can say, or -ENOMEM (*out is then
 * as it was). */
int tcp_frame_append(uint8_t **out, size_t *len, const uint8_t *msg, size_t msg_len);

#endif /* XDPDNS_TCP_FRAME_H */
