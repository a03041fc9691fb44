// SPDX-License-Identifier: GPL-2.0
/* Userspace access to the XDP program's maps. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_maps.h"

/* The maps by name (their names in bpf/maps.h, and their pin names). */
static const struct {
	const char *name;
	size_t fd_offset; /* in struct xdpdns_maps */
	bool optional;    /* pins of an older daemon may lack it: fd -1 */
} map_names[] = {
	{ "xdpdns_cache_s", offsetof(struct xdpdns_maps, cache[XDPDNS_CLASS_S]), false },
	{ "xdpdns_cache_m", offsetof(struct xdpdns_maps, cache[XDPDNS_CLASS_M]), false },
	{ "xdpdns_cache_l", offsetof(struct xdpdns_maps, cache[XDPDNS_CLASS_L]), false },
	{ "xdpdns_services", offsetof(struct xdpdns_maps, services), false },
	{ "xdpdns_config", offsetof(struct xdpdns_maps, config), false },
	{ "xdpdns_health", offsetof(struct xdpdns_maps, health), false },
	{ "xdpdns_stats", offsetof(struct xdpdns_maps, stats), false },
	{ "xdpdns_ifaces", offsetof(struct xdpdns_maps, ifaces), false },
	{ "xdpdns_attach", offsetof(struct xdpdns_maps, attach), false },
	{ "xdpdns_hot", offsetof(struct xdpdns_maps, hot), true },
};

#define MAP_FD(m, i) ((int *)((char *)(m) + map_names[i].fd_offset))
#define N_MAPS (sizeof(map_names) / sizeof(map_names[0]))

void xdpdns_maps_reset(struct xdpdns_maps *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < N_MAPS; i++)
		*MAP_FD(m, i) = -1;
}

int xdpdns_maps_find(struct bpf_object *obj, struct xdpdns_maps *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, map_names[i].name);

		if (!map || bpf_map__fd(map) < 0)
			return -ENOENT;
		*MAP_FD(m, i) = bpf_map__fd(map);
	}
	return 0;
}

int xdpdns_maps_open_pinned(const char *dir, struct xdpdns_maps *m)
{
	char path[PATH_MAX];
	size_t i;

	xdpdns_maps_reset(m);
	for (i = 0; i < N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i].name);
		*MAP_FD(m, i) = bpf_obj_get(path);
		if (*MAP_FD(m, i) < 0 && errno == ENOENT && map_names[i].optional)
			continue;
		if (*MAP_FD(m, i) < 0) {
			int err = -errno;

			xdpdns_maps_close(m);
			return err;
		}
	}
	return 0;
}

void xdpdns_maps_close(struct xdpdns_maps *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		if (*MAP_FD(m, i) >= 0)
			close(*MAP_FD(m, i));
	xdpdns_maps_reset(m);
}

/* An entry seen by an eviction look: when it was last used, and how much. */
struct evict_candidate {
	struct xdpdns_cache_key key;
	uint32_t used_sec; /* last hit, or when stored if later (a refresh, or never hit) */
	uint32_t hits;     /* breaks ties within a second: the busier one stays */
	int walk;          /* position in the walk */
};

static int cmp_candidates(const void *a, const void *b)
{
	const struct evict_candidate *x = a, *y = b;

	if (x->used_sec != y->used_sec)
		return x->used_sec < y->used_sec ? -1 : 1;
	return (x->hits > y->hits) - (x->hits < y->hits);
}

/* Deletes the XDPDNS_EVICT_BATCH least recently used of XDPDNS_EVICT_SAMPLE entries of class
 * cls, walked from where the last look stopped, past the end to the first key once. Returns
 * 0 or -errno (-E2BIG: nothing to evict). */
static int evict(struct xdpdns_maps *m, enum xdpdns_cache_class cls)
{
	uint8_t value[XDPDNS_CLASS_L_VALUE_LEN] __attribute__((aligned(8)));
	const struct xdpdns_cache_entry *e = (const struct xdpdns_cache_entry *)value;
	struct xdpdns_cache_key *prev = m->evict_from_set[cls] ? &m->evict_from[cls] : NULL;
	struct evict_candidate c[XDPDNS_EVICT_SAMPLE];
	int fd = m->cache[cls], n = 0, steps, i, last = -1, deleted = 0;
	bool wrapped = !prev; /* from the first key: the end is the end */

	/* steps: keys deleted under the walk (xdpdnsctl flush) must not make it unbounded */
	for (steps = 0; n < XDPDNS_EVICT_SAMPLE && steps < 2 * XDPDNS_EVICT_SAMPLE; steps++) {
		/* prev may point at c[n].key: the kernel reads the key before writing the next */
		if (bpf_map_get_next_key(fd, prev, &c[n].key)) {
			if (errno != ENOENT || wrapped)
				break;
			wrapped = true;
			prev = NULL;
			continue;
		}
		if (n > 0 && wrapped && !memcmp(&c[n].key, &c[0].key, sizeof(c[0].key)))
			break; /* back where this look started: it has seen the whole map */
		prev = &c[n].key;
		if (bpf_map_lookup_elem(fd, &c[n].key, value))
			continue; /* deleted meanwhile */
		/* stored before this boot (a snapshot's entry, "before 0" modulo 2^64): oldest */
		c[n].used_sec = (int64_t)e->stored_ns > 0 ? e->stored_ns / 1000000000ULL : 0;
		if (e->last_hit_sec > c[n].used_sec)
			c[n].used_sec = e->last_hit_sec;
		c[n].hits = e->hits;
		c[n].walk = n;
		n++;
	}

	qsort(c, n, sizeof(c[0]), cmp_candidates);
	for (i = 0; i < n && i < XDPDNS_EVICT_BATCH; i++)
		deleted += !bpf_map_delete_elem(fd, &c[i].key);
	/* the next look goes on from the last key walked that stays (from a deleted one, the
	 * kernel would start over at the first key) */
	for (; i < n; i++)
		if (last < 0 || c[i].walk > c[last].walk)
			last = i;
	m->evict_from_set[cls] = last >= 0;
	if (last >= 0)
		m->evict_from[cls] = c[last].key;
	m->evicted += deleted;
	return deleted ? 0 : -E2BIG;
}

int xdpdns_cache_put(struct xdpdns_maps *m, const struct xdpdns_entry_buf *b)
{
	int cls, err;

	if (b->cls >= XDPDNS_CLASS_COUNT)
		return -EINVAL;
	/* insert before deleting elsewhere: a lookup in between finds the old or the new */
	if (bpf_map_update_elem(m->cache[b->cls], &b->key, &b->value, BPF_ANY)) {
		err = -errno;
		if (err == -E2BIG) /* full: make room, once (a batch), and try again */
			err = evict(m, b->cls);
		if (err)
			return err;
		if (bpf_map_update_elem(m->cache[b->cls], &b->key, &b->value, BPF_ANY))
			return -errno;
	}
	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++)
		if (cls != (int)b->cls)
			bpf_map_delete_elem(m->cache[cls], &b->key);
	return 0;
}

int xdpdns_cache_count_classes(const struct xdpdns_maps *m, uint64_t *counts)
{
	struct xdpdns_cache_key key, next;
	int cls;

	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++) {
		struct xdpdns_cache_key *prev = NULL;

		counts[cls] = 0;
		while (!bpf_map_get_next_key(m->cache[cls], prev, &next)) {
			key = next;
			prev = &key;
			counts[cls]++;
		}
		if (errno != ENOENT)
			return -errno;
	}
	return 0;
}

int xdpdns_cache_count(const struct xdpdns_maps *m, uint64_t *count)
{
	uint64_t counts[XDPDNS_CLASS_COUNT];
	int cls, err = xdpdns_cache_count_classes(m, counts);

	*count = 0;
	for (cls = 0; cls < XDPDNS_CLASS_COUNT && !err; cls++)
		*count += counts[cls];
	return err;
}

int xdpdns_cache_delete(const struct xdpdns_maps *m, const struct xdpdns_cache_key *key)
{
	int cls, found = 0;

	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++)
		found |= bpf_map_delete_elem(m->cache[cls], key) == 0;
	return found ? 0 : -ENOENT;
}

int xdpdns_cache_lookup(const struct xdpdns_maps *m, const struct xdpdns_cache_key *key,
			struct xdpdns_entry_buf *out)
{
	int cls;

	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++) {
		if (bpf_map_lookup_elem(m->cache[cls], key, &out->value))
			continue;
		out->key = *key;
		out->cls = cls;
		out->value_len = xdpdns_class_value_len(cls);
		return 0;
	}
	return -ENOENT;
}

int xdpdns_cache_for_each(const struct xdpdns_maps *m, xdpdns_entry_fn fn, void *arg,
			  int *deleted)
{
	union {
		struct xdpdns_cache_entry e;
		uint8_t bytes[XDPDNS_CLASS_L_VALUE_LEN];
	} value;
	struct xdpdns_cache_key key, next;
	int cls, err, n = 0;

	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++) {
		err = bpf_map_get_next_key(m->cache[cls], NULL, &key);
		while (!err) {
			int ret;

			/* the next key first: after a deletion, a hash map would start over */
			err = bpf_map_get_next_key(m->cache[cls], &key, &next);
			if (bpf_map_lookup_elem(m->cache[cls], &key, &value)) { /* gone meanwhile */
				key = next;
				continue;
			}
			ret = fn(&key, &value.e, cls, arg);
			if (ret < 0) {
				err = ret;
				break;
			}
			if (ret > 0 && !bpf_map_delete_elem(m->cache[cls], &key))
				n++;
			key = next;
		}
		if (err != -ENOENT)
			break;
		err = 0;
	}
	if (deleted)
		*deleted = n;
	return err;
}

int xdpdns_config_init(struct xdpdns_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (getrandom(&cfg->hash_seed, sizeof(cfg->hash_seed), 0) != sizeof(cfg->hash_seed))
		return -errno;
	cfg->stale_ttl_sec = XDPDNS_DEFAULT_STALE_TTL_SEC;
	cfg->max_stale_sec = XDPDNS_DEFAULT_MAX_STALE_SEC;
	cfg->edns_udp_size = XDPDNS_DEFAULT_EDNS_UDP_SIZE;
	cfg->mtu = XDPDNS_DEFAULT_MTU;
	cfg->layout_version = XDPDNS_LAYOUT_VERSION;
	return 0;
}

int xdpdns_config_read(const struct xdpdns_maps *m, struct xdpdns_config *cfg)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, cfg) ? -errno : 0;
}

int xdpdns_config_write(const struct xdpdns_maps *m, const struct xdpdns_config *cfg)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(m->config, &zero, cfg, BPF_ANY) ? -errno : 0;
}

int xdpdns_health_write(const struct xdpdns_maps *m, uint32_t flags)
{
	struct xdpdns_health h = { .flags = flags };
	uint32_t zero = 0;

	return bpf_map_update_elem(m->health, &zero, &h, BPF_ANY) ? -errno : 0;
}

int xdpdns_health_update(const struct xdpdns_maps *m, uint32_t set, uint32_t clear)
{
	struct xdpdns_health h;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(m->health, &zero, &h))
		return -errno;
	return xdpdns_health_write(m, (h.flags & ~clear) | set);
}

/* addr and port as the kernel compares them. Returns 0 or -EINVAL. */
static int service_parse(const char *addr, uint16_t port, struct xdpdns_service *s)
{
	memset(s, 0, sizeof(*s));
	s->port = port;
	if (!port)
		return -EINVAL;
	if (inet_pton(AF_INET, addr, &s->addr[12]) == 1)
		s->addr[10] = s->addr[11] = 0xff; /* ::ffff:a.b.c.d */
	else if (inet_pton(AF_INET6, addr, s->addr) != 1)
		return -EINVAL;
	return 0;
}

int xdpdns_services_set(const struct xdpdns_maps *m, const char *const *addrs, int n,
			uint16_t port)
{
	struct xdpdns_service want[XDPDNS_SERVICES_MAX], none = { 0 };
	uint32_t count = 0, i;
	int k;

	for (k = 0; k < n; k++) {
		struct xdpdns_service s;

		if (service_parse(addrs[k], port, &s))
			return -EINVAL;
		for (i = 0; i < count && memcmp(&want[i], &s, sizeof(s)); i++)
			;
		if (i < count)
			continue; /* listed twice */
		if (count == XDPDNS_SERVICES_MAX)
			return -ENOSPC;
		want[count++] = s;
	}
	/* in place, from the front; then the rest cleared from the end, as the kernel's scan
	 * stops at the first unused entry */
	for (i = 0; i < count; i++)
		if (bpf_map_update_elem(m->services, &i, &want[i], BPF_ANY))
			return -errno;
	for (i = XDPDNS_SERVICES_MAX; i-- > count;)
		if (bpf_map_update_elem(m->services, &i, &none, BPF_ANY))
			return -errno;
	return 0;
}

int xdpdns_percpu_sum(int fd, uint32_t n, uint64_t *counts)
{
	int ncpus = libbpf_num_possible_cpus(), cpu, err = 0;
	uint64_t *percpu;
	uint32_t i;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		counts[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, percpu))
			err = -errno;
		for (cpu = 0; cpu < ncpus && !err; cpu++)
			counts[i] += percpu[cpu];
	}
	free(percpu);
	return err;
}

int xdpdns_stats_read_slots(const struct xdpdns_maps *m, uint64_t (*counts)[XDPDNS_REASON_COUNT])
{
	return xdpdns_percpu_sum(m->stats, XDPDNS_STATS_ENTRIES, &counts[0][0]);
}

int xdpdns_stats_read(const struct xdpdns_maps *m, uint64_t *counts)
{
	uint64_t slots[XDPDNS_ATTACH_MAX][XDPDNS_REASON_COUNT];
	int err = xdpdns_stats_read_slots(m, slots), slot, r;

	for (r = 0; r < XDPDNS_REASON_COUNT; r++) {
		counts[r] = 0;
		for (slot = 0; slot < XDPDNS_ATTACH_MAX && !err; slot++)
			counts[r] += slots[slot][r];
	}
	return err;
}

uint64_t xdpdns_stats_action_sum(const uint64_t *row, int action)
{
	uint64_t sum = 0;
	int r;

	for (r = 0; r < XDPDNS_REASON_COUNT; r++)
		if (r != XDPDNS_RATELIMIT_PASSED && xdpdns_reason_action(r) == action)
			sum += row[r];
	return sum;
}

int xdpdns_attach_read(const struct xdpdns_maps *m, struct xdpdns_attach *slots)
{
	uint32_t i;

	for (i = 0; i < XDPDNS_ATTACH_MAX; i++)
		if (bpf_map_lookup_elem(m->attach, &i, &slots[i]))
			return -errno;
	return 0;
}

int xdpdns_attach_write(const struct xdpdns_maps *m, uint32_t slot, const struct xdpdns_attach *a)
{
	return bpf_map_update_elem(m->attach, &slot, a, BPF_ANY) ? -errno : 0;
}

/* xdpdns_hot is one value, written whole by its one writer (the daemon's loader; the tests'
 * harness). A hint changes owner in two writes, through empty: a packet reading it meanwhile
 * sees this interface's hint, or an empty one (the hash lookup then), or another interface's
 * (its ifindex), never one interface's ifindex with another's slot and flags. */
static int hot_read(const struct xdpdns_maps *m, struct xdpdns_hot *hot)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->hot, &zero, hot) ? -errno : 0;
}

static int hot_write(const struct xdpdns_maps *m, const struct xdpdns_hot *hot)
{
	__u32 zero = 0;

	return bpf_map_update_elem(m->hot, &zero, hot, BPF_ANY) ? -errno : 0;
}

static int hint_put(const struct xdpdns_maps *m, struct xdpdns_hot *hot, uint32_t ifindex,
		    const struct xdpdns_iface *v)
{
	struct xdpdns_iface_hint *h = &hot->ifaces[ifindex % XDPDNS_IFACE_HINTS];
	int err;

	if (h->ifindex && h->ifindex != ifindex) {
		memset(h, 0, sizeof(*h));
		err = hot_write(m, hot);
		if (err)
			return err;
	}
	h->ifindex = ifindex;
	h->mtu = v->mtu;
	h->slot = v->slot;
	h->flags = v->flags;
	return hot_write(m, hot);
}

int xdpdns_iface_set(const struct xdpdns_maps *m, uint32_t ifindex, const struct xdpdns_iface *v)
{
	struct xdpdns_iface other;
	struct xdpdns_hot hot;
	uint32_t held;
	int err;

	if (bpf_map_update_elem(m->ifaces, &ifindex, v, BPF_ANY))
		return -errno;
	if (m->hot < 0)
		return 0;
	err = hot_read(m, &hot);
	if (err)
		return err;
	held = hot.ifaces[ifindex % XDPDNS_IFACE_HINTS].ifindex;
	/* another listed interface holds it: this one is found through the hash */
	if (held && held != ifindex && !bpf_map_lookup_elem(m->ifaces, &held, &other))
		return 0;
	return hint_put(m, &hot, ifindex, v);
}

int xdpdns_iface_delete(const struct xdpdns_maps *m, uint32_t ifindex)
{
	struct xdpdns_iface_hint *h;
	struct xdpdns_iface v;
	struct xdpdns_hot hot;
	__u32 key, next, *prev = NULL;
	int err;

	if (m->hot >= 0 && !hot_read(m, &hot) &&
	    (h = &hot.ifaces[ifindex % XDPDNS_IFACE_HINTS])->ifindex == ifindex) {
		memset(h, 0, sizeof(*h));
		err = hot_write(m, &hot); /* before the hash: no hint outlives its interface */
		if (err)
			return err;
		/* the hint to another listed interface that wants it (at most XDPDNS_IFACES_MAX) */
		for (err = bpf_map_get_next_key(m->ifaces, NULL, &next); !err;
		     err = bpf_map_get_next_key(m->ifaces, prev, &next)) {
			key = next;
			prev = &key;
			if (key != ifindex && key % XDPDNS_IFACE_HINTS == ifindex % XDPDNS_IFACE_HINTS &&
			    !bpf_map_lookup_elem(m->ifaces, &key, &v)) {
				hint_put(m, &hot, key, &v);
				break;
			}
		}
	}
	return bpf_map_delete_elem(m->ifaces, &ifindex) ? -errno : 0;
}

int xdpdns_hot_clock_write(const struct xdpdns_maps *m)
{
	struct timespec boot, mono;
	struct xdpdns_hot hot;
	int64_t offset, delta;
	int err;

	if (m->hot < 0)
		return 0;
	if (clock_gettime(CLOCK_MONOTONIC, &mono) || clock_gettime(CLOCK_BOOTTIME, &boot))
		return -errno;
	offset = (int64_t)(boot.tv_sec - mono.tv_sec) * 1000000000LL + boot.tv_nsec - mono.tv_nsec;
	if (offset < 0) /* the two reads a few ns apart, never suspended */
		offset = 0;
	err = hot_read(m, &hot);
	if (err)
		return err;
	delta = offset - (int64_t)hot.boot_offset_ns;
	if (delta > -1000000 && delta < 1000000)
		return 0; /* the reads' jitter: no news */
	hot.boot_offset_ns = offset;
	return hot_write(m, &hot);
}

const char *xdpdns_hook_name(unsigned int hook)
{
	static const char *const names[XDPDNS_HOOK_COUNT] = {
		[XDPDNS_HOOK_NONE] = "", [XDPDNS_HOOK_XDP] = "xdp", [XDPDNS_HOOK_XDP_SKB] = "xdp-skb",
		[XDPDNS_HOOK_TC] = "tc",
		[XDPDNS_HOOK_TC_EGRESS] = "tc-egress",
	};

	return hook < XDPDNS_HOOK_COUNT ? names[hook] : "?";
}

const char *xdpdns_reason_name(unsigned int reason)
{
#define XDPDNS_REASON_NAME(name, str, action) [XDPDNS_##name] = str,
	static const char *const names[XDPDNS_REASON_COUNT] = { XDPDNS_REASONS(XDPDNS_REASON_NAME) };
#undef XDPDNS_REASON_NAME

	return reason < XDPDNS_REASON_COUNT ? names[reason] : "unknown";
}
