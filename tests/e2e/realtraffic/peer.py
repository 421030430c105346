#!/usr/bin/python3
"""Traffic peers for the real-traffic end-to-end tests (run inside a network namespace).

  peer.py server --listen ADDR --port P [--listen ADDR ...] --expect N --seed S ... --log F
  peer.py client --target ADDR,PORT,COUNT [--target ...] --seed S ... --log F
                 [--cport-base P]   (connection i from local port P+i)

Every connection is full duplex: both ends send a random-sized blob of
deterministic pseudo-random bytes at the same time, then shutdown(SHUT_WR),
read the peer's bytes to EOF and close.  The client first opens ALL its
connections and starts sending only when every one is established; the server
starts sending once it has accepted --expect connections (or after
--gate-timeout).  So every flow of a run is open at the same time.

Payload bytes are a pure function of a seed string and a length (payload_blocks()),
so check.py can regenerate them; each end also logs the SHA-256 of what it
sent and received.  The log (--log, JSON) has one record per connection:
  {"local": addr, "lport": n, "remote": addr, "rport": n,
   "sent_seed": s, "sent_len": n, "sent_sha256": h,
   "recv_len": n, "recv_sha256": h, "status": "ok" | error text}
Exit status: 0 when every connection completed, 2 otherwise.
"""
import argparse
import errno
import hashlib
import json
import random
import resource
import selectors
import socket
import sys
import time

BLOCK = 65536
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_PMTUDISC_DONT = getattr(socket, "IP_PMTUDISC_DONT", 0)


def payload_blocks(seed, length):
    """Yield the payload for (seed, length) in blocks of at most BLOCK bytes.

    Block k is random.Random("<seed>/<k>").randbytes(BLOCK) (string seeds are
    hashed with SHA-512 by CPython's version-2 seeding, stable across versions);
    the payload is the concatenation truncated to length."""
    k = 0
    left = length
    while left > 0:
        b = random.Random("%s/%d" % (seed, k)).randbytes(BLOCK)
        if left < BLOCK:
            b = b[:left]
        left -= len(b)
        k += 1
        yield b


def payload(seed, length):
    """The whole payload as bytes (see payload_blocks)."""
    return b"".join(payload_blocks(seed, length))


def sample_size(rng, max_size, zero_pct):
    """A random length in [0, max_size]: zero_pct % zeros, a quarter of the
    rest uniform, the others log-uniform (many small, some large)."""
    if max_size <= 0:
        return 0
    r = rng.random() * 100
    if r < zero_pct:
        return 0
    if rng.random() < 0.25:
        return rng.randint(1, max_size)
    return max(1, min(max_size, int(round(max_size ** rng.random()))))


class Conn:
    def __init__(self, sock, role):
        self.sock = sock
        self.role = role
        self.connected = False
        self.local = self.remote = None
        self.lport = self.rport = 0
        self.seed = None
        self.size = 0
        self.gen = None
        self.buf = memoryview(b"")
        self.sent = 0
        self.h_sent = hashlib.sha256()
        self.send_done = False
        self.h_recv = hashlib.sha256()
        self.nrecv = 0
        self.eof = False
        self.status = None
        self.events = 0

    def set_payload(self, seed, size):
        self.seed = seed
        self.size = size
        self.gen = payload_blocks(seed, size)

    def names(self):
        la = self.sock.getsockname()
        ra = self.sock.getpeername()
        self.local, self.lport = la[0], la[1]
        self.remote, self.rport = ra[0], ra[1]

    def record(self):
        return {"local": self.local, "lport": self.lport, "remote": self.remote,
                "rport": self.rport, "sent_seed": self.seed, "sent_len": self.size,
                "sent_sha256": self.h_sent.hexdigest() if self.send_done else None,
                "sent_bytes": self.sent,
                "recv_len": self.nrecv, "recv_sha256": self.h_recv.hexdigest(),
                "status": self.status or "incomplete"}


class Loop:
    def __init__(self, deadline):
        self.sel = selectors.DefaultSelector()
        self.deadline = deadline
        self.gate = False
        self.conns = []

    def want(self, c):
        ev = 0
        if not c.connected:
            ev = selectors.EVENT_WRITE
        else:
            if not c.eof:
                ev |= selectors.EVENT_READ
            if self.gate and not c.send_done:
                ev |= selectors.EVENT_WRITE
        if ev == c.events:
            return
        if c.events == 0:
            self.sel.register(c.sock, ev, c)
        elif ev == 0:
            self.sel.unregister(c.sock)
        else:
            self.sel.modify(c.sock, ev, c)
        c.events = ev

    def fail(self, c, why):
        if c.status is None:
            c.status = why
        if c.events:
            self.sel.unregister(c.sock)
            c.events = 0
        c.sock.close()

    def finish_if_done(self, c):
        if c.send_done and c.eof and c.status is None:
            c.status = "ok"
            if c.events:
                self.sel.unregister(c.sock)
                c.events = 0
            c.sock.close()

    def do_send(self, c):
        budget = 4 * BLOCK
        while budget > 0:
            if len(c.buf) == 0:
                nxt = next(c.gen, None)
                if nxt is None:
                    c.sock.shutdown(socket.SHUT_WR)
                    c.send_done = True
                    break
                c.h_sent.update(nxt)
                c.buf = memoryview(nxt)
            try:
                n = c.sock.send(c.buf)
            except BlockingIOError:
                break
            c.buf = c.buf[n:]
            c.sent += n
            budget -= n

    def do_recv(self, c):
        for _ in range(8):
            try:
                d = c.sock.recv(262144)
            except BlockingIOError:
                return
            if not d:
                c.eof = True
                return
            c.h_recv.update(d)
            c.nrecv += len(d)

    def service(self, c, mask):
        try:
            if not c.connected:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    self.fail(c, "connect: " + errno.errorcode.get(err, str(err)))
                    return
                c.connected = True
                c.names()
                self.on_connected(c)
            else:
                if mask & selectors.EVENT_READ:
                    self.do_recv(c)
                if mask & selectors.EVENT_WRITE and self.gate and not c.send_done:
                    self.do_send(c)
            self.finish_if_done(c)
            if c.status is None:
                self.want(c)
        except OSError as e:
            self.fail(c, "%s: %s" % (type(e).__name__, e))

    def on_connected(self, c):
        pass

    def open_gate(self):
        self.gate = True
        for c in self.conns:
            if c.status is None and c.connected:
                if c.size == 0 and not c.send_done:
                    try:
                        c.sock.shutdown(socket.SHUT_WR)
                        c.send_done = True
                    except OSError as e:
                        self.fail(c, "shutdown: %s" % e)
                        continue
                self.finish_if_done(c)
                if c.status is None:
                    self.want(c)

    def pending(self):
        return [c for c in self.conns if c.status is None]


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(n, soft), max(n, hard)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tune(sock, args):
    if args.no_df and sock.family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)


def run_server(args):
    raise_nofile(args.expect + 64)
    start = time.monotonic()
    loop = Loop(start + args.timeout)
    listeners = []
    for a in args.listen:
        s = socket.socket(family_of(a), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if s.family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        tune(s, args)
        s.bind((a, args.port))
        s.listen(min(max(args.expect + 16, 128), 65535))
        s.setblocking(False)
        loop.sel.register(s, selectors.EVENT_READ, None)
        listeners.append(s)
    print("READY", flush=True)
    accepted = 0
    while True:
        now = time.monotonic()
        if not loop.gate and (accepted >= args.expect or now - start > args.gate_timeout):
            loop.open_gate()
        if loop.gate and accepted >= args.expect and not loop.pending():
            break
        if now > loop.deadline:
            break
        for key, mask in loop.sel.select(timeout=0.2):
            if key.data is None:
                while True:
                    try:
                        cs, _ = key.fileobj.accept()
                    except BlockingIOError:
                        break
                    cs.setblocking(False)
                    c = Conn(cs, "server")
                    c.connected = True
                    try:
                        c.names()
                    except OSError as e:
                        c.status = "getpeername: %s" % e
                        cs.close()
                        loop.conns.append(c)
                        continue
                    seed = "%s:s:%s:%d" % (args.seed, c.remote, c.rport)
                    c.set_payload(seed, sample_size(random.Random(seed + ":len"), args.max_size, args.zero_pct))
                    loop.conns.append(c)
                    accepted += 1
                    if loop.gate:
                        loop.open_gate()
                    else:
                        loop.want(c)
            else:
                loop.service(key.data, mask)
    for c in loop.pending():
        loop.fail(c, "timeout (sent %d/%d, received %d, eof=%s)" % (c.sent, c.size, c.nrecv, c.eof))
    for s in listeners:
        s.close()
    return loop, accepted >= args.expect


def run_client(args):
    targets = []
    for t in args.target:
        addr, port, count = t.rsplit(",", 2)
        targets.append((addr, int(port), int(count)))
    total = sum(t[2] for t in targets)
    raise_nofile(total + 64)
    start = time.monotonic()
    loop = Loop(start + args.timeout)
    # interleave the families so they are equally concurrent
    order = []
    idx = [0] * len(targets)
    while len(order) < total:
        for i, (addr, port, count) in enumerate(targets):
            if idx[i] < count:
                order.append((addr, port))
                idx[i] += 1
    for i, (addr, port) in enumerate(order):
        s = socket.socket(family_of(addr), socket.SOCK_STREAM)
        tune(s, args)
        if args.cport_base:
            # fixed local ports: a twin client elsewhere makes the same 4-tuples
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if s.family == socket.AF_INET6 else "0.0.0.0", args.cport_base + i))
        s.setblocking(False)
        c = Conn(s, "client")
        seed = "%s:c:%d" % (args.seed, i)
        c.set_payload(seed, sample_size(random.Random(seed + ":len"), args.max_size, args.zero_pct))
        loop.conns.append(c)
        err = s.connect_ex((addr, port))
        if err not in (0, errno.EINPROGRESS):
            loop.fail(c, "connect: " + errno.errorcode.get(err, str(err)))
            continue
        loop.want(c)
    while True:
        now = time.monotonic()
        if not loop.gate and (all(c.connected or c.status for c in loop.conns) or now - start > args.gate_timeout):
            loop.open_gate()
        if not loop.pending() or now > loop.deadline:
            break
        for key, mask in loop.sel.select(timeout=0.2):
            loop.service(key.data, mask)
    for c in loop.pending():
        loop.fail(c, "timeout (connected=%s, sent %d/%d, received %d, eof=%s)"
                  % (c.connected, c.sent, c.size, c.nrecv, c.eof))
    return loop, True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("role", choices=["client", "server"])
    ap.add_argument("--listen", action="append", default=[])
    ap.add_argument("--port", type=int, default=9000)
    ap.add_argument("--expect", type=int, default=0)
    ap.add_argument("--target", action="append", default=[])
    ap.add_argument("--seed", default="1")
    ap.add_argument("--max-size", type=int, default=65536)
    ap.add_argument("--zero-pct", type=float, default=10.0)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--gate-timeout", type=float, default=15.0)
    ap.add_argument("--no-df", action="store_true", help="IPv4: IP_PMTUDISC_DONT (DF clear)")
    ap.add_argument("--cport-base", type=int, default=0,
                    help="client: connection i uses local port CPORT_BASE + i (0: the kernel's choice)")
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    if args.role == "server":
        loop, all_accepted = run_server(args)
    else:
        loop, all_accepted = run_client(args)
    recs = [c.record() for c in loop.conns]
    with open(args.log, "w") as f:
        json.dump({"role": args.role, "conns": recs}, f, indent=0)
    bad = [r for r in recs if r["status"] != "ok"]
    for r in bad[:20]:
        print("%s: %s:%s <-> %s:%s: %s" % (args.role, r["local"], r["lport"], r["remote"], r["rport"], r["status"]),
              file=sys.stderr)
    if not all_accepted:
        print("%s: accepted only %d of %d connections" % (args.role, len(recs), args.expect), file=sys.stderr)
    return 0 if not bad and all_accepted else 2


if __name__ == "__main__":
    sys.exit(main())
