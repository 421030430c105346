/* tunnel.c - tunnel identities (interned once per run), their names, and
 * the tunnel decoder's settings.  See tunnel.h and docs/internals/decode.md.
 */
#include "decode/tunnel.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/htab.h"
#include "util/list.h"
#include "util/xalloc.h"

#define DESC_MAX 200                    /* longest description kept whole */

static const struct {
    const char *name;                   /* in descriptions */
    const char *setting;                /* the name -S tunnels= takes */
} kinds[TUN_NKINDS] = {
    [TUN_GRE] = { "gre", "gre" },
    [TUN_PPTP] = { "pptp", "pptp" },
    [TUN_ERSPAN1] = { "erspan1", "erspan" },
    [TUN_ERSPAN2] = { "erspan2", "erspan" },
    [TUN_ERSPAN3] = { "erspan3", "erspan" },
    [TUN_WCCP] = { "wccp", "wccp" },
    [TUN_ARUBA] = { "aruba", "aruba" },
    [TUN_GRE_UDP] = { "greudp", "greudp" },
    [TUN_IPIP] = { "ipip", "ipip" },
    [TUN_VXLAN] = { "vxlan", "vxlan" },
    [TUN_GENEVE] = { "geneve", "geneve" },
    [TUN_GTPU] = { "gtpu", "gtpu" },
    [TUN_AYIYA] = { "ayiya", "ayiya" },
    [TUN_CAPWAP] = { "capwap", "capwap" },
    [TUN_TEREDO] = { "teredo", "teredo" },
};

const char *tunnel_kind_name(unsigned kind)
{
    return kind < TUN_NKINDS ? kinds[kind].name : "?";
}

const struct tunnel tunnel_overflow = {
    .id = UINT32_MAX, .depth = 1, .kind = TUN_NKINDS, .desc = "tunnel-over-cap",
};

/* ---- settings ---- */

static const struct { unsigned kind; const char *setting; const char *def; } port_settings[] = {
    { TUN_VXLAN, "vxlan_ports", "4789,8472" },
    { TUN_GENEVE, "geneve_ports", "6081" },
    { TUN_GTPU, "gtpu_ports", "2152" },
    { TUN_GRE_UDP, "greudp_ports", "4754" },
    { TUN_AYIYA, "ayiya_ports", "5072" },
    { TUN_CAPWAP, "capwap_ports", "5247" },
    { TUN_TEREDO, "teredo_ports", "3544" },
};
#define NPORT_SETTINGS (sizeof port_settings / sizeof port_settings[0])

const struct tunnel_setting tunnel_settings[] = {
    { "tunnels", "all", "tunnels decoded: all, none, or a list of gre,pptp,erspan,wccp,aruba,"
                        "greudp,ipip,vxlan,geneve,gtpu,ayiya,capwap,teredo" },
    { "tunnel_depth", "8", "levels of encapsulation decoded (1-32)" },
    { "tunnel_max", "65536", "distinct tunnels told apart; past it they share one identity" },
    { "vxlan_ports", "4789,8472", "UDP destination ports of VXLAN" },
    { "geneve_ports", "6081", "UDP destination ports of Geneve" },
    { "gtpu_ports", "2152", "UDP ports of GTP-U" },
    { "greudp_ports", "4754", "UDP destination ports of GRE in UDP" },
    { "ayiya_ports", "5072", "UDP ports of AYIYA" },
    { "capwap_ports", "5247", "UDP ports of the CAPWAP data channel" },
    { "teredo_ports", "3544", "UDP ports of Teredo" },
    { NULL, NULL, NULL },
};

/* "4789,8472" into ports (0-terminated); "" or "none": no port. */
static bool parse_ports(const char *v, uint16_t *ports)
{
    uint16_t tmp[TUNNEL_MAX_PORTS] = { 0 };
    size_t n = 0;
    if (*v && strcmp(v, "none") != 0) {
        for (const char *p = v;;) {
            char *end;
            unsigned long x = strtoul(p, &end, 10);
            if (end == p || x == 0 || x > 65535 || n == TUNNEL_MAX_PORTS)
                return false;
            tmp[n++] = (uint16_t)x;
            if (*end == '\0')
                break;
            if (*end != ',')
                return false;
            p = end + 1;
        }
    }
    memcpy(ports, tmp, sizeof tmp);
    return true;
}

/* "all", "none" or "gre,vxlan,...": the bit set of kinds. */
static bool parse_kinds(const char *v, unsigned *out)
{
    if (strcmp(v, "all") == 0) {
        *out = (1u << TUN_NKINDS) - 1;
        return true;
    }
    unsigned set = 0;
    if (strcmp(v, "none") == 0 || *v == '\0') {
        *out = 0;
        return true;
    }
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (unsigned k = 0; k < TUN_NKINDS; k++)
            if (strlen(kinds[k].setting) == n && strncmp(p, kinds[k].setting, n) == 0) {
                set |= 1u << k;
                known = true;
            }
        if (!known)
            return false;
        p += n;
        if (*p == ',')
            p++;
    }
    *out = set;
    return true;
}

void tunnel_config_default(struct tunnel_config *c)
{
    memset(c, 0, sizeof *c);
    c->kinds = (1u << TUN_NKINDS) - 1;
    c->max_depth = 8;
    c->max_tunnels = 65536;
    for (size_t i = 0; i < NPORT_SETTINGS; i++)
        parse_ports(port_settings[i].def, c->ports[port_settings[i].kind]);
}

int tunnel_config_set(struct tunnel_config *c, const char *name, const char *value,
                      char *err, size_t errlen)
{
    if (strcmp(name, "tunnels") == 0) {
        if (parse_kinds(value, &c->kinds))
            return 1;
        snprintf(err, errlen, "tunnels=%s: not all, none or a list of tunnel names", value);
        return -1;
    }
    if (strcmp(name, "tunnel_depth") == 0 || strcmp(name, "tunnel_max") == 0) {
        char *end;
        unsigned long x = strtoul(value, &end, 10);
        bool depth = name[7] == 'd';
        if (end == value || *end || x < 1 || x > (depth ? 32ul : 1ul << 24)) {
            snprintf(err, errlen, "%s=%s: not a number in range", name, value);
            return -1;
        }
        if (depth)
            c->max_depth = (unsigned)x;
        else
            c->max_tunnels = x;
        return 1;
    }
    for (size_t i = 0; i < NPORT_SETTINGS; i++)
        if (strcmp(name, port_settings[i].setting) == 0) {
            if (parse_ports(value, c->ports[port_settings[i].kind]))
                return 1;
            snprintf(err, errlen, "%s=%s: not a list of at most %d UDP ports", name, value,
                     TUNNEL_MAX_PORTS);
            return -1;
        }
    return 0;
}

/* ---- the table ---- */

struct tkey {
    uint32_t outer;                     /* the outer level's id, 0 at the first level */
    uint32_t key;
    uint8_t kind, family, has_key, pad;
    uint8_t lo[16], hi[16];
};

struct tnode {
    struct hnode hn;
    struct dlnode all;
    struct tkey k;
    struct tunnel t;
    char desc[];
};

struct tunnel_table {
    struct htab h;
    struct dlist all;
    uint64_t seed;
    size_t max;
};

struct tunnel_table *tunnel_table_new(size_t max_tunnels)
{
    struct tunnel_table *t = xcalloc(1, sizeof *t);
    htab_init(&t->h, 64, (size_t)1 << 20);
    t->seed = hash_seed();
    t->max = max_tunnels;
    return t;
}

void tunnel_table_free(struct tunnel_table *t)
{
    if (!t)
        return;
    for (struct dlnode *n = t->all.head, *next; n; n = next) {
        next = n->next;
        free(container_of(n, struct tnode, all));
    }
    htab_release(&t->h);
    free(t);
}

size_t tunnel_count(const struct tunnel_table *t) { return t->all.n; }

/* "vxlan.42_198.18.0.1_198.18.0.2" for one level into buf. */
static int level_desc(const struct tkey *k, char *buf, size_t n)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    int af = k->family == 4 ? AF_INET : AF_INET6;
    if (!inet_ntop(af, k->lo, a, sizeof a) || !inet_ntop(af, k->hi, b, sizeof b))
        return snprintf(buf, n, "%s", tunnel_kind_name(k->kind));
    if (k->has_key)
        return snprintf(buf, n, "%s.%u_%s_%s", tunnel_kind_name(k->kind), k->key, a, b);
    return snprintf(buf, n, "%s_%s_%s", tunnel_kind_name(k->kind), a, b);
}

/* outer's description + "+" + this level's; past DESC_MAX the outer
 * levels are cut from the front ("..+" marks the cut). */
static char *make_desc(const struct tunnel *outer, const struct tkey *k, size_t *len)
{
    char lvl[2 * INET6_ADDRSTRLEN + 40];
    int ln = level_desc(k, lvl, sizeof lvl);
    size_t l = ln > 0 ? (size_t)ln : 0;
    char *out = xmalloc(DESC_MAX + sizeof lvl + 8);
    size_t o = 0;
    if (outer && outer->desc) {
        const char *od = outer->desc;
        size_t on = strlen(od);
        if (on + 1 + l > DESC_MAX) {            /* keep the tail of the outer levels */
            size_t keep = DESC_MAX > l + 4 ? DESC_MAX - l - 4 : 0;
            const char *cut = od + on - (keep < on ? keep : on);
            const char *plus = strchr(cut, '+');
            cut = plus ? plus + 1 : od + on;
            memcpy(out, "..+", 3);
            o = 3;
            on = strlen(cut);
            od = cut;
        }
        memcpy(out + o, od, on);
        o += on;
        if (on)
            out[o++] = '+';
    }
    memcpy(out + o, lvl, l);
    o += l;
    out[o] = '\0';
    *len = o;
    return out;
}

const struct tunnel *tunnel_intern(struct tunnel_table *t, const struct tunnel *outer,
                                   unsigned kind, int family, const uint8_t *a,
                                   const uint8_t *b, bool has_key, uint32_t key, bool *over)
{
    struct tkey k;
    memset(&k, 0, sizeof k);
    k.outer = outer ? outer->id : 0;
    k.kind = (uint8_t)kind;
    k.family = (uint8_t)family;
    k.has_key = has_key;
    k.key = has_key ? key : 0;
    size_t alen = family == 4 ? 4 : 16;
    bool swap = memcmp(a, b, alen) > 0;
    memcpy(k.lo, swap ? b : a, alen);
    memcpy(k.hi, swap ? a : b, alen);
    *over = false;
    if (outer == &tunnel_overflow) {
        *over = true;
        return &tunnel_overflow;
    }
    uint64_t h = hash_bytes(&k, sizeof k, t->seed);
    for (struct hnode *n = htab_bucket(&t->h, h); n; n = n->next) {
        struct tnode *x = container_of(n, struct tnode, hn);
        if (n->hash == h && memcmp(&x->k, &k, sizeof k) == 0)
            return &x->t;
    }
    if (t->all.n >= t->max) {
        *over = true;
        return &tunnel_overflow;
    }
    size_t dl;
    char *d = make_desc(outer, &k, &dl);
    struct tnode *x = xcalloc(1, sizeof *x + dl + 1);
    memcpy(x->desc, d, dl + 1);
    free(d);
    x->k = k;
    x->t.id = (uint32_t)t->all.n + 1;
    x->t.depth = (uint8_t)(outer ? outer->depth + 1 : 1);
    x->t.kind = k.kind;
    x->t.family = k.family;
    x->t.has_key = has_key;
    x->t.key = k.key;
    memcpy(x->t.addr_lo, k.lo, 16);
    memcpy(x->t.addr_hi, k.hi, 16);
    x->t.outer = outer;
    x->t.desc = x->desc;
    htab_insert(&t->h, &x->hn, h);
    dlist_append(&t->all, &x->all);
    return &x->t;
}
