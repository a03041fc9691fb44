// SPDX-License-Identifier: GPL-2.0
/* DNS over TCP's framing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tcp_frame.h"

int tcp_frame_reserve(struct tcp_frame_in *in, size_t min)
{
	size_t want = min;
	uint8_t *buf;

	if (in->have >= 2 && 2 + ((size_t)in->buf[0] << 8 | in->buf[1]) > want)
		want = 2 + ((size_t)in->buf[0] << 8 | in->buf[1]);
	if (in->cap >= want)
		return 0;
	buf = realloc(in->buf, want);
	if (!buf)
		return -ENOMEM;
	in->buf = buf;
	in->cap = want;
	return 0;
}

void tcp_frame_consume(struct tcp_frame_in *in, size_t len)
{
	memmove(in->buf, in->buf + len, in->have - len);
	in->have -= len;
}

void tcp_frame_trim(struct tcp_frame_in *in, size_t keep)
{
	if (!in->have && in->cap > keep)
		tcp_frame_free(in);
}

void tcp_frame_free(struct tcp_frame_in *in)
{
	free(in->buf);
	in->buf = NULL;
	in->have = in->cap = 0;
}

int tcp_frame_append(uint8_t **out, size_t *len, const uint8_t *msg, size_t msg_len)
{
	uint8_t *buf;

	if (msg_len > TCP_FRAME_MSG_MAX)
		return -EMSGSIZE;
	buf = realloc(*out, *len + 2 + msg_len);
	if (!buf)
		return -ENOMEM;
	buf[*len] = msg_len >> 8;
	buf[*len + 1] = msg_len & 0xff;
	memcpy(buf + *len + 2, msg, msg_len);
	*out = buf;
	*len += 2 + msg_len;
	return 0;
}
