/* wifiviz.c - the wifiviz scanner (-e wifiviz): accepted for
 * compatibility; its check_fcs setting is the decoder's. */
#include "scan/scanner.h"

static const struct scan_setting wifiviz_settings[] = {
    { "check_fcs", "YES", "Require valid Frame Check Sum (FCS)" },
    { NULL, NULL, NULL },
};

const struct scanner scan_wifiviz = {
    .name = "wifiviz",
    .description = "Performs wifi visualization (accepted for compatibility; no output)",
    .settings = wifiviz_settings,
};
