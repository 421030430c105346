/* tlsxml.h - what the tls scanner writes in report.xml: a <tls> element in
 * each flow direction's fileobject, and one in the run's <summary>.
 *
 *   <tls role='client' version='1.3' suite='0x1301' cipher_suite='TLS_AES_128_GCM_SHA256'
 *        sni='example.com' alpn='http/1.1' resumed='0' status='decrypted' records='9'
 *        decrypted='9' plaintext_bytes='1234' [hrr='1'] [etm='1'] [early='accepted']
 *        [key_updates='2'] [early_skipped='1'] [hole_bytes='100'] [unprocessed='17']
 *        [alert='warning close_notify']>
 *     <filename>...-PLAINTEXT</filename><filesize>1234</filesize>   (when a file was written)
 *     <byte_runs>...</byte_runs>                                      (HTTP bodies, -e http)
 *   </tls>
 *
 *   <tls connections='3' decrypted='2' no_key='1' ... files='4' file_failures='0'>
 *     <keylog files='1' lines='8' entries='2' used='2' unused='0' bad_lines='0' .../>
 *   </tls>
 *
 * Text from the wire (SNI, ALPN) is written byte for byte when it is
 * printable ASCII, any other byte as %XX, so the report stays valid.
 */
#ifndef TCPFLOW_SCAN_TLS_TLSXML_H
#define TCPFLOW_SCAN_TLS_TLSXML_H

#include <stdbool.h>
#include <stdint.h>
#include "scan/tls/keylog.h"
#include "scan/tls/session.h"

struct counters;

/* What one direction's element says besides the session's facts. */
struct tls_xml_dir {
    int dir;                    /* the session's dir */
    const char *plain;          /* the plaintext file, or NULL */
    uint64_t plain_size;
    bool plain_failed;          /* it could not be written whole */
    const char *inner;          /* more XML to put inside (HTTP <byte_runs>), or NULL */
};

/* The <tls> element of one direction (malloc'd). */
char *tls_xml_dir(const struct tls_info *in, const struct tls_xml_dir *d);

/* The <tls> element of the summary (malloc'd) from the run's counters and
 * the key log's statistics (nfiles: key log files read). */
char *tls_xml_summary(const struct counters *c, const struct tls_keylog_stats *ks, unsigned nfiles);

/* "1.3", "1.2", "1.1", "1.0", "SSL 3.0", or the number in hex ("0x7f1c"). */
const char *tls_version_text(uint16_t v, char buf[8]);

/* The name of an alert description (RFC 8446 and 5246), or NULL. */
const char *tls_alert_name(uint8_t desc);

#endif
