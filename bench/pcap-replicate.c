/* pcap-replicate.c - benchmark helper: IN.pcap -> OUT.pcap holding COPIES copies of IN, one
 * after the other in time, each copy on its own client addresses.
 *
 * usage: pcap-replicate IN OUT COPIES
 *
 * Used by bench/run.sh to build many10.pcap (10 x the connections of many.pcap) for the
 * memory-flatness check: the connections of copy k are new four-tuples (so a recorder must
 * track 10x the connections over the capture), but at any instant no more are open than in
 * IN. Copy k (k = 0 .. COPIES-1):
 *   - every IPv4 address 198.18.0.X with X != 1 (the clients; 198.18.0.1 is the benchmark
 *     server) becomes 198.18.k.X; the IPv4 header checksum and the TCP/UDP checksum are
 *     updated incrementally (RFC 1624), so they stay valid;
 *   - timestamps are shifted by k * (duration of IN + 1 s).
 * Copy 0 is IN unchanged. Only Ethernet (optionally 802.1Q-tagged) classic pcap files, either
 * byte order, micro- or nanosecond timestamps. Everything else passes through unmodified.
 * Not part of tcpflow; compiled by bench/run.sh into the benchmark cache directory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int swapped;

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static void put32(unsigned char *p, uint32_t v)
{
	if (swapped)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word m -> m'. */
static void csum_fix(unsigned char *c, unsigned oldw, unsigned neww)
{
	uint32_t s = (~be16(c) & 0xffff) + (~oldw & 0xffff) + neww;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	c[0] = (unsigned char)(s >> 8);
	c[1] = (unsigned char)s;
}

/* Rewrites one frame (caplen bytes) for copy k. */
static void rewrite(unsigned char *f, uint32_t caplen, unsigned k)
{
	uint32_t off = 12;
	unsigned et;

	if (caplen < 14)
		return;
	et = be16(f + off);
	while ((et == 0x8100 || et == 0x88a8) && off + 6 <= caplen) {
		off += 4;
		et = be16(f + off);
	}
	off += 2;
	if (et != 0x0800 || off + 20 > caplen || (f[off] >> 4) != 4)
		return;
	unsigned char *ip = f + off;
	uint32_t ihl = (uint32_t)(ip[0] & 15) * 4;
	if (ihl < 20 || off + ihl > caplen)
		return;
	unsigned char *l4csum = NULL;
	int first_frag = (be16(ip + 6) & 0x1fff) == 0;
	if (first_frag && ip[9] == 6 && off + ihl + 18 <= caplen)
		l4csum = ip + ihl + 16;
	else if (first_frag && ip[9] == 17 && off + ihl + 8 <= caplen && be16(ip + ihl + 6) != 0)
		l4csum = ip + ihl + 6;
	for (int a = 12; a <= 16; a += 4) {
		unsigned char *ad = ip + a;
		if (ad[0] != 198 || ad[1] != 18 || ad[2] != 0 || ad[3] == 1)
			continue;
		unsigned oldw = be16(ad + 2);
		ad[2] = (unsigned char)k;
		unsigned neww = be16(ad + 2);
		csum_fix(ip + 10, oldw, neww);
		if (l4csum)
			csum_fix(l4csum, oldw, neww);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pcap-replicate IN OUT COPIES\n");
		return 2;
	}
	long copies = strtol(argv[3], NULL, 10);
	if (copies < 1 || copies > 250) {
		fprintf(stderr, "pcap-replicate: COPIES must be 1..250\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "rb");
	if (!in) {
		fprintf(stderr, "pcap-replicate: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (fseek(in, 0, SEEK_END) != 0) {
		perror("pcap-replicate: fseek");
		return 1;
	}
	long len = ftell(in);
	rewind(in);
	unsigned char *buf = len > 0 ? malloc((size_t)len) : NULL;
	if (!buf || fread(buf, 1, (size_t)len, in) != (size_t)len || len < 24) {
		fprintf(stderr, "pcap-replicate: cannot read %s\n", argv[1]);
		return 1;
	}
	fclose(in);
	uint32_t magic;
	memcpy(&magic, buf, 4);
	int nsec;
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swapped = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swapped = 1;
	else {
		fprintf(stderr, "pcap-replicate: %s: not a classic pcap file\n", argv[1]);
		return 1;
	}
	nsec = get32(buf) == 0xa1b23c4d;
	if (get32(buf + 20) != 1) {
		fprintf(stderr, "pcap-replicate: %s: link type %u, only Ethernet (1)\n", argv[1],
			get32(buf + 20));
		return 1;
	}
	uint64_t unit = nsec ? 1000000000u : 1000000u;
	/* pass 1: validate records, find the time span */
	uint64_t t_first = 0, t_last = 0;
	size_t npkt = 0;
	for (long p = 24; p < len;) {
		if (len - p < 16) {
			fprintf(stderr, "pcap-replicate: truncated record header at %ld\n", p);
			return 1;
		}
		uint32_t incl = get32(buf + p + 8);
		if ((uint64_t)incl > (uint64_t)(len - p - 16)) {
			fprintf(stderr, "pcap-replicate: truncated record at %ld\n", p);
			return 1;
		}
		uint64_t t = (uint64_t)get32(buf + p) * unit + get32(buf + p + 4);
		if (npkt == 0 || t < t_first)
			t_first = t;
		if (t > t_last)
			t_last = t;
		npkt++;
		p += 16 + (long)incl;
	}
	uint64_t shift = t_last - t_first + unit;
	if (t_last + shift * (uint64_t)(copies - 1) > (uint64_t)UINT32_MAX * unit) {
		fprintf(stderr, "pcap-replicate: timestamps would overflow\n");
		return 1;
	}
	FILE *out = fopen(argv[2], "wb");
	if (!out) {
		fprintf(stderr, "pcap-replicate: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	unsigned char *copy = malloc((size_t)len);
	if (!copy) {
		perror("pcap-replicate: malloc");
		return 1;
	}
	if (fwrite(buf, 1, 24, out) != 24)
		goto werr;
	for (long k = 0; k < copies; k++) {
		memcpy(copy, buf, (size_t)len);
		for (long p = 24; p < len;) {
			uint32_t incl = get32(copy + p + 8);
			uint64_t t = (uint64_t)get32(copy + p) * unit + get32(copy + p + 4);
			t += shift * (uint64_t)k;
			put32(copy + p, (uint32_t)(t / unit));
			put32(copy + p + 4, (uint32_t)(t % unit));
			if (k > 0)
				rewrite(copy + p + 16, incl, (unsigned)k);
			p += 16 + (long)incl;
		}
		if (fwrite(copy + 24, 1, (size_t)len - 24, out) != (size_t)len - 24)
			goto werr;
	}
	if (fclose(out) != 0)
		goto werr;
	fprintf(stderr, "pcap-replicate: %zu packets x %ld copies -> %s\n", npkt, copies, argv[2]);
	free(buf);
	free(copy);
	return 0;
werr:
	fprintf(stderr, "pcap-replicate: writing %s: %s\n", argv[2], strerror(errno));
	return 1;
}
