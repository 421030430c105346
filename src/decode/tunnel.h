/* tunnel.h - the encapsulation a packet came through (GRE, VXLAN, ...).
 *
 * Each distinct tunnel identity (at every level: the kind, the outer IP
 * addresses and the tunnel's own key - GRE key, VNI, ERSPAN session - and
 * the level around it) is interned once per run by the decoder and handed
 * on as a pointer that stays valid, and unchanged, until the decoder is
 * freed: flows keep it, names and reports print it.
 *
 * An identity is the same for both directions of a connection: the outer
 * addresses are kept in a fixed order (the lower first), and keys that
 * differ by direction (GTP-U TEIDs, PPTP call ids) are not part of it.
 *
 * The number of identities is capped (tunnel_max): past it, packets of new
 * tunnels all get one shared identity, tunnel_overflow (counted as
 * TUN_OVER_CAP), so their flows are no longer told apart by tunnel.
 */
#ifndef TCPFLOW_DECODE_TUNNEL_H
#define TCPFLOW_DECODE_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tunnel_kind {
    TUN_GRE,            /* GRE (RFC 2784/2890): IPv4, IPv6, MPLS, Ethernet (0x6558) */
    TUN_PPTP,           /* PPTP's enhanced GRE (version 1) carrying PPP */
    TUN_ERSPAN1,        /* ERSPAN type I (GRE 0x88BE, no sequence number) */
    TUN_ERSPAN2,        /* ERSPAN type II (GRE 0x88BE with a sequence number) */
    TUN_ERSPAN3,        /* ERSPAN type III (GRE 0x22EB) */
    TUN_WCCP,           /* WCCP redirect (GRE 0x883E) */
    TUN_ARUBA,          /* Aruba's GRE carrying 802.11 (0x8200..0x8370, 0x9000) */
    TUN_GRE_UDP,        /* GRE in UDP (RFC 8086, port 4754) */
    TUN_IPIP,           /* IP in IP: 4in4, 6in4, 4in6, 6in6 (protocols 4 and 41) */
    TUN_VXLAN,          /* VXLAN (ports 4789, 8472) */
    TUN_GENEVE,         /* Geneve (port 6081) */
    TUN_GTPU,           /* GTP-U (port 2152) */
    TUN_AYIYA,          /* AYIYA (port 5072) */
    TUN_CAPWAP,         /* CAPWAP data channel (port 5247) */
    TUN_TEREDO,         /* Teredo (port 3544) */
    TUN_NKINDS
};

#define TUNNEL_MAX_PORTS 8

struct tunnel {
    uint32_t id;        /* 1, 2, ... in order of first sight; part of the flow key */
    uint8_t depth;      /* levels of encapsulation, 1 for the outermost */
    uint8_t kind;       /* enum tunnel_kind of this (the innermost) level */
    uint8_t family;     /* 4 or 6: this level's outer IP */
    bool has_key;
    uint32_t key;       /* GRE key, VNI, ERSPAN session id (when has_key) */
    uint8_t addr_lo[16], addr_hi[16];   /* this level's outer addresses, lower first */
    const struct tunnel *outer;         /* the level around this one, or NULL */
    const char *desc;   /* e.g. "gre_10.0.0.1_10.0.0.2+vxlan.42_198.18.0.1_198.18.0.2"
                           (outermost level first; file-name safe: no '/') */
};

/* What the decoder decapsulates. */
struct tunnel_config {
    unsigned kinds;                     /* bit (1u << kind) per kind decoded; 0: none */
    unsigned max_depth;                 /* levels decoded (default 8) */
    size_t max_tunnels;                 /* identities kept (default 65536) */
    /* UDP ports of the UDP kinds (TUN_GRE_UDP, TUN_VXLAN, ...): up to
     * TUNNEL_MAX_PORTS, 0 ends the list.  VXLAN, Geneve and GRE-in-UDP match
     * the destination port; the others either port. */
    uint16_t ports[TUN_NKINDS][TUNNEL_MAX_PORTS];
};

/* One -S setting of the tunnel decoder. */
struct tunnel_setting {
    const char *name;
    const char *def;
    const char *help;
};

/* The settings tunnel_config_set takes, for -hh and the report's
 * configuration; ends with { NULL }. */
extern const struct tunnel_setting tunnel_settings[];

/* Fill *c with the defaults: every kind, depth 8, 65536 identities, the
 * registered ports. */
void tunnel_config_default(struct tunnel_config *c);

/* Apply one name=value setting (see tunnel_settings).  Returns 1 when
 * applied, 0 when name is not a tunnel setting (c unchanged), -1 when the
 * value is invalid (c unchanged, a message in err). */
int tunnel_config_set(struct tunnel_config *c, const char *name, const char *value,
                      char *err, size_t errlen);

/* The short name of a kind ("gre", "vxlan", ...); "?" when out of range. */
const char *tunnel_kind_name(unsigned kind);

/* The identity packets of new tunnels get once the cap is reached. */
extern const struct tunnel tunnel_overflow;

/* ---- the table of identities (owned by the decoder) ---- */

struct tunnel_table;

struct tunnel_table *tunnel_table_new(size_t max_tunnels);
/* Frees every identity. NULL is a no-op. */
void tunnel_table_free(struct tunnel_table *t);

/* The identity of one level: kind and key inside outer (NULL at the first
 * level), carried by IP packets between a and b (family 4 or 6; IPv4 in the
 * first 4 bytes).  Returns the interned identity, or &tunnel_overflow
 * (*over set) past the cap.  Never NULL. */
const struct tunnel *tunnel_intern(struct tunnel_table *t, const struct tunnel *outer,
                                   unsigned kind, int family, const uint8_t *a,
                                   const uint8_t *b, bool has_key, uint32_t key, bool *over);

/* Identities interned so far. */
size_t tunnel_count(const struct tunnel_table *t);

#endif
