/* hooks.c - see hooks.h */
#include "output/hooks.h"
#include "flow/flow.h"
#include "flow/naming.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#include <limits.h>

struct hooks {
    struct hooks_config cfg;
    struct flow_consumer fc;
};

static void c_close(struct flow_consumer *c, struct flow *f, bool again)
{
    struct hooks *h = c->self;
    if (again) return;
    char name[PATH_MAX];
    name[0] = '\0';
    if (f->rs.hi > 0 && naming_render(h->cfg.tmpl, "", f, 0, h->cfg.tdelta_us, name, sizeof name) < 0)
        name[0] = '\0';
    alert_line(h->cfg.alert_fd, "close", name);
}

static const struct flow_consumer_ops hooks_ops = { .close = c_close };

struct hooks *hooks_new(const struct hooks_config *cfg)
{
    struct hooks *h = xcalloc(1, sizeof *h);
    h->cfg = *cfg;
    h->fc.ops = &hooks_ops;
    h->fc.self = h;
    return h;
}

void hooks_free(struct hooks *h) { free(h); }
struct flow_consumer *hooks_consumer(struct hooks *h) { return &h->fc; }
