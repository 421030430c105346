#!/usr/bin/python3
"""Real TCP traffic between Linux network namespaces, captured, with a plan of
exactly what every peer sent -- for byte-exact end-to-end tests of tcpflow.

  netlab.py probe                      exit 0 if usable, else 77 and a reason
  netlab.py capture --out DIR [options]
  netlab.py check --plan DIR/plan.json --outdir OUT [--label NAME]
  netlab.py teardown --tag TAG         delete the namespaces of run TAG (idempotent)

Topology (4 namespaces named <tag>c, <tag>a, <tag>b, <tag>s; tag defaults to
"rt<pid>" so parallel runs never collide; only 198.18.0.0/15 and fd00::/8):

  client c  eth0 ---- c0  router a  l0 ==== l0  router b  s0 ---- eth0  server s
  198.18.1.2          198.18.1.1 198.18.2.1  198.18.2.2 198.18.3.1    198.18.3.2
  fd00:1::2           fd00:1::1  fd00:2::1   fd00:2::2  fd00:3::1     fd00:3::2

The capture is taken with tcpdump on a:l0, the middle link, which both
directions cross after the impairments of the router they came from:
  --drop P        % of packets dropped by the ingress router before the capture
                  (a for client->server, b for server->client): holes filled by
                  retransmissions in the capture
  --drop-after P  % dropped by the egress router after the capture: the capture
                  holds the lost original and its retransmission
  --dup P         % of frames leaving onto l0 sent twice (nft netdev egress
                  hook 'dup to "l0"', after fragmentation: fragments too)
  --reorder P     % of packets leaving onto l0 put (nft netdev egress hook,
                  'meta priority set 1:20') in a slow htb class (--slow-rate)
                  while the rest take a fast class: those arrive late
  --frag-mtu N    MTU of the middle link (both ends); the hosts keep 1500 and
                  send IPv4 without DF (ip_no_pmtu_disc=1, IP_PMTUDISC_DONT), so
                  the routers fragment both directions onto l0 (IPv4 only:
                  IPv6 routers never fragment)
  --tunnel KIND   the routers carry the traffic through a Linux tunnel over l0
                  (the capture, on l0, sees it encapsulated): routed tunnels
                  (gre, ipip (IPv4 only), sit (IPv6 only), ip6tnl, ip6gre over an
                  IPv6 underlay) keep the addresses above and route 198.18.3.0/24
                  and fd00:3::/64 through t0 (198.18.4.1-2, fd00:4::1-2); bridged
                  ones (gretap, vxlan, vxlan6 over IPv6, geneve) bridge c0/s0 with
                  t0, and client and server share 198.18.5.0/24, fd00:5::/64
                  (client .1/::1, server .2/::2).  Hosts' MTU is then 1400.
                  --tunnel-key K: the GRE key or VNI (default 42).  With
                  --frag-mtu, l0 gets that MTU, t0 keeps 1400 and the tunnel
                  clears DF on its outer packets: the outer packets are fragmented
                  on l0 (IPv4 underlays).
  --twin          (bridged tunnels) a second client and server, c2 and s2, with
                  the same addresses, bridged through a second tunnel (key K+1);
                  both clients use the same local ports (peer.py --cport-base),
                  so the two tunnels carry the same inner 4-tuples at once.  The
                  plan's connections then name their tunnel ("name_suffix": the
                  -T %U%u text) and tcpflow must run with -T '%A.%a-%B.%b%U%u'.
  --beside CMD    a program run in router a's namespace beside tcpdump, on the
                  same port (its words split as a shell would; {iface} is
                  replaced by l0, {out} by DIR): started once tcpdump listens,
                  ready when its stderr shows --beside-ready (default
                  "listening on"), stopped by SIGINT once the traffic is over;
                  its stdout and stderr go to DIR/beside.out and beside.err,
                  its exit status and run time to DIR/beside.json.  What it
                  does is for the caller to judge: it never fails the capture.
No tc netem is needed (these machines have none).  Offloads (TSO/GSO/GRO,
checksum) are off on every veth, so the capture holds wire-sized packets;
tcpdump must report 0 packets dropped by the kernel.

capture writes to DIR: capture.pcap, plan.json (what was sent; check.py's
input), client.json, server.json (the peers' logs), tcpdump.txt (its
statistics), beside.* (with --beside),
impairments.txt (nft counters, htb statistics), nft-a.conf, nft-b.conf.
plan.json = {"seed", "options", "capture_stats", "conns": [{"family",
"client", "cport", "server", "sport", "c2s": {"seed","len","sha256"},
"s2c": {...}}]}; the bytes of a direction are peer.payload(seed, len).
Exit status of capture: 0 ok; 2 the traffic or the capture failed (retry may
help; DIR is kept); 77 this machine cannot do it (not root, no netns, a tool
missing); 1 usage or setup error.
"""
import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
sys.path.insert(0, HERE)

V4 = {"c": "198.18.1.2", "a_c": "198.18.1.1", "a_l": "198.18.2.1", "b_l": "198.18.2.2",
      "b_s": "198.18.3.1", "s": "198.18.3.2"}
V6 = {"c": "fd00:1::2", "a_c": "fd00:1::1", "a_l": "fd00:2::1", "b_l": "fd00:2::2",
      "b_s": "fd00:3::1", "s": "fd00:3::2"}
PORT = 9000
V4B = {"c": "198.18.5.1", "s": "198.18.5.2"}     # bridged tunnels: one subnet
V6B = {"c": "fd00:5::1", "s": "fd00:5::2"}
T4 = {"a": "198.18.4.1", "b": "198.18.4.2"}     # routed tunnels: t0's addresses
T6 = {"a": "fd00:4::1", "b": "fd00:4::2"}
CPORT_BASE = 20000
# kind: (bridged, underlay family, families carried, tcpflow's name in -T %u)
TUNNELS = {
    "gre": (False, 4, (4, 6), "gre"), "ipip": (False, 4, (4,), "ipip"), "sit": (False, 4, (6,), "ipip"),
    "ip6tnl": (False, 6, (4, 6), "ipip"), "ip6gre": (False, 6, (4, 6), "gre"),
    "gretap": (True, 4, (4, 6), "gre"), "vxlan": (True, 4, (4, 6), "vxlan"),
    "vxlan6": (True, 6, (4, 6), "vxlan"), "geneve": (True, 4, (4, 6), "geneve"),
}


class Skip(Exception):
    pass


class Infra(Exception):
    """The traffic or the capture failed: not tcpflow's fault."""


class Stop(BaseException):
    pass


def log(*a):
    print("netlab:", *a, file=sys.stderr, flush=True)


def sh(cmd, ns=None, check=True, quiet=False):
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr.strip()))
    return r


def ns_names(tag):
    return {k: tag + k for k in ("c", "a", "b", "s", "c2", "s2")}


def bridged(o):
    return bool(getattr(o, "tunnel", None)) and TUNNELS[o.tunnel][0]


def host(o, role, fam):
    """The client's ("c") or server's ("s") address of family fam."""
    if bridged(o):
        return (V4B if fam == 4 else V6B)[role]
    return (V4 if fam == 4 else V6)[role]


def probe():
    if os.geteuid() != 0:
        raise Skip("needs root")
    for tool in ("ip", "tcpdump", "nft", "tc", "ethtool"):
        if not shutil.which(tool):
            raise Skip("needs %s (Debian package %s)" % (
                tool, {"ip": "iproute2", "tc": "iproute2", "nft": "nftables"}.get(tool, tool)))
    name = "rtprobe%d" % os.getpid()
    r = sh(["ip", "netns", "add", name], check=False)
    if r.returncode != 0:
        raise Skip("ip netns unusable: " + r.stderr.strip())
    try:
        r = sh(["ip", "-n", name, "link", "add", "x0", "type", "veth", "peer", "name", "x1"], check=False)
        if r.returncode != 0:
            raise Skip("cannot create veth pairs: " + r.stderr.strip())
    finally:
        sh(["ip", "netns", "del", name], check=False)


def teardown(tag):
    for n in ns_names(tag).values():
        if os.path.exists("/run/netns/" + n):
            sh(["ip", "netns", "del", n], check=False)


def build(tag, o):
    # callers with options of their own (httpreal/lab.py) know nothing of tunnels
    for k, v in (("tunnel", None), ("tunnel_key", 42), ("twin", False)):
        if not hasattr(o, k):
            setattr(o, k, v)
    n = ns_names(tag)
    keys = ("c", "a", "b", "s") + (("c2", "s2") if o.twin else ())
    for k in keys:
        if os.path.exists("/run/netns/" + n[k]):
            raise RuntimeError("namespace %s exists already (tag in use?)" % n[k])
    for k in keys:
        sh(["ip", "netns", "add", n[k]])
    for k in keys:
        ns = n[k]
        sh(["ip", "link", "set", "lo", "up"], ns)
        sysctls = {"net.ipv6.conf.all.disable_ipv6": 0, "net.ipv6.conf.default.disable_ipv6": 0,
                   "net.ipv6.conf.all.accept_dad": 0, "net.ipv6.conf.default.accept_dad": 0,
                   "net.ipv6.conf.all.accept_ra": 0, "net.ipv6.conf.default.accept_ra": 0}
        if k in "ab":
            sysctls.update({"net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1})
        else:
            if o.frag_mtu and not o.tunnel:
                sysctls["net.ipv4.ip_no_pmtu_disc"] = 1
            sysctls.update({"net.core.somaxconn": 65535, "net.ipv4.tcp_max_syn_backlog": 65535})
        for key, val in sysctls.items():
            sh(["sysctl", "-q", "-w", "%s=%s" % (key, val)], ns)
    sh(["ip", "-n", n["c"], "link", "add", "eth0", "type", "veth", "peer", "name", "c0", "netns", n["a"]])
    sh(["ip", "-n", n["a"], "link", "add", "l0", "type", "veth", "peer", "name", "l0", "netns", n["b"]])
    sh(["ip", "-n", n["b"], "link", "add", "s0", "type", "veth", "peer", "name", "eth0", "netns", n["s"]])
    ifs = [("c", "eth0", "c", 24, 64), ("a", "c0", "a_c", 24, 64), ("a", "l0", "a_l", 24, 64),
           ("b", "l0", "b_l", 24, 64), ("b", "s0", "b_s", 24, 64), ("s", "eth0", "s", 24, 64)]
    if o.twin:
        sh(["ip", "-n", n["c2"], "link", "add", "eth0", "type", "veth", "peer", "name", "c1", "netns", n["a"]])
        sh(["ip", "-n", n["b"], "link", "add", "s1", "type", "veth", "peer", "name", "eth0", "netns", n["s2"]])
        ifs += [("c2", "eth0", "c", 24, 64), ("a", "c1", None, 0, 0), ("b", "s1", None, 0, 0),
                ("s2", "eth0", "s", 24, 64)]
    for k, dev, key, p4, p6 in ifs:
        ns = n[k]
        if dev == "l0" and o.frag_mtu:
            sh(["ip", "link", "set", dev, "mtu", str(o.frag_mtu)], ns)
        if o.tunnel and dev != "l0":           # inner packets fit every tunnel
            sh(["ip", "link", "set", dev, "mtu", "1400"], ns)
        # wire-sized packets in the capture: no segmentation/aggregation offloads
        sh(["ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off"], ns,
           check=False)
        k2 = sh(["ethtool", "-k", dev], ns).stdout
        for feat in ("tcp-segmentation-offload", "generic-segmentation-offload", "generic-receive-offload"):
            m = re.search(r"^%s: (\w+)" % feat, k2, re.M)
            if m and m.group(1) != "off":
                raise RuntimeError("cannot turn %s off on %s:%s" % (feat, ns, dev))
        if bridged(o) and dev != "l0":         # bridge ports and one subnet
            if key in ("c", "s"):
                sh(["ip", "addr", "add", "%s/24" % V4B[key], "dev", dev], ns)
                sh(["ip", "-6", "addr", "add", "%s/64" % V6B[key], "dev", dev, "nodad"], ns)
            sh(["ip", "link", "set", dev, "up"], ns)
            continue
        sh(["ip", "addr", "add", "%s/%d" % (V4[key], p4), "dev", dev], ns)
        if not (dev == "l0" and o.frag_mtu and o.frag_mtu < 1280):  # IPv6 needs 1280
            sh(["ip", "-6", "addr", "add", "%s/%d" % (V6[key], p6), "dev", dev, "nodad"], ns)
        sh(["ip", "link", "set", dev, "up"], ns)
    if o.tunnel:
        build_tunnel(n, o)
    # routes: only the lab's own prefixes, never a default route
    v6 = not (o.frag_mtu and o.frag_mtu < 1280) or bool(o.tunnel)
    if not bridged(o):
        for k, net4, net6, via in (("c", "198.18.3.0/24", "fd00:3::/64", "a_c"),
                                   ("a", "198.18.3.0/24", "fd00:3::/64", "b_l"),
                                   ("b", "198.18.1.0/24", "fd00:1::/64", "a_l"),
                                   ("s", "198.18.1.0/24", "fd00:1::/64", "b_s")):
            if o.tunnel and k in "ab":         # through the tunnel
                peer = "b" if k == "a" else "a"
                fams = TUNNELS[o.tunnel][2]
                if 4 in fams:
                    sh(["ip", "route", "add", net4, "via", T4[peer], "dev", "t0"], n[k])
                if 6 in fams:
                    sh(["ip", "-6", "route", "add", net6, "via", T6[peer], "dev", "t0"], n[k])
                continue
            sh(["ip", "route", "add", net4, "via", V4[via]], n[k])
            if v6:
                sh(["ip", "-6", "route", "add", net6, "via", V6[via]], n[k])
    # impairments (with a tunnel: the inner packets, as they enter or leave it;
    # bridged tunnels in the bridge's forward hook)
    for k, inner in (("a", "c0"), ("b", "s0")):
        ns = n[k]
        rules = []
        inners = [inner, inner[0] + "1"] if o.twin else [inner]
        outers = (["t0", "t1"] if o.twin else ["t0"]) if o.tunnel else ["l0"]
        for fam in (("bridge",) if bridged(o) else ("ip", "ip6")):
            body = []
            if o.drop > 0:
                body += ['iifname "%s" numgen random mod 10000 < %d counter drop' % (i, pm(o.drop)) for i in inners]
            if o.drop_after > 0:
                body += ['iifname "%s" numgen random mod 10000 < %d counter drop' % (x, pm(o.drop_after))
                         for x in outers]
            if body:
                rules.append("table %s rtimp {\n chain rt_forward {\n  type filter hook forward priority 0; policy accept;\n  %s\n }\n}\n"
                             % (fam, "\n  ".join(body)))
        egress = []
        if o.dup > 0:
            # a copy of the frame as it leaves (after any fragmentation): the copy
            # passes this hook again, so it is copied again with the same chance
            egress.append('numgen random mod 10000 < %d counter dup to "l0"' % pm(o.dup))
        if o.reorder > 0:
            egress.append('numgen random mod 10000 < %d counter meta priority set 1:20' % pm(o.reorder))
        if egress:
            rules.append('table netdev rtre {\n chain rt_egress {\n  type filter hook egress device "l0" priority 0; '
                         'policy accept;\n  %s\n }\n}\n' % "\n  ".join(egress))
        if o.reorder > 0:
            sh(["tc", "qdisc", "add", "dev", "l0", "root", "handle", "1:", "htb", "default", "10", "r2q", "10000"], ns)
            sh(["tc", "class", "add", "dev", "l0", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit",
                "quantum", "200000"], ns)
            sh(["tc", "class", "add", "dev", "l0", "parent", "1:", "classid", "1:20", "htb", "rate", o.slow_rate,
                "ceil", o.slow_rate, "quantum", "1514"], ns)
            sh(["tc", "qdisc", "add", "dev", "l0", "parent", "1:20", "handle", "20:", "pfifo", "limit",
                str(o.slow_limit)], ns)
        if rules:
            path = os.path.join(o.out, "nft-%s.conf" % k)
            with open(path, "w") as f:
                f.write("".join(rules))
            sh(["nft", "-f", path], ns)
    return n


def build_tunnel(n, o):
    """t0 (and t1 with --twin) on routers a and b over l0; bridged kinds
    join c0/s0 (c1/s1) to it in br0 (br1)."""
    is_br, under, _fams, _name = TUNNELS[o.tunnel]
    U = V4 if under == 4 else V6
    nodf = bool(o.frag_mtu)
    for k, peer in (("a", "b"), ("b", "a")):
        ns = n[k]
        local, remote = U[k + "_l"], U[peer + "_l"]
        for i in range(2 if o.twin else 1):
            dev, key = "t%d" % i, o.tunnel_key + i
            kind = "vxlan" if o.tunnel == "vxlan6" else o.tunnel
            cmd = ["ip", "link", "add", dev, "type", kind]
            if kind in ("vxlan", "geneve"):
                cmd += ["id", str(key), "remote", remote] + (["local", local] if kind == "vxlan" else [])
                cmd += ["dstport", "4789" if kind == "vxlan" else "6081"]
                if nodf:
                    cmd += ["df", "unset"]
            else:
                cmd += ["local", local, "remote", remote]
                if kind in ("gre", "gretap", "ip6gre"):
                    cmd += ["key", str(key)]
                if kind == "ip6tnl":
                    cmd += ["mode", "any"]
                if nodf and kind in ("gre", "gretap", "ipip", "sit"):
                    cmd += ["nopmtudisc"]
            sh(cmd, ns)
            sh(["ip", "link", "set", dev, "mtu", "1400"], ns)
            if is_br:
                br, port = "br%d" % i, ("c%d" if k == "a" else "s%d") % i
                sh(["ip", "link", "add", br, "type", "bridge"], ns)
                for d in (port, dev):
                    sh(["ip", "link", "set", d, "master", br], ns)
                    sh(["ip", "link", "set", d, "up"], ns)
                sh(["ip", "link", "set", br, "up"], ns)
            else:
                sh(["ip", "addr", "add", "%s/24" % T4[k], "dev", dev], ns)
                sh(["ip", "-6", "addr", "add", "%s/64" % T6[k], "dev", dev, "nodad"], ns)
                sh(["ip", "link", "set", dev, "up"], ns)


def tunnel_suffix(o, i):
    """-T %U%u of the connections through tunnel i: "--" + the description."""
    import socket
    _b, under, _f, name = TUNNELS[o.tunnel]
    U = V4 if under == 4 else V6
    lo, hi = sorted((U["a_l"], U["b_l"]), key=lambda a: socket.inet_pton(
        socket.AF_INET6 if under == 6 else socket.AF_INET, a))
    keyed = o.tunnel in ("gre", "gretap", "ip6gre", "vxlan", "vxlan6", "geneve")
    return "--%s%s_%s_%s" % (name, ".%d" % (o.tunnel_key + i) if keyed else "", lo, hi)


def pm(pct):
    """percent -> per ten thousand, at least 1 when pct > 0"""
    return max(1, int(round(pct * 100)))


def split_conns(total, fams):
    per = [total // len(fams)] * len(fams)
    for i in range(total - sum(per)):
        per[i] += 1
    return per


def pcap_stats(path):
    """Walk the pcap (Ethernet) and count what the impairments produced."""
    st = {"packets": 0, "bytes": 0, "max_frame": 0, "tcp_segments": 0, "tcp_behind": 0,
          "v4_frags_to_server": 0, "v4_frags_to_client": 0, "v6_frag_headers": 0}
    high = {}
    with open(path, "rb") as f:
        gh = f.read(24)
        if len(gh) < 24:
            return st
        magic = struct.unpack("<I", gh[:4])[0]
        end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            _s, _u, incl, orig = struct.unpack(end + "IIII", h)
            d = f.read(incl)
            st["packets"] += 1
            st["bytes"] += incl
            st["max_frame"] = max(st["max_frame"], orig)
            if len(d) < 14:
                continue
            et = struct.unpack(">H", d[12:14])[0]
            ip = d[14:]
            if et == 0x0800 and len(ip) >= 20:
                ihl = (ip[0] & 15) * 4
                tot = struct.unpack(">H", ip[2:4])[0]
                fo = struct.unpack(">H", ip[6:8])[0]
                src, dst = ip[12:16], ip[16:20]
                if fo & 0x3fff:
                    key = "v4_frags_to_server" if dst == bytes([198, 18, 3, 2]) else "v4_frags_to_client"
                    st[key] += 1
                if ip[9] != 6 or (fo & 0x1fff):
                    continue
                tcp = ip[ihl:tot]
                if fo & 0x2000:  # first fragment: TCP header only
                    continue
            elif et == 0x86dd and len(ip) >= 40:
                if ip[6] == 44:
                    st["v6_frag_headers"] += 1
                if ip[6] != 6:
                    continue
                src, dst = ip[8:24], ip[24:40]
                tcp = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
            else:
                continue
            if len(tcp) < 20:
                continue
            sp, dp, seq = struct.unpack(">HHI", tcp[:8])
            doff = (tcp[12] >> 4) * 4
            plen = len(tcp) - doff
            if plen <= 0:
                continue
            st["tcp_segments"] += 1
            k = (src, sp, dst, dp)
            e = seq + plen
            if k in high:
                # sequence arithmetic relative to the highest end seen
                if ((e - high[k]) & 0xffffffff) >= 0x80000000 or e == high[k]:
                    st["tcp_behind"] += 1
                else:
                    high[k] = e & 0xffffffff
            else:
                high[k] = e & 0xffffffff
    return st


def start_tcpdump(ns, out):
    pcap = os.path.join(out, "capture.pcap")
    errf = open(os.path.join(out, "tcpdump.txt"), "w+")
    p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", "l0", "-n", "-s", "0", "-B", "65536",
                          "-Z", "root", "--immediate-mode", "-w", pcap], stdout=subprocess.DEVNULL, stderr=errf)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10:
        errf.seek(0)
        if "listening on" in errf.read():
            return p, errf
        if p.poll() is not None:
            break
        time.sleep(0.05)
    errf.seek(0)
    raise RuntimeError("tcpdump did not start: " + errf.read().strip())


def start_beside(ns, o):
    """--beside: the program under test, on l0 of namespace ns; returns (Popen, stderr file)."""
    import shlex
    argv = [w.replace("{iface}", "l0").replace("{out}", o.out) for w in shlex.split(o.beside)]
    outf = open(os.path.join(o.out, "beside.out"), "wb")
    errf = open(os.path.join(o.out, "beside.err"), "w+")
    p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdout=outf, stderr=errf)
    outf.close()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10:
        errf.seek(0)
        if o.beside_ready in errf.read():
            return p, errf
        if p.poll() is not None:
            break
        time.sleep(0.05)
    errf.seek(0)
    stop(p, signal.SIGKILL)
    raise RuntimeError("--beside did not start (no %r on stderr): %s" % (o.beside_ready, errf.read().strip()))


def stop(p, sig=signal.SIGTERM, wait=5):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(wait)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def merge(cl, sv):
    """plan conns from the two peers' logs; raises Infra on any inconsistency."""
    import socket
    norm = lambda a: socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, a)) if ":" in a else a
    srv = {}
    for r in sv["conns"]:
        if r["remote"] is not None:
            srv[(norm(r["remote"]), r["rport"])] = r
    conns, problems = [], []
    for r in cl["conns"]:
        if r["status"] != "ok":
            problems.append("client %s:%s: %s" % (r["local"], r["lport"], r["status"]))
            continue
        s = srv.pop((norm(r["local"]), r["lport"]), None)
        if s is None:
            problems.append("client %s:%s: the server has no record" % (r["local"], r["lport"]))
            continue
        if s["status"] != "ok":
            problems.append("server side of %s:%s: %s" % (r["local"], r["lport"], s["status"]))
            continue
        if (s["recv_len"], s["recv_sha256"]) != (r["sent_len"], r["sent_sha256"]) or \
                (r["recv_len"], r["recv_sha256"]) != (s["sent_len"], s["sent_sha256"]):
            problems.append("%s:%s: bytes received differ from bytes sent" % (r["local"], r["lport"]))
            continue
        conns.append({"family": 6 if ":" in r["local"] else 4,
                      "client": norm(r["local"]), "cport": r["lport"],
                      "server": norm(r["remote"]), "sport": r["rport"],
                      "c2s": {"seed": r["sent_seed"], "len": r["sent_len"], "sha256": r["sent_sha256"]},
                      "s2c": {"seed": s["sent_seed"], "len": s["sent_len"], "sha256": s["sent_sha256"]}})
    for k, s in srv.items():
        problems.append("server record without client record: %s:%s (%s)" % (k[0], k[1], s["status"]))
    return conns, problems


def capture(o):
    probe()
    if o.frag_mtu and 6 in o.families and o.frag_mtu < 1280 and not o.tunnel:
        raise RuntimeError("--frag-mtu below 1280 disables IPv6 on the middle link: use --families 4")
    if o.tunnel:
        if o.tunnel not in TUNNELS:
            raise RuntimeError("--tunnel: one of " + ", ".join(sorted(TUNNELS)))
        if any(f not in TUNNELS[o.tunnel][2] for f in o.families):
            raise RuntimeError("--tunnel %s carries IPv%s only" % (o.tunnel, "/".join(map(str, TUNNELS[o.tunnel][2]))))
        if o.frag_mtu and TUNNELS[o.tunnel][1] == 6:
            raise RuntimeError("--frag-mtu with a tunnel needs an IPv4 underlay")
        if o.frag_mtu and o.frag_mtu < 1280 and 6 in o.families and TUNNELS[o.tunnel][1] == 6:
            raise RuntimeError("--frag-mtu below 1280 on an IPv6 underlay")
        if shutil.which("modprobe"):
            sh(["modprobe", "-q", {"vxlan6": "vxlan", "gretap": "ip_gre", "gre": "ip_gre", "sit": "sit",
                                   "ipip": "ipip", "ip6tnl": "ip6_tunnel", "ip6gre": "ip6_gre",
                                   "geneve": "geneve", "vxlan": "vxlan"}[o.tunnel]], check=False)
    if o.twin and not bridged(o):
        raise RuntimeError("--twin needs a bridged tunnel (gretap, vxlan, vxlan6, geneve)")
    os.makedirs(o.out, exist_ok=True)
    tag = o.tag or "rt%d" % os.getpid()
    seed = o.seed or os.urandom(6).hex()
    procs = []
    td = bs = None
    try:
        n = build(tag, o)
        td, tdout = start_tcpdump(n["a"], o.out)
        if o.beside:
            bs, bserr = start_beside(n["a"], o)
            bs_t0 = time.monotonic()
        per = split_conns(o.conns, o.families)
        common = ["--seed", seed, "--max-size", str(o.max_size), "--zero-pct", str(o.zero_pct),
                  "--timeout", str(o.timeout), "--gate-timeout", str(min(o.timeout / 2, 20))]
        if o.frag_mtu and not o.tunnel:
            common.append("--no-df")
        if o.twin:
            common += ["--cport-base", str(CPORT_BASE)]
        peer = os.path.join(HERE, "peer.py")
        pairs = [("c", "s", "", seed)] + ([("c2", "s2", "2", seed + "t")] if o.twin else [])
        listen = []
        for fam in o.families:
            listen += ["--listen", host(o, "s", fam)]
        targets = []
        for fam, cnt in zip(o.families, per):
            if cnt:
                targets += ["--target", "%s,%d,%d" % (host(o, "s", fam), PORT, cnt)]
        servers, clients = [], []
        for cns, sns, sfx, sd in pairs:
            args = [a if a != seed else sd for a in common]
            sv = subprocess.Popen(["ip", "netns", "exec", n[sns], PY, peer, "server", "--port", str(PORT),
                                   "--expect", str(o.conns), "--log", os.path.join(o.out, "server%s.json" % sfx)]
                                  + listen + args, stdout=subprocess.PIPE, text=True)
            procs.append(sv)
            servers.append(sv)
            line = sv.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError("server did not start")
        t0 = time.monotonic()
        for cns, sns, sfx, sd in pairs:
            args = [a if a != seed else sd for a in common]
            cl = subprocess.Popen(["ip", "netns", "exec", n[cns], PY, peer, "client", "--log",
                                   os.path.join(o.out, "client%s.json" % sfx)] + targets + args)
            procs.append(cl)
            clients.append(cl)
        try:
            crc = max(cl.wait(o.timeout + 15) for cl in clients)
            src = max(sv.wait(15) for sv in servers)
        except subprocess.TimeoutExpired:
            raise Infra("the peers did not finish in time")
        secs = time.monotonic() - t0
        time.sleep(1.0)  # let the last FIN/ACKs reach the capture
        if bs is not None:
            # SIGINT is a live capture's normal stop: it may take a while to
            # write out what it holds, so it gets --beside-wait seconds
            bs_live = bs.poll() is None
            stop(bs, signal.SIGINT, o.beside_wait)
            with open(os.path.join(o.out, "beside.json"), "w") as f:
                json.dump({"rc": bs.returncode, "alive_at_end": bs_live,
                           "seconds": round(time.monotonic() - bs_t0, 1)}, f)
        stop(td, signal.SIGINT)
        tdout.seek(0)
        tdtext = tdout.read()
        m = re.search(r"(\d+) packets dropped by kernel", tdtext)
        if not m:
            raise Infra("tcpdump statistics missing: " + tdtext.strip())
        if int(m.group(1)) != 0:
            raise Infra("tcpdump: %s packets dropped by kernel (capture incomplete)" % m.group(1))
        m1 = re.search(r"(\d+) packets captured", tdtext)
        m2 = re.search(r"(\d+) packets received by filter", tdtext)
        if not m1 or not m2 or m1.group(1) != m2.group(1):
            raise Infra("tcpdump: captured and received-by-filter counts differ: " + tdtext.strip())
        conns, problems = [], []
        for i, (cns, sns, sfx, sd) in enumerate(pairs):
            with open(os.path.join(o.out, "client%s.json" % sfx)) as f:
                clj = json.load(f)
            with open(os.path.join(o.out, "server%s.json" % sfx)) as f:
                svj = json.load(f)
            cs, ps = merge(clj, svj)
            if o.twin:
                for c in cs:
                    c["name_suffix"] = tunnel_suffix(o, i)
            conns += cs
            problems += ps
        if problems or crc or src:
            for p in problems[:20]:
                log(p)
            raise Infra("traffic incomplete: %d problem(s), client exit %s, server exit %s"
                        % (len(problems), crc, src))
        counters = {}
        for k in ("a", "b"):
            counters[k] = sh(["nft", "list", "ruleset"], n[k]).stdout
            if o.reorder > 0:
                counters[k] += sh(["tc", "-s", "class", "show", "dev", "l0"], n[k]).stdout
        with open(os.path.join(o.out, "impairments.txt"), "w") as f:
            for k, v in counters.items():
                f.write("### router %s\n%s\n" % (k, v))
        st = pcap_stats(os.path.join(o.out, "capture.pcap"))
        st["seconds"] = round(secs, 1)
        st["payload_bytes"] = sum(c["c2s"]["len"] + c["s2c"]["len"] for c in conns)
        # the rate the lab reached: payload, and frames as captured on l0
        st["payload_mbit_s"] = round(st["payload_bytes"] * 8 / 1e6 / max(secs, 0.001), 1)
        st["packets_s"] = int(st["packets"] / max(secs, 0.001))
        st["dropped_by_impairment"] = sum(int(x) for x in re.findall(r"counter packets (\d+) bytes \d+ drop",
                                                                     "".join(counters.values())))
        st["duplicated_by_impairment"] = sum(int(x) for x in re.findall(r"counter packets (\d+) bytes \d+ dup",
                                                                        "".join(counters.values())))
        st["reordered_by_impairment"] = sum(int(x) for x in re.findall(r"counter packets (\d+) bytes \d+ meta priority",
                                                                       "".join(counters.values())))
        mtu = o.frag_mtu or 1500
        if st["max_frame"] > mtu + 14:
            raise Infra("capture holds a %d-byte frame on a link of MTU %d: offloads still on?"
                        % (st["max_frame"], mtu))
        opts = {k: getattr(o, k) for k in ("conns", "families", "max_size", "zero_pct", "drop", "drop_after",
                                           "dup", "reorder", "slow_rate", "frag_mtu", "tunnel", "tunnel_key",
                                           "twin")}
        plan = {"seed": seed, "options": opts, "capture_stats": st, "conns": conns}
        with open(os.path.join(o.out, "plan.json"), "w") as f:
            json.dump(plan, f, indent=1)
        total = sum(c["c2s"]["len"] + c["s2c"]["len"] for c in conns)
        log("seed %s: %d connections, %d payload bytes in %.1fs; capture: %d packets, %d bytes; %s"
            % (seed, len(conns), total, secs, st["packets"], st["bytes"],
               ", ".join("%s=%s" % (k, v) for k, v in st.items()
                         if k not in ("packets", "bytes", "seconds"))))
        return 0
    finally:
        for p in reversed(procs):
            stop(p)
        stop(bs, signal.SIGKILL)
        stop(td, signal.SIGINT)
        if not o.keep_ns:
            teardown(tag)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("probe")
    c = sub.add_parser("capture")
    c.add_argument("--out", required=True)
    c.add_argument("--conns", type=int, default=40, help="connections in total, split over --families")
    c.add_argument("--families", default="4,6")
    c.add_argument("--max-size", type=int, default=1 << 20, help="largest payload per direction")
    c.add_argument("--zero-pct", type=float, default=10.0, help="%% of directions that send nothing")
    c.add_argument("--drop", type=float, default=0.0)
    c.add_argument("--drop-after", type=float, default=0.0)
    c.add_argument("--dup", type=float, default=0.0)
    c.add_argument("--reorder", type=float, default=0.0)
    c.add_argument("--slow-rate", default="4mbit")
    c.add_argument("--slow-limit", type=int, default=40)
    c.add_argument("--frag-mtu", type=int, default=0)
    c.add_argument("--tunnel", default=None, help="gre, ipip, sit, ip6tnl, ip6gre, gretap, vxlan, vxlan6, geneve")
    c.add_argument("--tunnel-key", type=int, default=42, help="GRE key or VNI")
    c.add_argument("--twin", action="store_true", help="a second pair with the same addresses, tunnel key + 1")
    c.add_argument("--seed", default=None)
    c.add_argument("--timeout", type=float, default=60.0, help="seconds the peers may take")
    c.add_argument("--tag", default=None, help="namespace name prefix (default rt<pid>)")
    c.add_argument("--keep-ns", action="store_true", help="leave the namespaces (debugging)")
    c.add_argument("--beside", default=None, help="a program run on a:l0 beside tcpdump ({iface}, {out})")
    c.add_argument("--beside-ready", default="listening on", help="text on its stderr once it captures")
    c.add_argument("--beside-wait", type=float, default=120.0, help="seconds it may take to stop after SIGINT")
    k = sub.add_parser("check")
    k.add_argument("--plan", required=True)
    k.add_argument("--outdir", required=True)
    k.add_argument("--label", default="tcpflow")
    k.add_argument("--max-lines", type=int, default=200)
    t = sub.add_parser("teardown")
    t.add_argument("--tag", required=True)
    o = ap.parse_args()

    def on_signal(signum, frame):
        raise Stop()
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        if o.cmd == "probe":
            probe()
            return 0
        if o.cmd == "teardown":
            teardown(o.tag)
            return 0
        if o.cmd == "check":
            import check
            if not os.path.isfile(o.plan):
                print("%s: no plan %s" % (o.label, o.plan))
                return 1
            with open(o.plan) as f:
                plan = json.load(f)
            if not os.path.isdir(o.outdir):
                print("%s: no output directory %s" % (o.label, o.outdir))
                return 1
            return 1 if check.check(plan, o.outdir, o.max_lines, label=o.label) else 0
        o.families = [int(x) for x in o.families.split(",") if x]
        if not o.families or any(f not in (4, 6) for f in o.families):
            ap.error("--families: 4, 6 or 4,6")
        return capture(o)
    except Skip as e:
        print(str(e))
        return 77
    except Infra as e:
        log("FAILED:", e)
        return 2
    except Stop:
        log("interrupted")
        return 130
    except RuntimeError as e:
        log("ERROR:", e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
