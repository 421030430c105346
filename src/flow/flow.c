/* flow.c - see flow.h */
#include "flow/flow.h"
#include "decode/decode.h"
#include "decode/tunnel.h"

#include <string.h>

void flow_key_of(struct flowkey *k, const struct decoded *d)
{
    memset(k, 0, sizeof *k);
    k->family = (uint8_t)d->ip.family;
    k->sport = d->seg.sport;
    k->dport = d->seg.dport;
    memcpy(k->src, d->ip.src, 16);
    memcpy(k->dst, d->ip.dst, 16);
    k->tun = d->tun ? d->tun->id : 0;
}

void flow_name_fields(struct flow *f, const struct decoded *d)
{
    flow_key_of(&f->key, d);
    f->first_us = f->last_us = d->cp->ts_us;
    f->has_mac = d->l2.has_mac;
    memcpy(f->mac_src, d->l2.mac_src, 6);
    memcpy(f->mac_dst, d->l2.mac_dst, 6);
    f->has_vlan = d->l2.has_vlan;
    f->vlan = d->l2.vlan;
    f->tun = d->tun;
}
