/* tlsxml.c - the tls scanner's report XML.  See tlsxml.h. */
#include "scan/tls/tlsxml.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlwriter.h>
#include "util/counters.h"
#include "util/xalloc.h"

const char *tls_version_text(uint16_t v, char buf[8])
{
    switch (v) {
    case 0x0304: return "1.3";
    case 0x0303: return "1.2";
    case 0x0302: return "1.1";
    case 0x0301: return "1.0";
    case 0x0300: return "SSL 3.0";
    default:
        snprintf(buf, 8, "0x%04x", v);
        return buf;
    }
}

const char *tls_alert_name(uint8_t desc)
{
    static const struct { uint8_t d; const char *n; } t[] = {
        { 0, "close_notify" }, { 10, "unexpected_message" }, { 20, "bad_record_mac" },
        { 21, "decryption_failed" }, { 22, "record_overflow" }, { 40, "handshake_failure" },
        { 42, "bad_certificate" }, { 43, "unsupported_certificate" }, { 44, "certificate_revoked" },
        { 45, "certificate_expired" }, { 46, "certificate_unknown" }, { 47, "illegal_parameter" },
        { 48, "unknown_ca" }, { 49, "access_denied" }, { 50, "decode_error" }, { 51, "decrypt_error" },
        { 70, "protocol_version" }, { 71, "insufficient_security" }, { 80, "internal_error" },
        { 86, "inappropriate_fallback" }, { 90, "user_canceled" }, { 100, "no_renegotiation" },
        { 109, "missing_extension" }, { 110, "unsupported_extension" }, { 112, "unrecognized_name" },
        { 113, "bad_certificate_status_response" }, { 115, "unknown_psk_identity" },
        { 116, "certificate_required" }, { 120, "no_application_protocol" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].d == desc)
            return t[i].n;
    return NULL;
}

/* Wire text: printable ASCII but the quote and '%' as is, other bytes %XX. */
static void attr_wire(xmlTextWriterPtr w, const char *name, const char *s)
{
    char t[256 * 3 + 1], *q = t;
    for (size_t i = 0; s[i] && i < 256; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '%') {
            *q++ = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            *q++ = '%';
            *q++ = hex[c >> 4];
            *q++ = hex[c & 15];
        }
    }
    *q = '\0';
    xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST t);
}

static void attr_u64(xmlTextWriterPtr w, const char *name, uint64_t v)
{
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST name, "%" PRIu64, v);
}

static const char *early_text(enum tls_early e)
{
    switch (e) {
    case TLS_EARLY_ACCEPTED: return "accepted";
    case TLS_EARLY_REJECTED: return "rejected";
    case TLS_EARLY_NO_KEY: return "no-key";
    default: return NULL;
    }
}

/* A writer into a memory buffer, single quotes as the report's. */
static xmlTextWriterPtr writer(xmlBufferPtr *buf)
{
    *buf = xmlBufferCreate();
    xmlTextWriterPtr w = *buf ? xmlNewTextWriterMemory(*buf, 0) : NULL;
    if (w)
        xmlTextWriterSetQuoteChar(w, '\'');
    return w;
}

static char *done(xmlTextWriterPtr w, xmlBufferPtr buf)
{
    char *x = NULL;
    if (w) {
        xmlTextWriterFlush(w);
        x = xstrdup((const char *)xmlBufferContent(buf));
        xmlFreeTextWriter(w);
    }
    if (buf)
        xmlBufferFree(buf);
    return x ? x : xstrdup("");
}

/* The connection's facts, as attributes. */
static void conn_attrs(xmlTextWriterPtr w, const struct tls_info *in)
{
    char vb[8];
    if (in->version)
        xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST tls_version_text(in->version, vb));
    if (in->suite)
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "suite", "0x%04x", in->suite);
    if (in->suite_name)
        xmlTextWriterWriteAttribute(w, BAD_CAST "cipher_suite", BAD_CAST in->suite_name);
    if (in->sni[0])
        attr_wire(w, "sni", in->sni);
    if (in->alpn[0])
        attr_wire(w, "alpn", in->alpn);
    if (in->is_tls)
        xmlTextWriterWriteAttribute(w, BAD_CAST "resumed", BAD_CAST(in->resumed ? "1" : "0"));
    if (in->hrr)
        xmlTextWriterWriteAttribute(w, BAD_CAST "hrr", BAD_CAST "1");
    if (in->etm)
        xmlTextWriterWriteAttribute(w, BAD_CAST "etm", BAD_CAST "1");
    if (early_text(in->early))
        xmlTextWriterWriteAttribute(w, BAD_CAST "early", BAD_CAST early_text(in->early));
}

char *tls_xml_dir(const struct tls_info *in, const struct tls_xml_dir *d)
{
    const struct tls_dir_info *x = &in->dir[d->dir & 1];
    xmlBufferPtr buf;
    xmlTextWriterPtr w = writer(&buf);
    if (!w)
        return done(w, buf);
    xmlTextWriterStartElement(w, BAD_CAST "tls");
    if (in->client_dir >= 0)
        xmlTextWriterWriteAttribute(w, BAD_CAST "role", BAD_CAST(in->client_dir == d->dir ? "client" : "server"));
    conn_attrs(w, in);
    xmlTextWriterWriteAttribute(w, BAD_CAST "status", BAD_CAST tls_status_name(x->status));
    attr_u64(w, "records", x->records);
    attr_u64(w, "decrypted", x->decrypted);
    attr_u64(w, "plaintext_bytes", x->app_bytes);
    if (x->key_updates)
        attr_u64(w, "key_updates", x->key_updates);
    if (x->early_skipped)
        attr_u64(w, "early_skipped", x->early_skipped);
    if (x->hole_bytes)
        attr_u64(w, "hole_bytes", x->hole_bytes);
    if (x->unprocessed)
        attr_u64(w, "unprocessed", x->unprocessed);
    if (x->alert_level) {
        const char *n = tls_alert_name(x->alert_desc);
        char a[64];
        snprintf(a, sizeof a, "%s %s", x->alert_level == 1 ? "warning" : x->alert_level == 2 ? "fatal" : "?", n ? n : "");
        if (!n)
            snprintf(a, sizeof a, "%u %u", x->alert_level, x->alert_desc);
        xmlTextWriterWriteAttribute(w, BAD_CAST "alert", BAD_CAST a);
    }
    bool inside = false;
    if (d->plain) {
        xmlTextWriterWriteRaw(w, BAD_CAST "\n      ");
        xmlTextWriterWriteElement(w, BAD_CAST "filename", BAD_CAST d->plain);
        xmlTextWriterWriteRaw(w, BAD_CAST "\n      ");
        xmlTextWriterWriteFormatElement(w, BAD_CAST "filesize", "%" PRIu64, d->plain_size);
        if (d->plain_failed) {
            xmlTextWriterWriteRaw(w, BAD_CAST "\n      ");
            xmlTextWriterWriteElement(w, BAD_CAST "file_failed", BAD_CAST "1");
        }
        inside = true;
    }
    if (d->inner && *d->inner) {
        xmlTextWriterWriteRaw(w, BAD_CAST "\n      ");
        xmlTextWriterWriteRaw(w, BAD_CAST d->inner);
        inside = true;
    }
    if (inside)
        xmlTextWriterWriteRaw(w, BAD_CAST "\n    ");
    xmlTextWriterEndElement(w);
    return done(w, buf);
}

char *tls_xml_summary(const struct counters *c, const struct tls_keylog_stats *ks, unsigned nfiles)
{
    static const struct { const char *name; enum counter_id id; } a[] = {
        { "connections", C_TLS_CONNS }, { "decrypted", C_TLS_CONN_DECRYPTED },
        { "handshake_only", C_TLS_CONN_HANDSHAKE }, { "no_key", C_TLS_CONN_NO_KEY },
        { "bad_tag", C_TLS_CONN_BAD_TAG }, { "hole", C_TLS_CONN_HOLE }, { "unsupported", C_TLS_CONN_UNSUPPORTED },
        { "malformed", C_TLS_CONN_MALFORMED }, { "cap", C_TLS_CONN_CAP }, { "incomplete", C_TLS_CONN_INCOMPLETE },
        { "no_handshake", C_TLS_CONN_NO_HANDSHAKE }, { "not_tls", C_TLS_NOT_TLS }, { "files", C_TLS_FILES },
        { "file_failures", C_TLS_FILE_FAILED }, { "http", C_TLS_HTTP_CONNS }, { "h2", C_TLS_H2_CONNS },
    };
    xmlBufferPtr buf;
    xmlTextWriterPtr w = writer(&buf);
    if (!w)
        return done(w, buf);
    xmlTextWriterStartElement(w, BAD_CAST "tls");
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        attr_u64(w, a[i].name, c->n[a[i].id]);
    xmlTextWriterWriteRaw(w, BAD_CAST "\n      ");
    xmlTextWriterStartElement(w, BAD_CAST "keylog");
    attr_u64(w, "files", nfiles);
    attr_u64(w, "lines", ks->lines);
    attr_u64(w, "entries", ks->entries);
    attr_u64(w, "used", ks->used);
    attr_u64(w, "unused", ks->entries - ks->used);
    attr_u64(w, "bad_lines", ks->bad_lines);
    attr_u64(w, "unsupported_lines", ks->unsupported);
    attr_u64(w, "over_cap", ks->over_cap);
    attr_u64(w, "rereads", ks->rereads);
    xmlTextWriterEndElement(w);
    xmlTextWriterWriteRaw(w, BAD_CAST "\n    ");
    xmlTextWriterEndElement(w);
    xmlTextWriterWriteRaw(w, BAD_CAST "\n");
    return done(w, buf);
}
