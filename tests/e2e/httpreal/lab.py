#!/usr/bin/python3
"""Real HTTP/1.1 traffic (nginx, curl, a pipelining client) between network
namespaces, captured on the router, run through `tcpflow -e http`; every
response body and every request body, decoded, must be what was served or
uploaded, byte for byte, and its report <byte_run> must say so (method,
URI, status, complete, size, SHA-256).

  lab.py --tcpflow BIN --work DIR [--seed S] [--no-impair] [--conns N]

The lab is tests/e2e/realtraffic/netlab.py's (client, two routers, server;
its drop/dup/reorder impairments, light, unless --no-impair).  Content is
new every run (random sizes and bytes, text-like and binary).  nginx serves:
  /dyn/F   gzip or brotli on the fly (chunked), as the client's Accept-Encoding asks
  /gz/F /zst/F /zlib/F /raw/F /gzbr/F /brzstd/F   precompressed, sent with
           Content-Encoding gzip, zstd, deflate (zlib), deflate (raw),
           "gzip, br", "br, zstd" and a Content-Length
  /up/F    PUT (WebDAV), /sink POST and PATCH (body read, "ok" back, chunked)
  /204, and 304 (If-Modified-Since in the future), 404
Each client connection is one curl with many requests (--next: one
keep-alive connection): GET, HEAD, ranges, every coding, uploads of
several MB with a length or chunked, with and without Expect: 100-continue;
one HTTP/1.0 request whose gzip body ends with the connection; one raw
socket client that pipelines requests.
tcpflow runs twice: with flow files, then with -FX -j 3 (no flow files,
worker threads), whose body files must be the same, names and bytes.
Exit: 0 all exact; 1 a mismatch (details printed, DIR kept); 2 the traffic
failed; 77 cannot run here.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zlib

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "realtraffic"))
import netlab  # noqa: E402

SRV4, SRV6 = netlab.V4["s"], netlab.V6["s"]
PORT = 80
MODDIR = "/usr/share/nginx/modules"
WORDS = ("the of and to in is was that for on with as by at from this be are or an which http "
         "request response body chunk gzip brotli zstd header value capture flow packet tcp").split()


def log(*a):
    print("httpreal:", *a, file=sys.stderr, flush=True)


class Skip(Exception):
    pass


def need():
    netlab.probe()
    for tool, pkg in (("nginx", "nginx-light"), ("curl", "curl"), ("brotli", "brotli"), ("zstd", "zstd")):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            raise Skip("needs %s (Debian package %s)" % (tool, pkg))
    for m in ("ngx_http_brotli_filter_module.so", "ngx_http_echo_module.so"):
        if not os.path.exists(os.path.join(MODDIR, m)):
            raise Skip("needs %s (libnginx-mod-http-brotli-filter, libnginx-mod-http-echo)" % m)


def content(rng, size):
    if rng.random() < 0.3:
        return rng.randbytes(size)
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choices(WORDS, k=rng.randint(3, 14))) + " %d\n" % rng.randint(0, 1 << 30)
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]


def size(rng, big=False):
    r = rng.random()
    if r < 0.08:
        return 0
    if r < 0.3:
        return rng.randint(1, 2000)
    if r < 0.8 or not big:
        return rng.randint(2000, 400000)
    return rng.randint(1 << 20, 5 << 20)


def run(cmd, inp=None):
    r = subprocess.run(cmd, input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    return r.stdout


def make_site(rng, work):
    """Files under www/; returns {name: original bytes}."""
    www = os.path.join(work, "www")
    for d in ("dyn", "gz", "zst", "zlib", "raw", "gzbr", "brzstd", "up"):
        os.makedirs(os.path.join(www, d), exist_ok=True)
    orig = {}
    for i in range(24):
        data = content(rng, size(rng, big=i % 6 == 0))
        name = "f%02d" % i
        orig[name] = data
        with open(os.path.join(www, "dyn", name), "wb") as f:
            f.write(data)
    pre = {}
    for name, data in list(orig.items())[:12]:
        # (levels kept moderate: brotli 10-11 and zstd 15+ take seconds a MB on a loaded machine)
        br = run(["brotli", "-c", "-q", str(rng.randint(1, 9))], data)
        zs = run(["zstd", "-c", "-q", "-%d" % rng.randint(1, 12)], data)
        co = zlib.compressobj(rng.randint(1, 9), zlib.DEFLATED, -15)
        raw = co.compress(data) + co.flush()
        pre[name] = {"gz": gzip.compress(data, rng.randint(1, 9)), "zst": zs, "zlib": zlib.compress(data),
                     "raw": raw, "gzbr": run(["brotli", "-c", "-q", "5"], gzip.compress(data, 6)),
                     "brzstd": run(["zstd", "-c", "-q", "-3"], br)}
        for kind, blob in pre[name].items():
            with open(os.path.join(www, kind, name), "wb") as f:
                f.write(blob)
    return www, orig


NGINX_CONF = """
user root;
worker_processes 1;
daemon off;
pid %(work)s/nginx.pid;
error_log %(work)s/nginx-error.log info;
load_module %(mod)s/ngx_http_brotli_filter_module.so;
load_module %(mod)s/ngx_http_echo_module.so;
events { worker_connections 256; }
http {
  access_log %(work)s/nginx-access.log;
  client_body_temp_path %(work)s/tmp;
  proxy_temp_path %(work)s/tmp; fastcgi_temp_path %(work)s/tmp; uwsgi_temp_path %(work)s/tmp;
  scgi_temp_path %(work)s/tmp;
  default_type application/octet-stream;
  types { text/html html; text/plain txt; }
  keepalive_requests 10000; keepalive_timeout 120s;
  client_max_body_size 100m;
  if_modified_since before;
  sendfile off;
  server {
    listen %(v4)s:%(port)d; listen [%(v6)s]:%(port)d;
    root %(www)s;
    location /dyn/ { gzip on; gzip_types *; gzip_min_length 1; gzip_http_version 1.0; gzip_comp_level 5;
                     brotli on; brotli_types *; brotli_min_length 1; brotli_comp_level 4; }
    location /gz/ { add_header Content-Encoding gzip; }
    location /zst/ { add_header Content-Encoding zstd; }
    location /zlib/ { add_header Content-Encoding deflate; }
    location /raw/ { add_header Content-Encoding deflate; }
    location /gzbr/ { add_header Content-Encoding "gzip, br"; }
    location /brzstd/ { add_header Content-Encoding "br, zstd"; }
    location /up/ { dav_methods PUT; create_full_put_path on; dav_access user:rw; }
    location = /sink { echo_read_request_body; echo "ok $request_method $content_length"; }
    location = /204 { return 204; }
  }
}
"""


class Req:
    def __init__(self, method, path, status, body=None, upload=None, curl=(), kind=""):
        self.method, self.path, self.status = method, path, status
        self.body = body          # expected decoded response body (None: not checked; b"": none)
        self.upload = upload      # expected request body
        self.curl = list(curl)
        self.kind = kind


KINDS = ["identity", "gzip-dyn", "br-dyn", "gz", "zst", "zlib", "raw", "gzbr", "brzstd", "head", "range", "304",
         "204", "404", "upload"]
WEIGHTS = [12, 12, 12, 3, 3, 2, 2, 3, 3, 6, 6, 4, 2, 2, 28]


def plan_conn(rng, orig, work, ci):
    """One keep-alive connection's requests; the first connection has every kind."""
    names = sorted(orig)
    pren = names[:12]
    kinds = [rng.choices(KINDS, WEIGHTS)[0] for _ in range(rng.randint(10, 18))]
    if ci == 0:
        kinds = KINDS + ["upload"] * 3 + kinds[:4]
        rng.shuffle(kinds)
    reqs = []
    for j, kind in enumerate(kinds):
        n = rng.choice(names)
        data = orig[n]
        if kind == "range" and len(data) < 10:
            n = max(names, key=lambda x: len(orig[x]))
            data = orig[n]
        if kind == "identity":
            reqs.append(Req("GET", "/dyn/" + n, 200, data, kind=kind))
        elif kind == "gzip-dyn":
            reqs.append(Req("GET", "/dyn/" + n, 200, data, curl=["-H", "Accept-Encoding: gzip"], kind=kind))
        elif kind == "br-dyn":
            reqs.append(Req("GET", "/dyn/" + n, 200, data, curl=["-H", "Accept-Encoding: br"], kind=kind))
        elif kind in ("gz", "zst", "zlib", "raw", "gzbr", "brzstd"):
            p = rng.choice(pren)
            reqs.append(Req("GET", "/%s/%s" % (kind, p), 200, orig[p], kind=kind))
        elif kind == "head":
            reqs.append(Req("HEAD", "/dyn/" + n, 200, b"", curl=["-I"], kind=kind))
        elif kind == "range":
            a = rng.randint(0, len(data) - 2)
            b = rng.randint(a, len(data) - 1)
            reqs.append(Req("GET", "/dyn/" + n, 206, data[a:b + 1], curl=["-r", "%d-%d" % (a, b)], kind=kind))
        elif kind == "304":
            reqs.append(Req("GET", "/dyn/" + n, 304, b"",
                            curl=["-H", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"], kind=kind))
        elif kind == "204":
            reqs.append(Req("GET", "/204", 204, b"", kind=kind))
        elif kind == "404":
            reqs.append(Req("GET", "/nothing-here-%d" % j, 404, None, kind=kind))
        else:
            up = content(rng, rng.choice([rng.randint(1, 5000), rng.randint(100000, 900000),
                                          rng.randint(1 << 20, 6 << 20)]))
            fn = os.path.join(work, "upload-%d-%d" % (ci, j))
            with open(fn, "wb") as f:
                f.write(up)
            expect = rng.choice([["-H", "Expect: 100-continue"], ["-H", "Expect:"]])
            chunked = rng.random() < 0.4
            te = ["-H", "Transfer-Encoding: chunked"] if chunked else []
            m = rng.choice(["PUT", "PUT", "POST", "PATCH"])
            k = "%s%s%s" % (m.lower(), "-chunked" if chunked else "", "-expect" if expect[1] != "Expect:" else "")
            if m == "PUT":
                reqs.append(Req("PUT", "/up/c%d-%d" % (ci, j), None, None, up,
                                curl=["-T", fn] + expect + te, kind=k))
            else:
                reqs.append(Req(m, "/sink", 200, None, up,
                                curl=["-X", m, "--data-binary", "@" + fn, "-H", "Content-Type: application/octet-stream"]
                                + expect + te, kind=k))
    return reqs


def curl_cmd(reqs, host):
    cmd = ["curl", "-sS", "--http1.1", "--max-time", "100", "--expect100-timeout", "5"]
    for i, r in enumerate(reqs):
        if i:
            cmd.append("--next")
        cmd += ["-o", "/dev/null", "-w", "%{local_port} %{http_code} %{num_connects}\\n"] + r.curl
        cmd.append("http://%s%s" % (host, r.path))
    return cmd


def pipeline_client(ns, host, fam, paths, out):
    """A raw client that sends all its requests in one write (pipelining)."""
    code = r"""
import socket, sys, json
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.connect((sys.argv[2], 80))
paths = json.loads(sys.argv[3])
msg = b""
for i, (m, p) in enumerate(paths):
    last = i == len(paths) - 1
    msg += ("%s %s HTTP/1.1\r\nHost: lab\r\nAccept-Encoding: gzip\r\n%s\r\n" % (m, p, "Connection: close\r\n" if last else "")).encode()
s.sendall(msg)
n = 0
while True:
    b = s.recv(65536)
    if not b:
        break
    n += len(b)
print(s.getsockname()[1], n)
"""
    r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code, str(fam), host, json.dumps(paths)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, text=True)
    if r.returncode != 0:
        raise RuntimeError("pipelining client: " + r.stderr)
    return int(r.stdout.split()[0])


def lab_opts(work, impair):
    o = argparse.Namespace(out=work, drop=0.0, drop_after=0.0, dup=0.0, reorder=0.0, frag_mtu=0,
                           slow_rate="20mbit", slow_limit=400)
    if impair:
        o.drop, o.drop_after, o.dup, o.reorder = 0.5, 0.3, 0.3, 0.5
    return o


def traffic(o, work, rng, orig):
    tag = "hr%d" % os.getpid()
    n = netlab.build(tag, lab_opts(work, not o.no_impair))
    procs = []
    td = None
    try:
        os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF % {"work": work, "mod": MODDIR, "v4": SRV4, "v6": SRV6, "port": PORT,
                                  "www": os.path.join(work, "www")})
        td, tdout = netlab.start_tcpdump(n["a"], work)
        ng = subprocess.Popen(["ip", "netns", "exec", n["s"], "nginx", "-c", conf, "-e", os.path.join(work, "nginx-stderr.log")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(ng)
        for _ in range(100):
            r = subprocess.run(["ip", "netns", "exec", n["c"], "curl", "-s", "-o", "/dev/null", "--max-time", "1",
                                "http://%s/204" % SRV4], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("nginx did not start: " + open(os.path.join(work, "nginx-error.log")).read()[-2000:])
        conns = []
        running = []
        for ci in range(o.conns):
            fam = 6 if ci % 3 == 2 else 4
            host = SRV4 if fam == 4 else "[%s]" % SRV6
            reqs = plan_conn(rng, orig, work, ci)
            p = subprocess.Popen(["ip", "netns", "exec", n["c"]] + curl_cmd(reqs, host),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            running.append((ci, fam, reqs, p))
        for ci, fam, reqs, p in running:
            out, err = p.communicate(timeout=150)
            lines = out.split()
            if p.returncode != 0 or len(lines) != 3 * len(reqs):
                raise RuntimeError("curl %d exited %d: %s" % (ci, p.returncode, err.strip()[-500:]))
            ports = {lines[3 * i] for i in range(len(reqs))}
            if len(ports) != 1 or any(lines[3 * i + 2] != "0" for i in range(1, len(reqs))):
                raise RuntimeError("curl %d did not keep one connection: %s" % (ci, out))
            for i, r in enumerate(reqs):
                code = int(lines[3 * i + 1])
                if r.status is None:
                    r.status = code
                elif code != r.status:
                    raise RuntimeError("curl %d request %d %s %s: status %d, expected %d"
                                       % (ci, i + 1, r.method, r.path, code, r.status))
            conns.append({"fam": fam, "port": int(lines[0]), "reqs": reqs})
        # HTTP/1.0: a gzip body that ends with the connection
        nm = sorted(orig)[0]
        r10 = Req("GET", "/dyn/" + nm, 200, orig[nm], kind="http1.0-gzip-close")
        out = run(["ip", "netns", "exec", n["c"], "curl", "-sS", "-0", "-H", "Accept-Encoding: gzip", "-o", "/dev/null",
                   "-w", "%{local_port} %{http_code}", "http://%s/dyn/%s" % (SRV4, nm)]).decode().split()
        conns.append({"fam": 4, "port": int(out[0]), "reqs": [r10]})
        # pipelining
        pn = sorted(orig)[1:5]
        preqs = [Req("GET", "/dyn/" + pn[0], 200, orig[pn[0]], kind="pipelined-gzip"),
                 Req("HEAD", "/dyn/" + pn[1], 200, b"", kind="pipelined-head"),
                 Req("GET", "/gz/" + sorted(orig)[2], 200, orig[sorted(orig)[2]], kind="pipelined-gz"),
                 Req("GET", "/dyn/" + pn[3], 200, orig[pn[3]], kind="pipelined-gzip")]
        port = pipeline_client(n["c"], SRV4, 4, [(r.method, r.path) for r in preqs], work)
        conns.append({"fam": 4, "port": port, "reqs": preqs})
        time.sleep(1.0)
        netlab.stop(td, signal.SIGINT)
        tdout.seek(0)
        text = tdout.read()
        dr = re.search(r"(\d+) packets dropped by kernel", text)
        if not dr or dr.group(1) != "0":
            raise RuntimeError("tcpdump dropped packets: " + text)
        return conns
    finally:
        for p in procs:
            netlab.stop(p, signal.SIGQUIT)
        netlab.stop(td, signal.SIGINT)
        netlab.teardown(tag)


def flow_name(fam, a, ap, b, bp):
    def ip(x):
        if fam == 4:
            return ".".join("%03d" % int(v) for v in x.split("."))
        return x
    return "%s.%05d-%s.%05d" % (ip(a), ap, ip(b), bp)


# tcpflow runs: the flow files and bodies, with the bodies' SHA-256; then no
# flow files (bodies named as the flows would have been) on worker threads,
# which must give the same bodies.
RUNS = [("files", ["-S", "http_digest=YES"]), ("-FX -j 3", ["-FX", "-j", "3"])]


def report_runs(out):
    """{(src, sport, dst, dport): [(body file name, http attrs, sha256)]} from report.xml."""
    import xml.etree.ElementTree as ET
    res = {}
    for fo in ET.parse(os.path.join(out, "report.xml")).getroot().iter():
        if not fo.tag.endswith("fileobject"):
            continue
        tf, br = fo.find("{*}tcpflow"), fo.find("{*}byte_runs")
        if tf is None or br is None:
            continue
        key = (tf.get("src_ipn"), int(tf.get("srcport")), tf.get("dst_ipn"), int(tf.get("dstport")))
        lst = res.setdefault(key, [])
        for r in br:
            inner = r.find("{*}fileobject")
            http, dg = inner.find("{*}http"), inner.find("{*}hashdigest")
            lst.append((os.path.basename(inner.find("{*}filename").text), dict(http.attrib),
                        dg.text if dg is not None else None, int(inner.find("{*}filesize").text)))
    return res


def check(o, work, conns, orig):
    ok = True
    first = None
    for label, extra in RUNS:
        out = os.path.join(work, "out" if label == "files" else "out-nofiles")
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.monotonic()
        r = subprocess.run([o.tcpflow, "-e", "http"] + extra + ["-r", os.path.join(work, "capture.pcap"), "-o", out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        secs = time.monotonic() - t0
        if r.returncode != 0:
            print("tcpflow -e http %s exited %d: %s" % (" ".join(extra), r.returncode, r.stdout[-2000:]))
            return False
        print("tcpflow -e http %s (%.2fs):" % (" ".join(extra), secs))
        files = {fn: open(os.path.join(out, fn), "rb").read() for fn in os.listdir(out)
                 if "-HTTPBODY-" in fn or "-HTTPREQBODY-" in fn}
        ok = check_output(out, conns, files, label) and ok
        if first is None:
            first = files
        elif files != first:
            diff = sorted(set(files) ^ set(first)) + sorted(k for k in files if k in first and files[k] != first[k])
            print("MISMATCH %s: body files differ from the run with flow files: %s" % (label, diff[:10]))
            ok = False
    return ok


def check_output(out, conns, files, label):
    rr = report_runs(out)
    bad = []
    nbodies = {"resp": 0, "req": 0}
    kinds = {}
    seen = set()
    for c in conns:
        cli, srv = (netlab.V4["c"], SRV4) if c["fam"] == 4 else (netlab.V6["c"], SRV6)
        c["req_file"] = flow_name(c["fam"], cli, c["port"], srv, PORT)
        c["resp_file"] = flow_name(c["fam"], srv, PORT, cli, c["port"])
        req_runs = rr.get((cli, c["port"], srv, PORT), [])
        resp_runs = rr.get((srv, PORT, cli, c["port"]), [])
        for fn, at, dg, size in req_runs + resp_runs:
            seen.add(fn)
            data = files.get(fn)
            if label == "files" and not dg:
                bad.append("%s: no <hashdigest> with http_digest=YES" % fn)
            if data is None or len(data) != size or (dg and hashlib.sha256(data).hexdigest() != dg):
                bad.append("%s: file missing, or not the size or digest of its <byte_run>" % fn)
            want = c["req_file"] if "-HTTPREQBODY-" in fn else c["resp_file"]
            if not fn.startswith(want + "-HTTP"):
                bad.append("%s: not named after its flow %s" % (fn, want))
        by_req = {}
        for fn, at, dg, size in resp_runs:
            if int(at.get("status", "0")) >= 200:
                by_req.setdefault(int(at.get("request", "0")), []).append((fn, at))
        req_body = {int(fn.rsplit("-", 1)[1].split(".")[0]): (fn, at) for fn, at, dg, size in req_runs}
        for i, rq in enumerate(c["reqs"], 1):
            what = "%s #%d %s %s (%s)" % (c["req_file"], i, rq.method, rq.path, rq.kind)
            if rq.upload is not None:
                fn, at = req_body.get(i, (None, {}))
                got = files.get(fn, b"")
                if got != rq.upload:
                    bad.append(what + ": request body %d bytes, uploaded %d (%s)" % (len(got), len(rq.upload), at))
                elif at.get("method") != rq.method or at.get("uri") != rq.path or at.get("complete") != "1":
                    bad.append(what + ": request body's report says %s" % at)
                else:
                    nbodies["req"] += 1
                    kinds[rq.kind] = kinds.get(rq.kind, 0) + 1
            elif i in req_body:
                bad.append(what + ": a request body file for a request without one: %s" % req_body[i][0])
            if rq.body is None:
                continue
            got = by_req.get(i, [])
            if not rq.body:
                if got:
                    bad.append(what + ": a response body file for a response without one: %s" % got[0][0])
                elif rq.upload is None:
                    kinds[rq.kind] = kinds.get(rq.kind, 0) + 1
                continue
            if len(got) != 1:
                bad.append(what + ": %d response bodies (%s)" % (len(got), [g[0] for g in got]))
                continue
            fn, at = got[0]
            data = files.get(fn, b"")
            if data != rq.body:
                bad.append(what + ": response body %d bytes, expected %d (%s)" % (len(data), len(rq.body), at))
            elif int(at.get("status", "0")) != rq.status or at.get("complete") != "1" or \
                    at.get("method") != rq.method or at.get("uri") != rq.path:
                bad.append(what + ": response body's report says %s" % at)
            else:
                nbodies["resp"] += 1
                if rq.upload is None:
                    kinds[rq.kind] = kinds.get(rq.kind, 0) + 1
    for fn in sorted(set(files) - seen):
        bad.append("%s: a body file no <byte_run> of these connections names" % fn)
    nreq = sum(len(c["reqs"]) for c in conns)
    print("  %s: %d connections, %d requests; %d response bodies and %d request bodies exact; %d body files"
          % (label, len(conns), nreq, nbodies["resp"], nbodies["req"], len(files)))
    print("  checked by kind: " + ", ".join("%s=%d" % kv for kv in sorted(kinds.items())))
    for b in bad[:40]:
        print("MISMATCH " + b)
    return not bad


class Stop(BaseException):
    pass


def on_signal(signum, frame):
    raise Stop()


def main():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)   # so that the lab's finally clauses tear it down
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpflow", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", default=None)
    ap.add_argument("--conns", type=int, default=6)
    ap.add_argument("--no-impair", action="store_true")
    o = ap.parse_args()
    o.work = os.path.abspath(o.work)
    try:
        need()
    except (Skip, netlab.Skip) as e:
        print(str(e))
        return 77
    seed = o.seed or os.urandom(6).hex()
    print("seed %s" % seed)
    rng = random.Random(seed)
    os.makedirs(o.work, exist_ok=True)
    www, orig = make_site(rng, o.work)
    try:
        conns = traffic(o, o.work, rng, orig)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        log("traffic failed:", e)
        return 2
    except Stop:
        log("interrupted")
        return 130
    return 0 if check(o, o.work, conns, orig) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Stop:
        log("interrupted")
        sys.exit(130)
