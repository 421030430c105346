#!/usr/bin/python3
"""Paired benchmark of our tcpflow against tcpflow 1.6.1; called by bench/run.sh (see README.md).

For every capture and mode: untimed runs of both programs whose output is checked against the
capture's plan (correctness, and warm-up), then REPS pairs OURS REF OURS REF ... each into a fresh
empty output directory, `sync` before each run, outputs removed between pairs (never inside a
timed run). Each run goes through GNU time (/usr/bin/time) as a small fork+exec shim:
  wall      perf_counter() around the run (the shim's fork/exec, ~1 ms, is in both sides)
  user/sys  rusage of the shim from wait4() (includes its child; the shim's own share is ~0)
  peak RSS  GNU time's %M (the child's ru_maxrss, KiB); not taken from wait4() of the shim, which
            would include the Python parent's memory inherited through vfork+exec
Medians over the REPS runs of each side; ratios are 1.6.1/ours for speed (above 1 = we are
faster) and ours/1.6.1 for peak RSS (below 1 = we use less).
"""
import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

# capture -> modes; a mode is (name, args before -r, has a checkable output)
FILES = ("files", [], True)
NOFILES = ("nofiles", ["-FX"], False)
CAP_MODES = {
    "big": [FILES, NOFILES],
    "many": [FILES, NOFILES],
    "lossy": [FILES, NOFILES],
    "many10": [NOFILES],   # files only when asked for (BENCH_ONLY=many10:files): at full size that
}                          # is 2.4M flow files, ~10 GiB of tmpfs
PLAN = {"big": "plan-big.tsv", "many": "plan-many.tsv", "lossy": "plan-lossy.tsv",
        "many10": "plan-many10.tsv"}


def log(msg):
    print(time.strftime("%H:%M:%S", time.gmtime()), "bench:", msg, file=sys.stderr, flush=True)


def fs_type(path):
    out = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True)
    return out.stdout.strip()


class Runner:
    def __init__(self, args):
        self.a = args
        self.out = args.out
        self.tmpfs = fs_type(self.out) == "tmpfs"
        self.trash = os.path.join(self.out, ".trash")
        self.logdir = os.path.join(self.out, ".logs")
        os.makedirs(self.logdir, exist_ok=True)
        self.seq = 0
        self.made = set()   # output directories this run created (removed again by finish())

    def remove(self, path):
        """Outputs go at once on tmpfs; elsewhere (ext4) they are moved aside and deleted only at the
        end, since a big rm -rf inside a series slows later file creation there."""
        if not os.path.lexists(path):
            return
        if self.tmpfs:
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.makedirs(self.trash, exist_ok=True)
            os.rename(path, os.path.join(self.trash, "%06d" % self.seq))
            self.seq += 1

    def finish(self):
        """Removes every output directory still left (after an error or ^C too) and the trash."""
        for d in sorted(self.made):
            if os.path.lexists(d):
                shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self.trash, ignore_errors=True)

    def run(self, prog, args, cap, outdir, tag):
        """One run of PROG ARGS -r CAP -o OUTDIR into a fresh empty OUTDIR. Returns a dict."""
        self.remove(outdir)
        os.makedirs(outdir)
        self.made.add(outdir)
        tfile = os.path.join(self.logdir, tag + ".time")
        lfile = os.path.join(self.logdir, tag + ".log")
        if os.path.exists(tfile):
            os.unlink(tfile)
        argv = ["/usr/bin/time", "-o", tfile, "-f", "%e %U %S %M", prog] + args + \
            ["-r", cap, "-o", outdir]
        os.sync()
        with open(lfile, "wb") as lf:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                                 start_new_session=True)
            timed_out = []

            def on_alarm(signum, frame):
                timed_out.append(1)
                os.killpg(p.pid, signal.SIGKILL)
            signal.signal(signal.SIGALRM, on_alarm)
            signal.alarm(self.a.timeout)
            try:
                _, status, ru = os.wait4(p.pid, 0)
            except BaseException:   # ^C: stop the run (its own session) before cleaning up
                os.killpg(p.pid, signal.SIGKILL)
                os.wait4(p.pid, 0)
                raise
            finally:
                signal.alarm(0)
            wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        rc, rss = p.returncode, float("nan")
        if timed_out:
            log("%s: killed after %d s (BENCH_TIMEOUT)" % (tag, self.a.timeout))
            rc = "killed after %d s" % self.a.timeout
        else:
            # last line is "%e %U %S %M"; before it GNU time may say "Command terminated by signal N"
            try:
                lines = [l for l in open(tfile).read().split("\n") if l.strip()]
                rss = int(lines[-1].split()[3]) / 1024.0
                if lines[0].startswith("Command terminated by signal"):
                    rc = lines[0].lower()
            except (OSError, IndexError, ValueError):
                pass
        return dict(wall=wall, cpu=ru.ru_utime + ru.ru_stime, user=ru.ru_utime, sys=ru.ru_stime,
                    rss=rss, rc=rc, log=lfile)


def median(xs):
    xs = [x for x in xs if x == x]   # without NaN (no figure for a killed run)
    return statistics.median(xs) if xs else float("nan")


def fmt_rc(rc):
    return "exit %d" % rc if isinstance(rc, int) else rc


def fmt_ratio(x):
    return "%.2fx" % x if x == x else "-"


def main():
    ap = argparse.ArgumentParser()
    for o in ("dir", "out", "ours", "ref", "caps", "only", "extra", "check", "results"):
        ap.add_argument("--" + o, default="")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--quick", default="0")
    a = ap.parse_args()

    only = a.only.split()
    extra = {}
    for item in a.extra.split(";"):
        if "=" in item:
            cap, args = item.split("=", 1)
            extra.setdefault(cap.strip(), []).append(args.split())

    jobs = []  # (cap, modename, args, checkable)
    for cap in a.caps.split():
        modes = list(CAP_MODES[cap])
        if cap == "many10" and "many10:files" in only:
            modes.insert(0, FILES)
        modes += [(" ".join(x), x, False) for x in extra.get(cap, [])]
        for name, args, chk in modes:
            is_extra = name not in ("files", "nofiles")
            if only and cap not in only and "%s:%s" % (cap, name) not in only and \
                    not (is_extra and cap + ":extra" in only):
                continue
            jobs.append((cap, name, args, chk))
    if not jobs:
        sys.exit("bench: nothing selected (BENCH_ONLY=%r)" % a.only)

    os.makedirs(a.out, exist_ok=True)
    R = Runner(a)
    header = []
    h = header.append
    h("tcpflow benchmark: ours vs 1.6.1%s" % (" (QUICK: small captures)" if a.quick == "1" else ""))
    h("date      %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    h("host      %s %s, %d CPUs, %s" % (platform.node(), platform.release(), os.cpu_count(), cpu_model()))
    h("load      %s (start; the machine is shared: compare ratios, not absolute times)" % loadavg())
    a.load0 = load1()
    h("ours      %s (%s; sha256 %s, %s)" % (a.ours, version(a.ours), sha_short(a.ours), mtime(a.ours)))
    h("1.6.1     %s (%s)" % (a.ref, version(a.ref)))
    h("reps      %d pairs per row, alternating ours,1.6.1,ours,...; medians" % a.reps)
    h("outputs   %s (%s)" % (a.out, fs_type(a.out)))
    for cap in a.caps.split():
        p = os.path.join(a.dir, cap + ".pcap")
        h("capture   %-7s %8.1f MB  %s" % (cap, os.path.getsize(p) / 1e6, p))
    for l in header:
        log(l)

    checks = {}   # cap -> {"ours": (ok, line), "1.6.1": ...}
    rows = []

    def on_term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_term)
    try:
        failed = measure(a, R, jobs, checks, rows)
    except KeyboardInterrupt:
        log("interrupted; outputs removed, no results written")
        sys.exit(130)
    finally:
        R.finish()
    text = report(header, rows, checks, a)
    sys.stdout.write(text)
    with open(a.results, "w") as f:
        f.write(text)
    sys.exit(1 if failed else 0)


def measure(a, R, jobs, checks, rows):
    """Runs the checks and the paired series; fills CHECKS and ROWS; True if ours failed."""
    failed = False
    for cap in a.caps.split():
        capfile = os.path.join(a.dir, cap + ".pcap")
        capjobs = [j for j in jobs if j[0] == cap]
        if not capjobs:
            continue
        if cap in PLAN and any(j[3] for j in capjobs):
            checks[cap] = {}
            for who, prog in (("ours", a.ours), ("1.6.1", a.ref)):
                od = os.path.join(a.out, "%s-check-%s" % (cap, who.replace(".", "")))
                r = R.run(prog, [], capfile, od, "%s-check-%s" % (cap, who))
                cp = subprocess.run([sys.executable, a.check, os.path.join(a.dir, PLAN[cap]), od,
                                     "--show", "3"], capture_output=True, text=True)
                line = (cp.stdout.strip() or cp.stderr.strip()).replace("\n", "\n      ")
                ok = cp.returncode == 0 and r["rc"] == 0
                if r["rc"] != 0:
                    line = "%s (log %s); %s" % (fmt_rc(r["rc"]), r["log"], line)
                checks[cap][who] = (ok, line)
                log("check %s %-5s %s" % (cap, who, line))
                if who == "ours" and not ok:
                    failed = True
                R.remove(od)
        for _, name, args, _ in capjobs:
            res = {"ours": [], "1.6.1": []}
            errs = []
            for i in range(a.reps):
                for who, prog in (("ours", a.ours), ("1.6.1", a.ref)):
                    tag = "%s-%s-%s-%d" % (cap, name.replace(" ", "_").replace("=", ""), who, i)
                    r = R.run(prog, args, capfile, os.path.join(a.out, tag), tag)
                    if r["rc"] != 0:
                        errs.append("%s %s (%s)" % (who, fmt_rc(r["rc"]), r["log"]))
                    res[who].append(r)
                for who in res:   # outputs go between pairs, outside the timed runs
                    R.remove(os.path.join(a.out, "%s-%s-%s-%d" % (
                        cap, name.replace(" ", "_").replace("=", ""), who, i)))
            o, f = res["ours"], res["1.6.1"]
            row = dict(cap=cap, mode=name, args=" ".join(args), size=os.path.getsize(capfile),
                       w_o=median([x["wall"] for x in o]), w_f=median([x["wall"] for x in f]),
                       c_o=median([x["cpu"] for x in o]), c_f=median([x["cpu"] for x in f]),
                       m_o=median([x["rss"] for x in o]), m_f=median([x["rss"] for x in f]),
                       pair=[y["wall"] / x["wall"] for x, y in zip(o, f)], errs=errs)
            rows.append(row)
            if any(e.startswith("ours") for e in errs):
                failed = True
            log("%-6s %-22s wall %.3f / %.3f s  speed %s  cpu %.3f / %.3f s  rss %.1f / %.1f MiB%s" % (
                cap, name, row["w_o"], row["w_f"], fmt_ratio(row["w_f"] / row["w_o"]),
                row["c_o"], row["c_f"], row["m_o"], row["m_f"],
                ("  ERRORS: " + "; ".join(errs)) if errs else ""))
    return failed


def report(header, rows, checks, a):
    L = list(header)
    L.append("load      %s (end)" % loadavg())
    busy = max(a.load0, load1())
    if busy > os.cpu_count():
        L.append("WARNING   load average %.1f on %d CPUs: other work competed for the CPUs, so wall"
                 % (busy, os.cpu_count()))
        L.append("          times include waiting; quote the cpu ratios, or rerun on a quiet machine")
    L.append("")
    L.append("%-7s %-21s %8s %8s %7s %-11s %7s %7s %8s %8s %7s %7s" % (
        "capture", "mode", "wall us", "wall ref", "speed", "  spread", "cpu us", "cpu",
        "RSS us", "RSS ref", "RSS", "us MB/s"))
    L.append("%-7s %-21s %8s %8s %7s %-11s %7s %7s %8s %8s %7s %7s" % (
        "", "", "s", "s", "ref/us", "  per pair", "s", "ref/us", "MiB", "MiB", "us/ref", ""))
    for r in rows:
        sp = sorted(r["pair"])
        L.append("%-7s %-21s %8.3f %8.3f %7s %-11s %7.3f %7s %8.1f %8.1f %7s %7.0f%s" % (
            r["cap"], r["mode"][:21], r["w_o"], r["w_f"], fmt_ratio(r["w_f"] / r["w_o"]),
            "  %.2f-%.2f" % (sp[0], sp[-1]), r["c_o"],
            fmt_ratio(r["c_f"] / r["c_o"] if r["c_o"] else float("nan")),
            r["m_o"], r["m_f"], fmt_ratio(r["m_o"] / r["m_f"]), r["size"] / 1e6 / r["w_o"],
            "  ERR" if r["errs"] else ""))
    L.append("")
    L.append("speed = median wall 1.6.1 / median wall ours (above 1: we are faster); spread = min-max")
    L.append("of the per-pair ratios; cpu x = same for user+sys; RSS = peak RSS ours / 1.6.1 (below 1:")
    L.append("we use less); MB/s = capture bytes / our median wall. files = `-r CAP -o DIR`; nofiles =")
    L.append("`-FX` (no flow files: parse+reassembly CPU). Outputs on %s." % fs_type(a.out))
    for r in rows:
        for e in r["errs"]:
            L.append("ERROR %s %s: %s" % (r["cap"], r["mode"], e))
    if checks:
        L.append("")
        L.append("correctness (check-flows.py against the plan; untimed `-r CAP -o DIR`):")
        for cap, d in checks.items():
            for who, (ok, line) in d.items():
                L.append("  %-6s %-5s %s" % (cap, who, line))
    by = {(r["cap"], r["mode"]): r for r in rows}
    if ("many", "nofiles") in by and ("many10", "nofiles") in by:
        m1, m10 = by[("many", "nofiles")], by[("many10", "nofiles")]
        L.append("")
        L.append("memory flatness (peak RSS, -FX, many10 = 10 x many's connections, same concurrency):")
        L.append("  ours  %8.1f -> %8.1f MiB  (x%.2f; flat = x1)" % (m1["m_o"], m10["m_o"], m10["m_o"] / m1["m_o"]))
        L.append("  1.6.1 %8.1f -> %8.1f MiB  (x%.2f)" % (m1["m_f"], m10["m_f"], m10["m_f"] / m1["m_f"]))
        L.append("  time  ours x%.2f, 1.6.1 x%.2f (linear = x10)" % (
            m10["w_o"] / m1["w_o"], m10["w_f"] / m1["w_f"]))
    L.append("")
    return "\n".join(L)


def cpu_model():
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def load1():
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def sha_short(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def mtime(path):
    return time.strftime("built %Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path)))


def version(prog):
    try:
        p = subprocess.Popen([prog, "-V"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    except OSError:
        return "?"
    try:
        out = p.communicate(timeout=5)[0]
        return out.strip().split("\n")[0] or "?"
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return "? (-V did not finish)"


if __name__ == "__main__":
    main()
