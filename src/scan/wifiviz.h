/* wifiviz.h - the wifiviz scanner: SSIDs of 802.11 beacons for the
 * report's <summary> (see wifiviz.c). */
#ifndef TCPFLOW_SCAN_WIFIVIZ_H
#define TCPFLOW_SCAN_WIFIVIZ_H

#include "scan/scanner.h"

extern const struct scanner scan_wifiviz;

#endif
