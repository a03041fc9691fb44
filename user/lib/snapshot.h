/* SPDX-License-Identifier: GPL-2.0 */
/* Cache snapshots: every kernel cache entry saved to a file, and a file loaded back into the
 * maps, on this host or another: entries are re-keyed with the maps' hash seed and their
 * times re-based to this boot. xdpdnsd saves at stop and every snapshot-interval, and loads at
 * a start with fresh maps; `xdpdnsctl snapshot save|load FILE` does either by hand. */
#ifndef XDPDNS_SNAPSHOT_H
#define XDPDNS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "bpf_maps.h"

/* ---- File format ----
 * A struct xdpdns_snapshot_header, then header.count records: each a struct
 * xdpdns_snapshot_record followed by the record's value_len bytes of the entry as the map held
 * it (struct xdpdns_cache_entry, body, name; the class's unused tail is not saved). Numbers in
 * the byte order of the host that wrote it (layout.byte_order; the other order is refused),
 * DNS bytes in network order. crc32 (zlib's, the CRC-32 of gzip) covers the header with crc32
 * zero, then every record.
 */
#define XDPDNS_SNAPSHOT_MAGIC   "XDPDNSSN" /* 8 bytes, no NUL */
#define XDPDNS_SNAPSHOT_VERSION 1

/* What the saved entries' bytes mean. A file whose layout is not this build's was written by
 * another version of the ABI, or on a host of the other byte order, and is refused. */
struct xdpdns_snapshot_layout {
	uint32_t byte_order;         /* 0x01020304, as written */
	uint16_t key_len;            /* sizeof(struct xdpdns_cache_key) */
	uint16_t entry_hdr_len;      /* sizeof(struct xdpdns_cache_entry) */
	uint16_t off[12];            /* offsetof each field of struct xdpdns_cache_entry */
	uint16_t ttls_max;           /* XDPDNS_ENTRY_TTLS_MAX */
	uint16_t name_max_len;       /* XDPDNS_NAME_MAX_LEN */
	uint16_t class_count;        /* XDPDNS_CLASS_COUNT */
	uint16_t class_value_len[3]; /* value size of each class's map, bytes */
	uint32_t pad;                /* zero */
};

struct xdpdns_snapshot_header {
	char magic[8];              /* XDPDNS_SNAPSHOT_MAGIC */
	uint32_t version;           /* XDPDNS_SNAPSHOT_VERSION */
	uint32_t header_len;        /* sizeof(struct xdpdns_snapshot_header) */
	struct xdpdns_snapshot_layout layout;
	uint64_t count;             /* records that follow */
	uint64_t records_len;       /* bytes of the records: the file is header_len + this */
	uint64_t saved_realtime_ns; /* CLOCK_REALTIME at save: time passed since, on any host */
	uint64_t saved_boottime_ns; /* CLOCK_BOOTTIME at save: the entries' stored_ns clock */
	uint32_t crc32;             /* of the whole file, with this field zero */
	uint32_t pad;               /* zero */
};

struct xdpdns_snapshot_record {
	uint8_t cls;        /* enum xdpdns_cache_class: the entry's class, as its sizes give */
	uint8_t key_flags;  /* XDPDNS_KEY_* of the key */
	uint16_t qtype;     /* of the key */
	uint16_t value_len; /* bytes of the entry that follow: header + body_len + name_len */
	uint8_t name_len;   /* wire length of the name, stored after the body */
	uint8_t pad;        /* zero */
};

/* What a save or a load did, for the caller to log. */
struct xdpdns_snapshot_counts {
	uint64_t saved;      /* save: entries written */
	uint64_t loaded;     /* load: entries stored in the maps */
	uint64_t too_old;    /* load: past expiry + the maps' max_stale_sec: dropped */
	uint64_t full;       /* load: skipped, their class's map was full and nothing evictable */
	uint64_t evicted;    /* load: entries evicted to make room (the least recently used) */
	uint64_t kept_newer; /* load: skipped, the maps held a newer answer to the same question */
};

/* Saves every entry of the maps to path: written to a temporary file in the same directory,
 * synced, then renamed over path, so path is the old snapshot or the new one, never half of
 * one. Returns 0 or -errno with "snapshot PATH: what failed" in err. */
int xdpdns_snapshot_save(const struct xdpdns_maps *m, const char *path,
			 struct xdpdns_snapshot_counts *counts, char *err, size_t errlen);

/* Loads path into the maps, after checking all of it: a file that is not a snapshot, of
 * another version or layout, truncated, or with a bad checksum or entry, loads nothing and is
 * refused with -EBADMSG or -EPROTO (another version or layout) and the reason in err:
 * "snapshot PATH: bad checksum". Entries are keyed with the maps' hash seed and stored at
 * their real age (the time between save and load included); expired ones are kept for stale
 * serving unless past max_stale_sec. A newer answer already cached is kept. Returns 0 or
 * -errno (-ENOENT: no such file). A map too small for the file evicts as the cache does. */
int xdpdns_snapshot_load(struct xdpdns_maps *m, const char *path,
			 struct xdpdns_snapshot_counts *counts, char *err, size_t errlen);

/* This build's layout, as a header holds it. */
void xdpdns_snapshot_layout(struct xdpdns_snapshot_layout *l);

#endif /* XDPDNS_SNAPSHOT_H */
