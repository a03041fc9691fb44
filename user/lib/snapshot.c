// SPDX-License-Identifier: GPL-2.0
/* Cache snapshots. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>
#include "snapshot.h"

#define NSEC_PER_SEC 1000000000ULL
#define BYTE_ORDER_MARK 0x01020304

void xdpdns_snapshot_layout(struct xdpdns_snapshot_layout *l)
{
	static const uint16_t off[12] = {
		offsetof(struct xdpdns_cache_entry, stored_ns),
		offsetof(struct xdpdns_cache_entry, ttl_sec),
		offsetof(struct xdpdns_cache_entry, hits),
		offsetof(struct xdpdns_cache_entry, dns_flags),
		offsetof(struct xdpdns_cache_entry, ancount),
		offsetof(struct xdpdns_cache_entry, nscount),
		offsetof(struct xdpdns_cache_entry, arcount),
		offsetof(struct xdpdns_cache_entry, body_len),
		offsetof(struct xdpdns_cache_entry, body_csum),
		offsetof(struct xdpdns_cache_entry, ttl_count),
		offsetof(struct xdpdns_cache_entry, ttl_off),
		offsetof(struct xdpdns_cache_entry, data),
	};
	int cls;

	_Static_assert(XDPDNS_CLASS_COUNT == 3, "class_value_len has a slot per class");
	memset(l, 0, sizeof(*l));
	l->byte_order = BYTE_ORDER_MARK;
	l->key_len = sizeof(struct xdpdns_cache_key);
	l->entry_hdr_len = sizeof(struct xdpdns_cache_entry);
	memcpy(l->off, off, sizeof(off));
	l->ttls_max = XDPDNS_ENTRY_TTLS_MAX;
	l->name_max_len = XDPDNS_NAME_MAX_LEN;
	l->class_count = XDPDNS_CLASS_COUNT;
	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++)
		l->class_value_len[cls] = xdpdns_class_value_len(cls);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int fail(char *err, size_t errlen, int ret, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "snapshot PATH: " and the message in err; returns ret. */
static int fail(char *err, size_t errlen, int ret, const char *path, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "snapshot %s: ", path);
	va_list ap;

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- save ---- */

struct save_ctx {
	FILE *f;
	uLong crc;       /* of the records so far */
	uint64_t count, bytes;
};

static int put(struct save_ctx *c, const void *p, size_t len)
{
	if (fwrite(p, 1, len, c->f) != len)
		return -EIO;
	c->crc = crc32(c->crc, p, len);
	c->bytes += len;
	return 0;
}

static int save_entry(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
		      enum xdpdns_cache_class cls, void *arg)
{
	struct xdpdns_snapshot_record r = {
		.cls = cls,
		.key_flags = key->flags,
		.qtype = key->qtype,
		.value_len = XDPDNS_ENTRY_HDR_LEN + e->body_len + key->name_len,
		.name_len = key->name_len,
	};
	struct save_ctx *c = arg;
	int err;

	/* the daemon stores none that overflows its class; a load would refuse the file */
	if (e->body_len + key->name_len > XDPDNS_CLASS_DATA_LEN(xdpdns_class_value_len(cls)))
		return 0;
	err = put(c, &r, sizeof(r));
	if (!err)
		err = put(c, e, r.value_len);
	if (!err)
		c->count++;
	return err;
}

/* fsync of the directory: the rename itself survives a crash. */
static int sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, err = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int xdpdns_snapshot_save(const struct xdpdns_maps *m, const char *path,
			 struct xdpdns_snapshot_counts *counts, char *err, size_t errlen)
{
	struct xdpdns_snapshot_header h = { .version = XDPDNS_SNAPSHOT_VERSION,
					    .header_len = sizeof(h) };
	struct save_ctx c = { .crc = crc32(0, Z_NULL, 0) };
	char tmp[PATH_MAX];
	int fd, ret;

	memset(counts, 0, sizeof(*counts));
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return fail(err, errlen, -ENAMETOOLONG, path, "%s", strerror(ENAMETOOLONG));
	fd = mkstemp(tmp);
	if (fd < 0)
		return fail(err, errlen, -errno, path, "can't create %s: %s", tmp, strerror(errno));
	c.f = fdopen(fd, "w");
	if (!c.f) {
		ret = fail(err, errlen, -errno, path, "%s", strerror(errno));
		close(fd);
		goto out_unlink;
	}

	/* the header last, once the counts are known: a zeroed one holds its place */
	if (fwrite(&h, sizeof(h), 1, c.f) != 1) {
		ret = fail(err, errlen, -EIO, path, "can't write %s: %s", tmp, strerror(errno));
		goto out_close;
	}
	ret = xdpdns_cache_for_each(m, save_entry, &c, NULL);
	if (ret == -EIO) {
		ret = fail(err, errlen, ret, path, "can't write %s: %s", tmp, strerror(errno));
		goto out_close;
	} else if (ret) {
		ret = fail(err, errlen, ret, path, "can't walk the cache: %s", strerror(-ret));
		goto out_close;
	}
	/* after the walk: every entry saved was stored before this, so none has a negative age */
	h.saved_boottime_ns = xdpdns_boottime_ns();
	h.saved_realtime_ns = realtime_ns();
	memcpy(h.magic, XDPDNS_SNAPSHOT_MAGIC, sizeof(h.magic));
	xdpdns_snapshot_layout(&h.layout);
	h.count = c.count;
	h.records_len = c.bytes;
	h.crc32 = crc32_combine(crc32(crc32(0, Z_NULL, 0), (const Bytef *)&h, sizeof(h)), c.crc,
				c.bytes);
	if (fseek(c.f, 0, SEEK_SET) || fwrite(&h, sizeof(h), 1, c.f) != 1 || fflush(c.f) ||
	    fsync(fd)) {
		ret = fail(err, errlen, -errno, path, "can't write %s: %s", tmp, strerror(errno));
		goto out_close;
	}
	if (fclose(c.f)) {
		ret = fail(err, errlen, -errno, path, "can't write %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (rename(tmp, path)) {
		ret = fail(err, errlen, -errno, path, "can't rename %s to it: %s", tmp,
			   strerror(errno));
		goto out_unlink;
	}
	ret = sync_dir(path);
	if (ret)
		return fail(err, errlen, ret, path, "can't sync its directory: %s", strerror(-ret));
	counts->saved = c.count;
	return 0;

out_close:
	fclose(c.f);
out_unlink:
	unlink(tmp);
	return ret;
}

/* ---- load ---- */

/* A wire name: labels of at most 63 bytes, the root label exactly at the end. */
static bool name_ok(const uint8_t *name, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		if (name[pos] == 0)
			return pos == len - 1;
		if (name[pos] > XDPDNS_LABEL_MAX_LEN)
			return false;
		pos += name[pos] + 1;
	}
	return false;
}

/* The bounds the kernel and xdpdns_entry_answer() rely on, and that the daemon keeps when it
 * stores an entry. NULL if e (r.value_len bytes of it) is one it could have stored, else what
 * is wrong. */
static const char *entry_problem(const struct xdpdns_snapshot_record *r,
				 const struct xdpdns_cache_entry *e)
{
	unsigned int i;

	if (r->cls >= XDPDNS_CLASS_COUNT)
		return "no such class";
	if (!r->name_len || r->value_len != XDPDNS_ENTRY_HDR_LEN + e->body_len + r->name_len)
		return "lengths do not add up";
	if (xdpdns_entry_class(e->body_len, r->name_len) != r->cls)
		return "not in the class its size gives";
	if (!name_ok(e->data + e->body_len, r->name_len))
		return "not a domain name";
	if (e->ttl_count > XDPDNS_ENTRY_TTLS_MAX ||
	    e->ttl_count != e->ancount + e->nscount + e->arcount)
		return "TTL count";
	for (i = 0; i < e->ttl_count; i++)
		if (e->ttl_off[i] + 4 > e->body_len)
			return "TTL offset out of the body";
	return NULL;
}

/* Checks everything in the file before the maps see any of it. */
static int check_file(const uint8_t *buf, size_t size, const char *path, char *err,
		      size_t errlen)
{
	struct xdpdns_snapshot_header h;
	struct xdpdns_snapshot_layout want;
	uint32_t crc;
	size_t off;
	uint64_t i;

	if (size < sizeof(h.magic) || memcmp(buf, XDPDNS_SNAPSHOT_MAGIC, sizeof(h.magic)))
		return fail(err, errlen, -EBADMSG, path, "not an xdpdns snapshot (bad magic)");
	if (size < offsetof(struct xdpdns_snapshot_header, header_len))
		return fail(err, errlen, -EBADMSG, path, "truncated in the header");
	memcpy(&h.version, buf + offsetof(struct xdpdns_snapshot_header, version),
	       sizeof(h.version));
	if (h.version != XDPDNS_SNAPSHOT_VERSION)
		return fail(err, errlen, -EPROTO, path,
			    "format version %u, this build reads version %u", h.version,
			    XDPDNS_SNAPSHOT_VERSION);
	if (size < sizeof(h))
		return fail(err, errlen, -EBADMSG, path, "truncated in the header");
	memcpy(&h, buf, sizeof(h));
	xdpdns_snapshot_layout(&want);
	if (h.header_len != sizeof(h))
		return fail(err, errlen, -EBADMSG, path, "header of %u bytes, want %zu",
			    h.header_len, sizeof(h));
	if (memcmp(&h.layout, &want, sizeof(want)))
		return fail(err, errlen, -EPROTO, path, "written by a different entry layout%s",
			    h.layout.byte_order != BYTE_ORDER_MARK ? " (other byte order)" : "");
	if (h.records_len != size - sizeof(h))
		return fail(err, errlen, -EBADMSG, path, "%s: %zu bytes, the header says %llu",
			    h.records_len > size - sizeof(h) ? "truncated" : "trailing bytes", size,
			    (unsigned long long)(sizeof(h) + h.records_len));

	crc = h.crc32;
	h.crc32 = 0;
	if (crc32(crc32(crc32(0, Z_NULL, 0), (const Bytef *)&h, sizeof(h)), buf + sizeof(h),
		  size - sizeof(h)) != crc)
		return fail(err, errlen, -EBADMSG, path, "bad checksum");

	/* a good checksum over a file this build did not write (or did wrong) proves nothing */
	for (i = 0, off = sizeof(h); i < h.count; i++) {
		union {
			struct xdpdns_cache_entry e;
			uint8_t bytes[XDPDNS_CLASS_L_VALUE_LEN];
		} value; /* aligned, unlike the file's records */
		struct xdpdns_snapshot_record r;
		const char *problem;

		if (size - off < sizeof(r))
			return fail(err, errlen, -EBADMSG, path, "entry %llu: past the end",
				    (unsigned long long)i);
		memcpy(&r, buf + off, sizeof(r));
		off += sizeof(r);
		if (r.value_len < XDPDNS_ENTRY_HDR_LEN || r.value_len > sizeof(value) ||
		    r.value_len > size - off)
			return fail(err, errlen, -EBADMSG, path,
				    "entry %llu: %u bytes, out of bounds", (unsigned long long)i,
				    r.value_len);
		memcpy(&value, buf + off, r.value_len);
		problem = entry_problem(&r, &value.e);
		if (problem)
			return fail(err, errlen, -EBADMSG, path, "entry %llu: %s",
				    (unsigned long long)i, problem);
		off += r.value_len;
	}
	if (off != size)
		return fail(err, errlen, -EBADMSG, path, "%llu entries end before the file does",
			    (unsigned long long)h.count);
	return 0;
}

/* Stores every record of a checked file. */
static int load_entries(struct xdpdns_maps *m, const uint8_t *buf,
			struct xdpdns_snapshot_counts *counts, const char *path, char *err,
			size_t errlen)
{
	struct xdpdns_snapshot_header h;
	struct xdpdns_config cfg;
	struct xdpdns_entry_buf *b = malloc(sizeof(*b)), *old = malloc(sizeof(*b));
	uint64_t now_boot, now_real, elapsed, i;
	size_t off = sizeof(h);
	int ret = 0;

	if (!b || !old) {
		ret = fail(err, errlen, -ENOMEM, path, "%s", strerror(ENOMEM));
		goto out;
	}
	ret = xdpdns_config_read(m, &cfg);
	if (ret) {
		ret = fail(err, errlen, ret, path, "can't read the cache's config: %s",
			   strerror(-ret));
		goto out;
	}
	memcpy(&h, buf, sizeof(h));
	now_boot = xdpdns_boottime_ns();
	now_real = realtime_ns();
	/* a clock set back since the save: count no time between, rather than negative */
	elapsed = now_real > h.saved_realtime_ns ? now_real - h.saved_realtime_ns : 0;

	for (i = 0; i < h.count; i++) {
		struct xdpdns_snapshot_record r;
		struct xdpdns_cache_entry *e = &b->value.entry;
		int64_t saved_age;
		uint64_t age, age_sec;

		memcpy(&r, buf + off, sizeof(r));
		off += sizeof(r);
		b->cls = r.cls;
		b->value_len = xdpdns_class_value_len(r.cls);
		memcpy(&b->value, buf + off, r.value_len);
		memset(b->value.bytes + r.value_len, 0, b->value_len - r.value_len);
		off += r.value_len;

		/* its age: at the save (on that boot's clock), plus the time since */
		saved_age = (int64_t)(h.saved_boottime_ns - e->stored_ns);
		age = elapsed + (saved_age > 0 ? (uint64_t)saved_age : 0);
		age_sec = age / NSEC_PER_SEC;
		if (age_sec >= e->ttl_sec && age_sec - e->ttl_sec > cfg.max_stale_sec) {
			counts->too_old++; /* as the kernel judges it: past expiry + max-stale */
			continue;
		}
		e->stored_ns = now_boot - age; /* modulo 2^64: may be before this boot */
		e->last_hit_sec = 0; /* on the saving boot's clock: means nothing on this one */
		xdpdns_entry_key(&b->key, cfg.hash_seed, e->data + e->body_len, r.name_len, r.qtype,
				 r.key_flags);

		if (!xdpdns_cache_lookup(m, &b->key, old) &&
		    (int64_t)(old->value.entry.stored_ns - e->stored_ns) >= 0) {
			counts->kept_newer++;
			continue;
		}
		ret = xdpdns_cache_put(m, b);
		if (ret == -E2BIG) {
			counts->full++;
			ret = 0;
			continue;
		}
		if (ret) {
			ret = fail(err, errlen, ret, path, "can't store entry %llu: %s",
				   (unsigned long long)i, strerror(-ret));
			goto out;
		}
		counts->loaded++;
	}
out:
	free(b);
	free(old);
	return ret;
}

int xdpdns_snapshot_load(struct xdpdns_maps *m, const char *path,
			 struct xdpdns_snapshot_counts *counts, char *err, size_t errlen)
{
	struct stat st;
	void *buf;
	int fd, ret;

	memset(counts, 0, sizeof(*counts));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, path, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		ret = fail(err, errlen, -errno, path, "%s", strerror(errno));
		close(fd);
		return ret;
	}
	if (!st.st_size) {
		close(fd);
		return fail(err, errlen, -EBADMSG, path, "empty");
	}
	buf = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (buf == MAP_FAILED)
		return fail(err, errlen, -errno, path, "%s", strerror(errno));
	ret = check_file(buf, st.st_size, path, err, errlen);
	if (!ret) {
		uint64_t evicted = m->evicted;

		ret = load_entries(m, buf, counts, path, err, errlen);
		counts->evicted = m->evicted - evicted;
	}
	munmap(buf, st.st_size);
	return ret;
}
