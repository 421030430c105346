/* session.c - the per-connection TLS decryptor: record framing per
 * direction, the handshake state machine of TLS 1.2 and 1.3, key changes at
 * record boundaries, holding a direction that waits for the other one. */
#include "scan/tls/session.h"

#include <stdlib.h>
#include <string.h>
#include "scan/tls/cipher.h"
#include "scan/tls/handshake.h"
#include "scan/tls/keys.h"
#include "scan/tls/record.h"
#include "util/xalloc.h"

/* A key change due at the end of the current record. */
enum next_key { NK_NONE, NK_HS, NK_AP, NK_UPDATE };

struct dirst {
    struct tls_recrd rd;
    struct tls_hsbuf hs;
    struct tls_cipher c;
    uint8_t secret[TLS_MAX_SECRET];     /* 1.3: the current traffic secret */
    bool keyed;                 /* keys set up (1.3 client: at its first encrypted record) */
    bool enc;                   /* 1.2: after ChangeCipherSpec, every record is protected */
    bool early_trial;           /* 1.3 client, 0-RTT rejected: skip what fails until a record opens */
    enum next_key next;
    bool stopped, ended, waiting, hole_after, seen;
    uint8_t *pend;              /* held bytes, starting at a record boundary */
    size_t plen, pcap;
};

struct tls_session {
    struct tls_keylog *kl;
    struct tls_session_cb cb;
    void *arg;
    struct dirst d[2];
    struct tls_info info;
    struct tls_hello ch, sh;
    bool have_ch, have_sh, have_hrr, have_ee, saw_shd, saw_ch2;
    const struct tls_suite *suite;
    struct tls_secrets sec;
    bool sec_found;
    bool have_ms;
    uint8_t ms[48];
    bool have_ticket_ms;        /* 1.2: the ticket offered in the ClientHello was remembered */
    uint8_t ticket_ms[48];
    struct tls12_keys k12[2];   /* 1.2: client's and server's write keys */
    bool info_given;
};

/* Plaintext of the record being opened: callbacks are synchronous, so one
 * buffer per thread serves every session. */
static _Thread_local uint8_t plain[TLS_REC_MAX];

static const char *const status_names[TLS_ST_N] = {
    "none", "handshake", "decrypted", "no-key", "bad-tag", "hole", "unsupported", "not-tls",
    "malformed", "cap", "incomplete", "no-handshake",
};

const char *tls_status_name(enum tls_status st)
{
    return (unsigned)st < TLS_ST_N ? status_names[st] : "?";
}

static int role_client(const struct tls_session *s, int dir) { return s->info.client_dir == dir; }

static void stop(struct tls_session *s, int dir, enum tls_status st)
{
    struct dirst *d = &s->d[dir];
    if (d->stopped)
        return;
    d->stopped = true;
    d->waiting = false;
    s->info.dir[dir].status = st;
    s->info.dir[dir].unprocessed += tls_recrd_held(&d->rd) + d->plen;
    free(d->pend);
    d->pend = NULL;
    d->plen = d->pcap = 0;
    tls_recrd_release(&d->rd);
    tls_hsbuf_release(&d->hs);
    tls_cipher_release(&d->c);
}

static void stop_both(struct tls_session *s, enum tls_status st)
{
    stop(s, 0, st);
    stop(s, 1, st);
}

/* Appends p[0..n) to dir's held bytes; stops dir at the cap. */
static void hold(struct tls_session *s, int dir, const uint8_t *p, size_t n)
{
    struct dirst *d = &s->d[dir];
    size_t max = s->cb.max_pending ? s->cb.max_pending : TLS_DEFAULT_MAX_PENDING;
    if (n == 0)
        return;
    if (d->plen + n > max) {
        s->info.dir[dir].unprocessed += n;
        stop(s, dir, TLS_ST_CAP);
        return;
    }
    if (d->plen + n > d->pcap) {
        size_t cap = d->pcap ? d->pcap : 4096;
        while (cap < d->plen + n)
            cap *= 2;
        if (cap > max)
            cap = max;
        d->pend = xreallocarray(d->pend, cap, 1);
        d->pcap = cap;
    }
    memcpy(d->pend + d->plen, p, n);
    d->plen += n;
}

static void lookup(struct tls_session *s)
{
    if (!s->sec_found)
        s->sec_found = tls_keylog_lookup(s->kl, s->ch.random, true, &s->sec);
}

static bool secret(struct tls_session *s, int kind, uint8_t *out)
{
    lookup(s);
    if (!s->sec_found || !(s->sec.have & (1u << kind)) || s->sec.len[kind] != s->suite->hash_len)
        return false;
    memcpy(out, s->sec.v[kind], s->suite->hash_len);
    return true;
}

/* 1.3: dir's cipher from the secret of kind; stops dir when it is missing. */
static bool key13(struct tls_session *s, int dir, int kind)
{
    struct dirst *d = &s->d[dir];
    if (!secret(s, kind, d->secret)) {
        stop(s, dir, TLS_ST_NO_KEY);
        return false;
    }
    if (tls_cipher_init13(&d->c, s->suite, d->secret) < 0) {
        stop(s, dir, TLS_ST_UNSUPPORTED);
        return false;
    }
    d->keyed = true;
    return true;
}

/* 1.2: the master secret (logged, or remembered from the session resumed)
 * and both directions' keys. */
static void keys12(struct tls_session *s)
{
    lookup(s);
    if (s->sec_found && (s->sec.have & (1u << TLS_SK_MASTER))) {
        memcpy(s->ms, s->sec.v[TLS_SK_MASTER], 48);
        s->have_ms = true;
    } else if (s->info.resumed && s->sh.sid_len &&
               tls_keylog_recall(s->kl, 0, s->sh.sid, s->sh.sid_len, s->ms)) {
        s->have_ms = true;
    } else if (s->have_ticket_ms) {
        memcpy(s->ms, s->ticket_ms, 48);
        s->have_ms = true;
    }
    if (!s->have_ms)
        return;
    if (tls12_derive(s->suite, s->info.version, s->ms, s->ch.random, s->sh.random, s->k12) < 0) {
        s->have_ms = false;
        return;
    }
    if (s->sh.sid_len)
        tls_keylog_remember(s->kl, 0, s->sh.sid, s->sh.sid_len, s->ms);
}

static void on_client_hello(struct tls_session *s, int dir, const uint8_t *b, size_t n)
{
    struct tls_hello h;
    if (!b || tls_parse_client_hello(b, n, &h) < 0) {
        stop_both(s, TLS_ST_MALFORMED);
        return;
    }
    if (s->have_ch) {
        /* the second ClientHello answers a HelloRetryRequest (the server may
         * have been read further already); any other is a renegotiation */
        if (!s->have_hrr || s->saw_ch2 || memcmp(h.random, s->ch.random, 32) != 0)
            stop_both(s, TLS_ST_UNSUPPORTED);
        s->saw_ch2 = true;
        return;
    }
    s->ch = h;
    s->have_ch = true;
    s->info.is_tls = true;
    memcpy(s->info.sni, h.sni, sizeof s->info.sni);
    const uint8_t *t;
    size_t tl;
    if (tls_client_hello_ticket(b, n, &t, &tl) == 0)
        s->have_ticket_ms = tls_keylog_recall(s->kl, 1, t, tl, s->ticket_ms);
    (void)dir;
}

static void on_server_hello(struct tls_session *s, int dir, const uint8_t *b, size_t n)
{
    struct tls_hello h;
    if (!b || tls_parse_server_hello(b, n, &h) < 0) {
        stop_both(s, TLS_ST_MALFORMED);
        return;
    }
    if (s->have_sh) {
        stop_both(s, TLS_ST_UNSUPPORTED);       /* renegotiation */
        return;
    }
    s->info.suite = h.suite;
    s->info.version = h.version;
    if (h.hrr) {
        s->have_hrr = s->info.hrr = true;
        return;
    }
    s->sh = h;
    s->have_sh = true;
    if (h.has_alpn)
        memcpy(s->info.alpn, h.alpn, sizeof s->info.alpn);
    s->suite = tls_suite_find(h.suite);
    if (s->suite)
        s->info.suite_name = s->suite->name;
    bool v13 = h.version == 0x0304;
    if (!s->suite || (v13 != (s->suite->tls13 != 0)) || h.version < 0x0301 || h.version > 0x0304) {
        stop_both(s, TLS_ST_UNSUPPORTED);
        return;
    }
    if (v13) {
        s->info.resumed = h.psk;
        key13(s, dir, TLS_SK_SERVER_HS);
        return;
    }
    s->info.resumed = h.sid_len && h.sid_len == s->ch.sid_len && memcmp(h.sid, s->ch.sid, h.sid_len) == 0;
    s->info.etm = s->ch.etm && h.etm && s->suite->mode == TLS_MODE_CBC;
    keys12(s);
}

/* One complete handshake message of dir. */
static int on_message(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
    struct tls_session *s = ((void **)arg)[0];
    int dir = *(int *)((void **)arg)[1];
    struct dirst *d = &s->d[dir];
    bool v13 = s->info.version == 0x0304 && s->have_sh;
    if (role_client(s, dir)) {
        switch (type) {
        case TLS_HS_CLIENT_HELLO: on_client_hello(s, dir, b, n); break;
        case TLS_HS_END_OF_EARLY_DATA: if (v13) d->next = NK_HS; break;
        case TLS_HS_FINISHED: if (v13) d->next = NK_AP; break;
        case TLS_HS_KEY_UPDATE: if (v13) d->next = NK_UPDATE; break;
        default: break;
        }
    } else {
        switch (type) {
        case TLS_HS_SERVER_HELLO: on_server_hello(s, dir, b, n); break;
        case TLS_HS_ENCRYPTED_EXTENSIONS:
            if (v13 && b) {
                struct tls_hello ee;
                memset(&ee, 0, sizeof ee);
                tls_parse_encrypted_extensions(b, n, &ee);
                if (ee.has_alpn)
                    memcpy(s->info.alpn, ee.alpn, sizeof s->info.alpn);
                s->have_ee = true;
                if (s->ch.early_data)
                    s->info.early = ee.early_data ? TLS_EARLY_ACCEPTED : TLS_EARLY_REJECTED;
            }
            break;
        case TLS_HS_NEW_SESSION_TICKET:
            if (!v13 && b && s->have_ms) {
                const uint8_t *t;
                size_t tl;
                if (tls_parse_ticket12(b, n, &t, &tl) == 0)
                    tls_keylog_remember(s->kl, 1, t, tl, s->ms);
            }
            break;
        case TLS_HS_SERVER_HELLO_DONE: s->saw_shd = true; break;
        case TLS_HS_FINISHED: if (v13) d->next = NK_AP; break;
        case TLS_HS_KEY_UPDATE: if (v13) d->next = NK_UPDATE; break;
        case TLS_HS_CLIENT_HELLO: stop_both(s, TLS_ST_MALFORMED); break;
        default: break;
        }
    }
    return d->stopped ? 1 : 0;
}

/* The key change due at the end of dir's record. */
static void apply_next(struct tls_session *s, int dir)
{
    struct dirst *d = &s->d[dir];
    enum next_key nk = d->next;
    d->next = NK_NONE;
    if (nk == NK_NONE || d->stopped)
        return;
    if (!tls_hsbuf_idle(&d->hs)) {
        stop(s, dir, TLS_ST_MALFORMED);         /* a key change inside a message */
        return;
    }
    bool cl = role_client(s, dir);
    if (nk == NK_HS) {
        key13(s, dir, TLS_SK_CLIENT_HS);
    } else if (nk == NK_AP) {
        key13(s, dir, cl ? TLS_SK_CLIENT_AP : TLS_SK_SERVER_AP);
    } else {
        s->info.dir[dir].key_updates++;
        if (tls13_update_secret(s->suite, d->secret) < 0 ||
            tls_cipher_init13(&d->c, s->suite, d->secret) < 0)
            stop(s, dir, TLS_ST_UNSUPPORTED);
    }
}

/* 1.3 client: the keys of its first protected record. */
static void client_keys13(struct tls_session *s, int dir)
{
    struct dirst *d = &s->d[dir];
    if (s->ch.early_data && s->info.early == TLS_EARLY_ACCEPTED) {
        if (!key13(s, dir, TLS_SK_CLIENT_EARLY))
            s->info.early = TLS_EARLY_NO_KEY;
        return;
    }
    if (s->ch.early_data && s->info.early == TLS_EARLY_NONE)
        s->info.early = TLS_EARLY_REJECTED;     /* the server's EncryptedExtensions never seen */
    d->early_trial = s->ch.early_data;
    key13(s, dir, TLS_SK_CLIENT_HS);
}

/* The content of one record (opened, or plaintext). */
static void content(struct tls_session *s, int dir, uint8_t type, const uint8_t *p, size_t n, bool prot)
{
    struct dirst *d = &s->d[dir];
    struct tls_dir_info *di = &s->info.dir[dir];
    switch (type) {
    case TLS_CT_HANDSHAKE: {
        void *ctx[2] = { s, &dir };
        tls_hsbuf_feed(&d->hs, p, n, on_message, ctx);
        break;
    }
    case TLS_CT_APPDATA:
        if (!prot) {
            stop(s, dir, TLS_ST_MALFORMED);
            break;
        }
        if (n && s->cb.plaintext)
            s->cb.plaintext(s->arg, dir, p, n);
        di->app_bytes += n;
        break;
    case TLS_CT_ALERT:
        if (n >= 2) {
            di->alert_level = p[0];
            di->alert_desc = p[1];
        }
        break;
    case TLS_CT_CCS:
        if (prot || s->info.version == 0x0304 || s->have_hrr)
            break;              /* 1.3 middlebox compatibility: ignored */
        if (!s->have_sh) {
            stop(s, dir, TLS_ST_MALFORMED);
            break;
        }
        if (!role_client(s, dir) && !s->saw_shd)
            s->info.resumed = true;             /* abbreviated handshake */
        if (!s->have_ms) {
            stop(s, dir, TLS_ST_NO_KEY);
            break;
        }
        if (tls_cipher_init12(&d->c, s->suite, s->info.version, &s->k12[role_client(s, dir) ? 0 : 1],
                              s->info.etm) < 0) {
            stop(s, dir, TLS_ST_UNSUPPORTED);
            break;
        }
        d->keyed = d->enc = true;
        break;
    default:
        break;                  /* heartbeat */
    }
}

/* Is the record protected? */
static bool protected_rec(const struct tls_session *s, int dir, const struct tls_rec *r)
{
    if (s->d[dir].enc)
        return true;
    return r->type == TLS_CT_APPDATA && s->have_sh && s->info.version == 0x0304;
}

static void record(struct tls_session *s, int dir, const struct tls_rec *r)
{
    struct dirst *d = &s->d[dir];
    struct tls_dir_info *di = &s->info.dir[dir];
    di->records++;
    if (di->status == TLS_ST_NONE)
        di->status = TLS_ST_HANDSHAKE;
    if (!protected_rec(s, dir, r)) {
        if (r->type == TLS_CT_APPDATA) {
            stop(s, dir, TLS_ST_MALFORMED);
            return;
        }
        content(s, dir, r->type, r->frag, r->len, false);
        apply_next(s, dir);
        return;
    }
    if (!d->keyed && role_client(s, dir) && s->info.version == 0x0304)
        client_keys13(s, dir);
    if (d->stopped)
        return;
    if (!d->keyed) {
        stop(s, dir, TLS_ST_NO_KEY);
        return;
    }
    size_t n = 0;
    uint8_t ctype = 0;
    int rc = tls_cipher_open(&d->c, r->type, r->version, r->frag, r->len, plain, &n, &ctype);
    if (rc != TLS_OPEN_OK) {
        if (d->early_trial) {
            di->early_skipped++;                /* 0-RTT data the server refused */
            d->c.seq = 0;
            return;
        }
        stop(s, dir, rc == TLS_OPEN_CRYPTO ? TLS_ST_UNSUPPORTED : TLS_ST_BAD_TAG);
        return;
    }
    d->early_trial = false;
    di->decrypted++;
    if (di->status == TLS_ST_HANDSHAKE)
        di->status = TLS_ST_DECRYPTING;
    content(s, dir, ctype, plain, n, true);
    apply_next(s, dir);
}

/* Must dir's record r wait for the other direction?  1 wait, 0 go on,
 * -1 it never can (the other direction stopped first). */
static int must_wait(struct tls_session *s, int dir, const struct tls_rec *r)
{
    const struct dirst *o = &s->d[!dir];
    bool other_done = o->stopped || (o->ended && !o->waiting);
    if (s->info.client_dir < 0) {
        if (r->type == TLS_CT_HANDSHAKE && r->len >= 1 && r->frag[0] == TLS_HS_CLIENT_HELLO) {
            s->info.client_dir = dir;
            return 0;
        }
        if (r->type != TLS_CT_HANDSHAKE)
            return -2;          /* no handshake: caught mid-connection */
        return other_done ? -1 : 1;
    }
    if (!role_client(s, dir))
        return s->have_ch ? 0 : (other_done ? -1 : 1);
    if (s->d[dir].enc)
        return 0;
    if (r->type == TLS_CT_HANDSHAKE && s->have_ch && !s->have_sh && !s->have_hrr)
        return other_done ? -1 : 1;     /* a second ClientHello answers a HelloRetryRequest */
    if (r->type == TLS_CT_CCS)
        return s->have_sh || s->have_hrr ? 0 : (other_done ? -1 : 1);
    if (r->type != TLS_CT_APPDATA)
        return 0;
    if (!s->have_sh)
        return other_done ? -1 : 1;
    if (s->info.version == 0x0304 && !s->d[dir].keyed && s->ch.early_data && !s->have_ee)
        return other_done ? 0 : 1;
    return 0;
}

/* Frames and processes p[0..n) of dir until it is used up, dir stops, or
 * dir must wait (the rest is then held). */
static void run(struct tls_session *s, int dir, const uint8_t *p, size_t n)
{
    struct dirst *d = &s->d[dir];
    while (!d->stopped) {
        struct tls_rec r;
        int rc = tls_recrd_next(&d->rd, &p, &n, &r);
        if (rc == 0)
            return;
        if (rc < 0) {
            s->info.dir[dir].unprocessed += n;
            if (s->info.client_dir < 0 && !d->seen)
                stop_both(s, TLS_ST_NOT_TLS);
            else
                stop(s, dir, TLS_ST_MALFORMED);
            return;
        }
        int w = must_wait(s, dir, &r);
        if (w == 1) {
            d->waiting = true;
            hold(s, dir, r.hdr, TLS_REC_HDR);
            hold(s, dir, r.frag, r.len);
            hold(s, dir, p, n);
            return;
        }
        if (w < 0) {
            s->info.dir[dir].unprocessed += TLS_REC_HDR + r.len + n;
            stop(s, dir, w == -2 ? TLS_ST_NO_HANDSHAKE : TLS_ST_INCOMPLETE);
            return;
        }
        d->seen = true;
        record(s, dir, &r);
    }
    s->info.dir[dir].unprocessed += n;
}

/* Processes held bytes of a direction that no longer has to wait; repeats
 * while one direction's progress frees the other. */
static void settle(struct tls_session *s)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (int dir = 0; dir < 2; dir++) {
            struct dirst *d = &s->d[dir];
            if (!d->waiting || d->stopped)
                continue;
            struct tls_rec r;
            r.hdr = d->pend;
            r.type = d->pend[0];
            r.version = (uint16_t)(d->pend[1] << 8 | d->pend[2]);
            r.len = (size_t)(d->pend[3] << 8 | d->pend[4]);
            r.frag = d->pend + TLS_REC_HDR;
            if (must_wait(s, dir, &r) == 1)
                continue;
            uint8_t *buf = d->pend;
            size_t len = d->plen;
            d->pend = NULL;
            d->plen = d->pcap = 0;
            d->waiting = false;
            run(s, dir, buf, len);
            free(buf);
            if (!d->waiting && d->hole_after)
                stop(s, dir, TLS_ST_HOLE);
            progress = true;
        }
    }
}

static void finish(struct tls_session *s)
{
    for (int dir = 0; dir < 2; dir++) {
        struct dirst *d = &s->d[dir];
        if (d->waiting)
            stop(s, dir, TLS_ST_INCOMPLETE);
        else if (!d->stopped && tls_recrd_held(&d->rd))
            s->info.dir[dir].unprocessed += tls_recrd_held(&d->rd);
    }
    if (!s->info_given && s->cb.info) {
        s->info_given = true;
        s->cb.info(s->arg, &s->info);
    }
    s->info_given = true;
}

struct tls_session *tls_session_new(struct tls_keylog *kl, const struct tls_session_cb *cb, void *arg)
{
    struct tls_session *s = xcalloc(1, sizeof *s);
    s->kl = kl;
    if (cb)
        s->cb = *cb;
    s->arg = arg;
    s->info.client_dir = -1;
    return s;
}

void tls_session_data(struct tls_session *s, int dir, const uint8_t *p, size_t n)
{
    struct dirst *d = &s->d[dir & 1];
    dir &= 1;
    if (d->stopped || d->ended || d->hole_after) {
        s->info.dir[dir].unprocessed += n;
        return;
    }
    if (d->waiting)
        hold(s, dir, p, n);
    else
        run(s, dir, p, n);
    settle(s);
}

void tls_session_gap(struct tls_session *s, int dir, uint64_t n)
{
    struct dirst *d = &s->d[dir & 1];
    dir &= 1;
    s->info.dir[dir].hole_bytes += n;
    if (d->stopped || d->ended)
        return;
    d->hole_after = true;
    if (!d->waiting)
        stop(s, dir, TLS_ST_HOLE);
    settle(s);
}

void tls_session_end(struct tls_session *s, int dir)
{
    struct dirst *d = &s->d[dir & 1];
    dir &= 1;
    if (d->ended)
        return;
    d->ended = true;
    settle(s);
    if (s->d[0].ended && s->d[1].ended)
        finish(s);
}

bool tls_session_waiting(const struct tls_session *s, int dir) { return s->d[dir & 1].waiting; }

bool tls_session_stopped(const struct tls_session *s, int dir)
{
    return s->d[dir & 1].stopped || s->d[dir & 1].ended;
}

const struct tls_info *tls_session_info(const struct tls_session *s) { return &s->info; }

void tls_session_free(struct tls_session *s)
{
    if (!s)
        return;
    finish(s);
    for (int dir = 0; dir < 2; dir++) {
        struct dirst *d = &s->d[dir];
        free(d->pend);
        tls_recrd_release(&d->rd);
        tls_hsbuf_release(&d->hs);
        tls_cipher_release(&d->c);
    }
    free(s);
}
