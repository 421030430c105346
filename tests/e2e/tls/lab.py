#!/usr/bin/python3
"""Real TLS traffic for the tls scanner's end-to-end test (t_tls.sh).

  lab.py capture --out DIR [--tag T] [--drop P --drop-after P --dup P --reorder P] [--beside CMD]
  lab.py check --dir DIR --flows OUT [--tshark] [--http]

capture builds the client/router/server lab of tests/e2e/realtraffic/netlab.py
(same impairments), captures the middle link with tcpdump, and runs:
  - nginx (one server block per case, each on its own port) and curl
    --http1.1 with SSLKEYLOGFILE: TLS 1.3 with each of its three suites,
    TLS 1.2 with AES-GCM, ChaCha20-Poly1305 and AES-CBC (SHA-1, SHA-256,
    SHA-384; encrypt-then-MAC and MAC-then-encrypt), ECDHE and RSA key
    exchange; each a keep-alive connection that GETs random files and PUTs
    one (WebDAV); resumption cases open one connection per request
    (Connection: close) so curl resumes its session (1.3 PSK, 1.2 ticket,
    1.2 session id);
  - Python ssl client and server, TLS 1.3 and 1.2, resuming sessions;
  - openssl s_client/s_server: a HelloRetryRequest with KeyUpdates both
    ways, and 0-RTT early data accepted and rejected.
DIR gets capture.pcap, keys.log, www/ (the served files), upload.bin, and
expect.json: for every connection its ports, the exact application bytes
each way (expect/<name>.c2s/.s2c, from curl --trace, the Python peers'
logs, or what the openssl tools were fed), what the handshake must say,
and curl's requests.
check reads what `tcpflow -e tls -S tls_keylog=DIR/keys.log -o OUT` wrote:
each direction's plaintext file must hold exactly the application bytes
(none when there were none), report.xml's <tls> elements what the
handshake said; with --tshark, tshark -o tls.keylog_file must agree; with
--http (tcpflow ran with -e http too), every GET's body file must equal the
served file and every PUT's request body file the uploaded one.  Exit
status: 0 ok, 1 mismatch, 2 the traffic failed (retry), 77 cannot run here.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "realtraffic"))
import netlab  # noqa: E402

PY = "/usr/bin/python3"
SRV, CLI = netlab.V4["s"], netlab.V4["c"]

# (name, port, version, suites (1.3) or ciphers (1.2), extra nginx lines, resume, suite expected)
NGINX_CASES = [
    ("t13_aes128gcm", 8401, "1.3", "TLS_AES_128_GCM_SHA256", "", False, 0x1301),
    ("t13_aes256gcm", 8402, "1.3", "TLS_AES_256_GCM_SHA384", "", False, 0x1302),
    ("t13_chacha", 8403, "1.3", "TLS_CHACHA20_POLY1305_SHA256", "", False, 0x1303),
    ("t12_ecdhe_rsa_aes128gcm", 8411, "1.2", "ECDHE-RSA-AES128-GCM-SHA256", "", False, 0xC02F),
    ("t12_ecdhe_ecdsa_aes256gcm", 8412, "1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", "", False, 0xC02C),
    ("t12_ecdhe_rsa_chacha", 8413, "1.2", "ECDHE-RSA-CHACHA20-POLY1305", "", False, 0xCCA8),
    ("t12_rsa_aes128gcm", 8414, "1.2", "AES128-GCM-SHA256", "", False, 0x009C),
    ("t12_ecdhe_rsa_aes128sha_etm", 8415, "1.2", "ECDHE-RSA-AES128-SHA", "", False, 0xC013),
    ("t12_ecdhe_rsa_aes256sha384_mte", 8416, "1.2", "ECDHE-RSA-AES256-SHA384",
     "ssl_conf_command Options -EncryptThenMac;", False, 0xC028),
    ("t12_rsa_aes256sha256_etm", 8417, "1.2", "AES256-SHA256", "", False, 0x003D),
    ("t12_ecdhe_ecdsa_aes128sha_mte", 8418, "1.2", "ECDHE-ECDSA-AES128-SHA",
     "ssl_conf_command Options -EncryptThenMac;", False, 0xC009),
    ("t13_resume_psk", 8421, "1.3", "TLS_AES_128_GCM_SHA256", "", True, 0x1301),
    ("t12_resume_ticket", 8422, "1.2", "ECDHE-RSA-AES128-GCM-SHA256", "", True, 0xC02F),
    ("t12_resume_id", 8423, "1.2", "ECDHE-RSA-AES256-GCM-SHA384", "ssl_session_tickets off;", True, 0xC030),
]
PY_CASES = [  # name, port, version, no tickets, connections
    ("py13", 8431, "1.3", False, 3),
    ("py12_ticket", 8432, "1.2", False, 2),
    ("py12_id", 8433, "1.2", True, 2),
]
FILES = {"small.bin": 3000, "mid.bin": 260000, "big.bin": 1500000}
UPLOAD = 400000


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def nsx(ns, cmd):
    return ["ip", "netns", "exec", ns] + cmd


def make_pki(d):
    os.makedirs(d, exist_ok=True)
    sh(["openssl", "req", "-x509", "-nodes", "-days", "30", "-subj", "/CN=tls.lab", "-newkey", "rsa:2048",
        "-keyout", d + "/rsa.key", "-out", d + "/rsa.crt"])
    sh(["openssl", "req", "-x509", "-nodes", "-days", "30", "-subj", "/CN=tls.lab", "-newkey", "ec",
        "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout", d + "/ec.key", "-out", d + "/ec.crt"])


def nginx_conf(out):
    d = os.path.join(out, "nginx")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "srv/up"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    pki = os.path.join(out, "pki")
    servers = []
    for name, port, ver, suites, extra, _resume, _s in NGINX_CASES:
        if ver == "1.3":
            tls = "ssl_protocols TLSv1.3;\n    ssl_conf_command Ciphersuites %s;" % suites
        else:
            tls = "ssl_protocols TLSv1.2;\n    ssl_ciphers %s;" % suites
        servers.append("""  server {
    listen %s:%d ssl;
    server_name %s.lab;
    ssl_certificate %s/rsa.crt; ssl_certificate_key %s/rsa.key;
    ssl_certificate %s/ec.crt; ssl_certificate_key %s/ec.key;
    %s
    ssl_session_cache shared:S%d:1m;
    %s
    root %s/www;
    location /up/ { root %s/srv; dav_methods PUT; create_full_put_path on; }
  }""" % (SRV, port, name, pki, pki, pki, pki, tls, port, extra, out, d))
    conf = """user root;
worker_processes 1;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 256; }
http {
  access_log off;
  keepalive_requests 1000;
  keepalive_timeout 120;
  client_max_body_size 64m;
  client_body_temp_path %(d)s/body;
  proxy_temp_path %(d)s/proxy;
  fastcgi_temp_path %(d)s/fastcgi;
  uwsgi_temp_path %(d)s/uwsgi;
  scgi_temp_path %(d)s/scgi;
  default_type application/octet-stream;
%(servers)s
}
""" % {"d": d, "servers": "\n".join(servers)}
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def parse_trace(path):
    """curl --trace: per connection number, the bytes sent and received
    (application data: headers and bodies, not the TLS records)."""
    conns, cur, blk = {}, 0, None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("== Info:"):
                m = re.search(r"\(#(\d+)\)", line)
                if m:
                    cur = int(m.group(1))
                blk = None
                continue
            m = re.match(r"(=>|<=) (Send|Recv) (header|data|SSL data)", line)
            if m:
                blk = None if m.group(3) == "SSL data" else (0 if m.group(2) == "Send" else 1)
                conns.setdefault(cur, [bytearray(), bytearray()])
                continue
            m = re.match(r"([0-9a-f]{4}): (.*)$", line)
            if m and blk is not None:
                hexpart = line[6:6 + 48]
                conns[cur][blk] += bytes.fromhex(hexpart.replace(" ", ""))
    return conns


def run_curl(n, out, case, env):
    name, port, ver, suites, _extra, resume, _s = case
    base = "https://%s.lab:%d" % (name, port)
    t = os.path.join(out, "curl")
    os.makedirs(t, exist_ok=True)
    common = ["--http1.1", "-sS", "-k", "--resolve", "%s.lab:%d:%s" % (name, port, SRV), "-H", "Expect:",
              "-w", "%{local_port} %{http_code} %{num_connects}\\n", "--max-time", "60"]
    if ver == "1.3":
        common += ["--tlsv1.3", "--tls-max", "1.3", "--tls13-ciphers", suites]
    else:
        common += ["--tlsv1.2", "--tls-max", "1.2", "--ciphers", suites]
    if resume:
        common += ["-H", "Connection: close"]
    reqs = [("GET", "small.bin"), ("PUT", "u-%s.bin" % name), ("GET", "big.bin"), ("GET", "mid.bin")]
    if resume:
        reqs = [("GET", "small.bin"), ("GET", "mid.bin"), ("PUT", "u-%s.bin" % name)]
    # one transfer per --next part; the connection (or the TLS session) is reused
    args = ["curl", "--trace", os.path.join(t, name + ".trace")]
    for i, (meth, f) in enumerate(reqs):
        if i:
            args.append("--next")
        args += common + ["-o", os.path.join(t, "%s.%d.out" % (name, i))]
        if meth == "GET":
            args.append(base + "/" + f)
        else:
            args += ["-T", os.path.join(out, "upload.bin"), base + "/up/" + f]
    r = subprocess.run(nsx(n["c"], args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=90)
    if r.returncode != 0:
        raise netlab.Infra("curl %s: exit %d: %s" % (name, r.returncode, r.stderr.decode(errors="replace")[-300:]))
    lines = [l.split() for l in r.stdout.decode().splitlines() if l.strip()]
    if any(l[1] not in ("200", "201", "204") for l in lines):
        raise netlab.Infra("curl %s: HTTP status %s" % (name, [l[1] for l in lines]))
    ports = []
    for l in lines:
        if int(l[0]) not in ports:
            ports.append(int(l[0]))
    conns = parse_trace(os.path.join(t, name + ".trace"))
    if len(conns) != len(ports):
        raise netlab.Infra("curl %s: %d connections in the trace, %d local ports" % (name, len(conns), len(ports)))
    res = []
    for k, (cn, (c2s, s2c)) in enumerate(sorted(conns.items())):
        res.append({"name": "%s.%d" % (name, k), "cport": ports[k], "sport": port, "c2s": bytes(c2s),
                    "s2c": bytes(s2c), "version": 0x0304 if ver == "1.3" else 0x0303, "suite": case[6],
                    "resumed": bool(resume and k > 0), "http": [reqs[k]] if resume else reqs})
    return res


def run_python(n, out, keylog, seed):
    res = []
    pki = os.path.join(out, "pki")
    for name, port, ver, notick, conns in PY_CASES:
        logd = os.path.join(out, "py", name)
        os.makedirs(logd, exist_ok=True)
        sargs = [PY, os.path.join(HERE, "pyssl.py"), "server", "--addr", SRV, "--port", str(port), "--version", ver,
                 "--cert", pki + "/rsa.crt", "--key", pki + "/rsa.key", "--expect", str(conns), "--seed", seed + name,
                 "--log", logd]
        if notick:
            sargs.append("--no-tickets")
        sv = subprocess.Popen(nsx(n["s"], sargs), stdout=subprocess.PIPE, text=True)
        try:
            if sv.stdout.readline().strip() != "READY":
                raise netlab.Infra("pyssl server %s did not start" % name)
            r = subprocess.run(nsx(n["c"], [PY, os.path.join(HERE, "pyssl.py"), "client", "--addr", SRV, "--port",
                                            str(port), "--version", ver, "--conns", str(conns), "--seed", seed + name,
                                            "--keylog", keylog, "--log", logd]),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
            if r.returncode != 0:
                raise netlab.Infra("pyssl client %s: %s" % (name, r.stderr.decode(errors="replace")[-300:]))
            sv.wait(30)
        finally:
            netlab.stop(sv)
        recs = json.load(open(os.path.join(logd, "client.json")))
        for k, rec in enumerate(recs):
            b = os.path.join(logd, "client-%d" % rec["cport"])
            sb = os.path.join(logd, "server-%d" % rec["cport"])
            c2s, s2c = open(b + ".sent", "rb").read(), open(b + ".recv", "rb").read()
            if open(sb + ".recv", "rb").read() != c2s or open(sb + ".sent", "rb").read() != s2c:
                raise netlab.Infra("pyssl %s: the peers disagree on what was sent" % name)
            if k > 0 and not rec["reused"]:
                raise netlab.Infra("pyssl %s: connection %d did not resume" % (name, k))
            res.append({"name": "%s.%d" % (name, k), "cport": rec["cport"], "sport": port, "c2s": c2s, "s2c": s2c,
                        "version": 0x0304 if ver == "1.3" else 0x0303, "suite": None, "resumed": k > 0})
    return res


class Feeder:
    """Runs an openssl tool with stdin fed line by line, slowly (its 'k'
    command must arrive alone in a read)."""

    def __init__(self, argv, env=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  env=env)
        self.out = b""

    def send(self, data, pause=0.3):
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            # the tool gave up (a handshake lost on the impaired link): the
            # traffic failed, not tcpflow; the test tries once more
            try:
                out = self.close(1)
            except OSError:
                out = b""
            raise netlab.Infra("%s exited early: %s" % (" ".join(self.p.args[-8:]),
                                                       out.decode(errors="replace")[-300:]))
        time.sleep(pause)

    def close(self, wait=10):
        try:
            self.out = self.p.communicate(timeout=wait)[0]
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.out = self.p.communicate()[0]
        return self.out


def wait_port(ns, port, t=10):
    t0 = time.monotonic()
    while time.monotonic() - t0 < t:
        r = subprocess.run(nsx(ns, ["ss", "-ltn", "sport = :%d" % port]), stdout=subprocess.PIPE, text=True)
        if ":%d" % port in r.stdout:
            return
        time.sleep(0.1)
    raise netlab.Infra("nothing listens on port %d" % port)


def run_openssl(n, out, keylog):
    """HelloRetryRequest + KeyUpdate both ways; 0-RTT accepted, then rejected."""
    pki = os.path.join(out, "pki")
    res = []
    # 1. HRR: the server only takes P-256, the client's first key share is X25519
    port = 8441
    sv = Feeder(nsx(n["s"], ["openssl", "s_server", "-accept", "%s:%d" % (SRV, port), "-cert", pki + "/rsa.crt",
                             "-key", pki + "/rsa.key", "-tls1_3", "-groups", "P-256", "-naccept", "1"]))
    wait_port(n["s"], port)
    cl = Feeder(nsx(n["c"], ["openssl", "s_client", "-connect", "%s:%d" % (SRV, port), "-tls1_3", "-groups",
                             "X25519:P-256", "-keylogfile", keylog, "-servername", "hrr.lab", "-quiet", "-no_ign_eof"]))
    time.sleep(1.0)
    c2s = s2c = b""
    for i in range(3):
        m = ("client line %d %s\n" % (i, "x" * (i * 500))).encode()
        cl.send(m)
        c2s += m
        m = ("server line %d %s\n" % (i, "y" * (i * 700))).encode()
        sv.send(m)
        s2c += m
        cl.send(b"k\n")      # KeyUpdate (no update requested)
        sv.send(b"K\n")      # KeyUpdate, update requested: the client answers with its own
    m = b"last client line\n"
    cl.send(m)
    c2s += m
    cl.close(5)
    sv.close(5)
    res.append({"name": "ossl_hrr_keyupdate", "cport": None, "sport": port, "c2s": c2s, "s2c": s2c,
                "version": 0x0304, "suite": None, "resumed": False, "hrr": True, "min_key_updates": 3})
    # 2. 0-RTT: a first connection gets a ticket allowing early data, a
    # second sends early data: to the same server (accepted), or to a new
    # server that cannot read the ticket (rejected: a full handshake)
    for name, port, accept in (("ossl_early_accepted", 8442, True), ("ossl_early_rejected", 8443, False)):
        def server(naccept, early):
            a = ["openssl", "s_server", "-accept", "%s:%d" % (SRV, port), "-cert", pki + "/rsa.crt", "-key",
                 pki + "/rsa.key", "-tls1_3", "-quiet", "-naccept", str(naccept)]
            f = Feeder(nsx(n["s"], a + (["-early_data"] if early else [])))
            wait_port(n["s"], port)
            return f
        sv = server(2 if accept else 1, True)
        sess = os.path.join(out, name + ".sess")
        first = Feeder(nsx(n["c"], ["openssl", "s_client", "-connect", "%s:%d" % (SRV, port), "-tls1_3",
                                    "-sess_out", sess, "-keylogfile", keylog, "-quiet", "-no_ign_eof"]))
        f_c2s = b"first connection\n"
        first.send(f_c2s, 1.0)
        first.close(3)
        if not accept:
            sv.close(3)
            sv = server(1, False)
        early = os.path.join(out, name + ".early")
        edata = b"early data: GET / HTTP/1.1\r\n\r\n" + b"E" * 3000 + b"\n"
        open(early, "wb").write(edata)
        cl = Feeder(nsx(n["c"], ["openssl", "s_client", "-connect", "%s:%d" % (SRV, port), "-tls1_3",
                                 "-sess_in", sess, "-early_data", early, "-keylogfile", keylog]))
        time.sleep(1.0)
        late = b"after the handshake\n"
        cl.send(late, 0.5)
        s_late = b"server says hello\n"
        sv.send(s_late, 1.0)
        txt = cl.close(3)
        stxt = sv.close(3)
        open(os.path.join(out, name + ".client.txt"), "wb").write(first.out + b"\n----\n" + txt)
        open(os.path.join(out, name + ".server.txt"), "wb").write(stxt)
        ok = b"Early data was accepted" in txt
        if ok != accept or (not accept and b"Early data was rejected" not in txt):
            raise netlab.Infra("%s: openssl says early data was %s" % (name, "accepted" if ok else "not accepted"))
        res.append({"name": name + ".0", "cport": None, "sport": port, "conn_index": 0, "c2s": f_c2s, "s2c": b"",
                    "version": 0x0304, "suite": None, "resumed": False})
        res.append({"name": name + ".1", "cport": None, "sport": port, "conn_index": 1,
                    "c2s": (edata if accept else b"") + late, "s2c": s_late, "version": 0x0304, "suite": None,
                    "resumed": accept, "early": "accepted" if accept else "rejected",
                    "tshark_extra": "" if accept else edata.hex()})
    return res


def syn_ports(pcap, sport):
    """Client ports of the connections to sport, in SYN order."""
    r = subprocess.run(["tcpdump", "-nn", "-r", pcap, "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and dst port %d"
                        % sport], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ports = []
    for line in r.stdout.splitlines():
        m = re.search(r"\.(\d+) > [\d.]+\.%d:" % sport, line)
        if m and int(m.group(1)) not in ports:
            ports.append(int(m.group(1)))
    return ports


def capture(a):
    netlab.probe()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    tag = a.tag or "tl%d" % os.getpid()
    seed = a.seed or os.urandom(4).hex()
    o = argparse.Namespace(out=out, frag_mtu=0, drop=a.drop, drop_after=a.drop_after, dup=a.dup,
                           reorder=a.reorder, slow_rate="4mbit", slow_limit=40)
    keylog = os.path.join(out, "keys.log")
    open(keylog, "w").close()
    make_pki(os.path.join(out, "pki"))
    os.makedirs(os.path.join(out, "www"), exist_ok=True)
    rnd = __import__("random").Random(seed)
    for f, size in FILES.items():
        open(os.path.join(out, "www", f), "wb").write(rnd.randbytes(size))
    open(os.path.join(out, "upload.bin"), "wb").write(rnd.randbytes(UPLOAD))
    conf = nginx_conf(out)
    procs, td, bs = [], None, None
    try:
        n = netlab.build(tag, o)
        td, tdout = netlab.start_tcpdump(n["a"], out)
        if a.beside:
            bo = argparse.Namespace(beside=a.beside.replace("{keylog}", keylog), beside_ready="listening on",
                                    out=out)
            bs, _bserr = netlab.start_beside(n["a"], bo)
        ng = subprocess.Popen(nsx(n["s"], ["nginx", "-c", conf, "-p", os.path.join(out, "nginx")]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(ng)
        for c in NGINX_CASES:
            wait_port(n["s"], c[1])
        env = dict(os.environ, SSLKEYLOGFILE=keylog)
        conns = []
        for c in NGINX_CASES:
            conns += run_curl(n, out, c, env)
        conns += run_python(n, out, keylog, seed)
        if not a.no_openssl:
            conns += run_openssl(n, out, keylog)
        time.sleep(1.0)
        if bs:
            netlab.stop(bs, signal.SIGINT, 60)
            with open(os.path.join(out, "beside.json"), "w") as f:
                json.dump({"rc": bs.returncode}, f)
        netlab.stop(td, signal.SIGINT)
        tdout.seek(0)
        text = tdout.read()
        m = re.search(r"(\d+) packets dropped by kernel", text)
        if not m or int(m.group(1)) != 0:
            raise netlab.Infra("tcpdump: capture incomplete: " + text.strip())
        pcap = os.path.join(out, "capture.pcap")
        ed = os.path.join(out, "expect")
        os.makedirs(ed, exist_ok=True)
        plan = []
        for c in conns:
            if c["cport"] is None:
                ports = syn_ports(pcap, c["sport"])
                k = c.get("conn_index", 0)
                if len(ports) <= k:
                    raise netlab.Infra("%s: connection %d not in the capture" % (c["name"], k))
                c["cport"] = ports[k]
            for d in ("c2s", "s2c"):
                open(os.path.join(ed, "%s.%s" % (c["name"], d)), "wb").write(c.pop(d))
            plan.append(c)
        json.dump({"seed": seed, "client": CLI, "server": SRV, "conns": plan}, open(os.path.join(out, "expect.json"), "w"),
                  indent=1)
        total = sum(os.path.getsize(os.path.join(ed, f)) for f in os.listdir(ed))
        st = netlab.pcap_stats(pcap)
        imp = open(os.path.join(out, "impairments.txt"), "w")
        for k in ("a", "b"):
            imp.write(subprocess.run(nsx(n[k], ["nft", "list", "ruleset"]), stdout=subprocess.PIPE, text=True).stdout)
        imp.close()
        counts = re.findall(r"counter packets (\d+) bytes \d+ (drop|dup|meta)", open(os.path.join(out, "impairments.txt")).read())
        netlab.log("seed %s: %d TLS connections, %d plaintext bytes, capture %d bytes, %d packets, %d segments"
                   " behind (retransmitted/reordered/duplicated); impairments: dropped %d, duplicated %d, delayed %d" %
                   (seed, len(plan), total, os.path.getsize(pcap), st["packets"], st["tcp_behind"],
                    sum(int(c) for c, k in counts if k == "drop"), sum(int(c) for c, k in counts if k == "dup"),
                    sum(int(c) for c, k in counts if k == "meta")))
        return 0
    finally:
        for p in procs:
            netlab.stop(p)
        netlab.stop(bs, signal.SIGKILL)
        netlab.stop(td, signal.SIGINT)
        netlab.teardown(tag)


def flow_name(src, sport, dst, dport):
    a = lambda ip: ".".join("%03d" % int(x) for x in ip.split("."))
    return "%s.%05d-%s.%05d" % (a(src), sport, a(dst), dport)


def tshark_streams(pcap, keylog, conns):
    """{(cport, sport): (c2s, s2c)} as tshark decrypts them."""
    r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport", "-e",
                        "tcp.dstport", "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    idx = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) == 3:
            idx.setdefault((int(f[1]), int(f[2])), int(f[0]))
    want = [(c["cport"], c["sport"]) for c in conns if (c["cport"], c["sport"]) in idx]
    args = ["tshark", "-r", pcap, "-o", "tls.keylog_file:" + keylog, "-o", "tcp.reassemble_out_of_order:TRUE", "-q"]
    for k in want:
        args += ["-z", "follow,tls,raw,%d" % idx[k]]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rev = {v: k for k, v in idx.items()}
    res = {}
    for b in r.stdout.split("=" * 67):
        m = re.search(r"Filter: tcp.stream eq (\d+)\s*\nNode 0: [^\n]*:(\d+)\s*\nNode 1: [^\n]*\n", b)
        if not m or int(m.group(1)) not in rev:
            continue
        key = rev[int(m.group(1))]
        # lines from node 0 start in column 0, node 1's are indented with a tab
        node0_is_server = int(m.group(2)) == key[1]
        data = [bytearray(), bytearray()]
        for line in b[m.end():].splitlines():
            if not line.strip():
                continue
            from_node1 = line.startswith("\t")
            d = 1 if (from_node1 != node0_is_server) else 0
            data[d] += bytes.fromhex(line.strip())
        res[key] = data
    return res


def report_tls(path):
    """{flow file basename: attributes of its <tls> element} from report.xml."""
    import xml.etree.ElementTree as ET
    res = {}
    for fo in ET.parse(path).getroot().iter("fileobject"):
        fn, t = fo.find("filename"), fo.find("tls")
        if fn is not None and t is not None:
            a = dict(t.attrib)
            pf = t.find("filename")
            a["plain"] = os.path.basename(pf.text) if pf is not None else None
            res[os.path.basename(fn.text)] = a
    return res


def body_file(flows, plain, kind, idx):
    """The body file of message idx (1, 2, ...) named after plain, or None."""
    pre = "%s-%s-%03d" % (plain, kind, idx)
    got = [f for f in os.listdir(flows) if f == pre or f.startswith(pre + ".")]
    return os.path.join(flows, got[0]) if len(got) == 1 else None


def check_http(d, flows, c, names):
    """-e http: every GET's response body equals the served file, every
    PUT's request body equals the uploaded file."""
    problems = []
    for i, (meth, f) in enumerate(c.get("http", []), 1):
        if meth == "GET":
            want, got = os.path.join(d, "www", f), body_file(flows, names[1], "HTTPBODY", i)
        else:
            want, got = os.path.join(d, "upload.bin"), body_file(flows, names[0], "HTTPREQBODY", i)
        if got is None:
            problems.append("%s %s: no body file" % (meth, f))
        elif open(got, "rb").read() != open(want, "rb").read():
            problems.append("%s %s: %s differs" % (meth, f, os.path.basename(got)))
    return problems


def check(a):
    """tcpflow's own output in a.flows: plaintext files, report.xml."""
    d = os.path.abspath(a.dir)
    plan = json.load(open(os.path.join(d, "expect.json")))
    keylog = os.path.join(d, "keys.log")
    rep = report_tls(os.path.join(a.flows, "report.xml"))
    bad = 0
    ts = tshark_streams(os.path.join(d, "capture.pcap"), keylog, plan["conns"]) if a.tshark else {}
    for c in plan["conns"]:
        name = c["name"]
        flows = [flow_name(plan["client"], c["cport"], plan["server"], c["sport"]),
                 flow_name(plan["server"], c["sport"], plan["client"], c["cport"])]
        plains = [f + "-PLAINTEXT" for f in flows]
        problems = []
        info = [rep.get(f, {}) for f in flows]
        for i, dn in enumerate(("c2s", "s2c")):
            want = open(os.path.join(d, "expect", "%s.%s" % (name, dn)), "rb").read()
            pf = os.path.join(a.flows, plains[i])
            got = open(pf, "rb").read() if os.path.exists(pf) else None
            if got is None and want:
                problems.append("%s: no plaintext file (status %s)" % (dn, info[i].get("status")))
            elif got is not None and not want:
                problems.append("%s: a plaintext file of %d bytes, want none" % (dn, len(got)))
            elif got != want and want:
                off = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]), min(len(got), len(want)))
                problems.append("%s: %d bytes, want %d, first difference at %d (status %s)"
                                % (dn, len(got), len(want), off, info[i].get("status")))
            if want and info[i].get("plain") != plains[i]:
                problems.append("%s: report names %s" % (dn, info[i].get("plain")))
            if info[i].get("status") != "decrypted":
                problems.append("%s: status %s" % (dn, info[i].get("status")))
            if info[i].get("role") != ("client" if i == 0 else "server"):
                problems.append("%s: role %s" % (dn, info[i].get("role")))
            if a.tshark:
                tw = ts.get((c["cport"], c["sport"]))
                if tw is None:
                    problems.append("tshark: no stream")
                else:
                    # tshark also shows 0-RTT data the server rejected (we skip it)
                    extra = bytes.fromhex(c.get("tshark_extra", "")) if dn == "c2s" else b""
                    if bytes(tw[i]) != extra + (got or b""):
                        problems.append("%s: tshark gives %d bytes, we give %d" % (dn, len(tw[i]), len(got or b"")))
        t = info[0]
        want_v = {0x0304: "1.3", 0x0303: "1.2"}[c["version"]]
        if t.get("version") != want_v:
            problems.append("version %s" % t.get("version"))
        if c.get("suite") and t.get("suite") != "0x%04x" % c["suite"]:
            problems.append("suite %s, want 0x%04x" % (t.get("suite"), c["suite"]))
        if t.get("resumed") != ("1" if c["resumed"] else "0"):
            problems.append("resumed=%s" % t.get("resumed"))
        if c.get("hrr") and t.get("hrr") != "1":
            problems.append("no HelloRetryRequest seen")
        if c.get("early") and t.get("early") != c["early"]:
            problems.append("early=%s, want %s" % (t.get("early"), c["early"]))
        if c.get("min_key_updates"):
            ku = sum(int(x.get("key_updates", 0)) for x in info)
            if ku < c["min_key_updates"]:
                problems.append("%d KeyUpdates, want at least %d" % (ku, c["min_key_updates"]))
        if a.http:
            problems += check_http(d, a.flows, c, plains)
        summary = "%s (%s %s)" % (name, t.get("cipher_suite", "?"), "resumed" if t.get("resumed") == "1" else "full")
        if problems:
            bad += 1
            print("FAIL %s: %s" % (summary, "; ".join(problems)))
        else:
            print("ok   %s: %s + %s bytes%s%s" % (summary, info[0].get("plaintext_bytes"), info[1].get("plaintext_bytes"),
                                                 ", tshark agrees" if a.tshark else "",
                                                 ", %d HTTP bodies" % len(c["http"]) if a.http and c.get("http") else ""))
    print("%d connections, %d failed" % (len(plan["conns"]), bad))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--out", required=True)
    c.add_argument("--tag")
    c.add_argument("--seed")
    c.add_argument("--drop", type=float, default=0.0)
    c.add_argument("--drop-after", type=float, default=0.0)
    c.add_argument("--dup", type=float, default=0.0)
    c.add_argument("--reorder", type=float, default=0.0)
    c.add_argument("--no-openssl", action="store_true")
    c.add_argument("--beside", help="a program run live on router a's l0 beside tcpdump while the key log"
                   " grows ({iface}: l0, {out}: DIR, {keylog}: DIR/keys.log); it stops on SIGINT, its exit"
                   " status goes to DIR/beside.json, its stderr to DIR/beside.err")
    k = sub.add_parser("check")
    k.add_argument("--dir", required=True)
    k.add_argument("--flows", required=True)
    k.add_argument("--tshark", action="store_true")
    k.add_argument("--http", action="store_true")
    a = ap.parse_args()
    try:
        return capture(a) if a.cmd == "capture" else check(a)
    except netlab.Skip as e:
        print(str(e))
        return 77
    except netlab.Infra as e:
        netlab.log("FAILED:", e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
