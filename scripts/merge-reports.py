#!/usr/bin/python3
"""merge-reports.py OUT.xml SHARD.xml ...

One report.xml out of the reports of the runs of one capture split with
--shard I/N (one run per shard, on one machine or several).  The result is a
DFXML report like one run's:

  * the header (creator, environment, configuration) of the first report,
    with the shard setting replaced by the list of shards merged;
  * every <fileobject> of every report, ordered by the flow's first packet
    time, then file name (one run orders them by when each flow ended,
    which no shard knows of the others: the order is the only difference);
  * the totals (total_flows, total_packets, flow_map_size, open_fds_at_end,
    max_open_flows) and every <counter> summed, except the count of other
    shards' packets, which says nothing about the whole;
  * <run_status> "complete" when every shard's is, else each shard's.

flow_id and session_id stay each shard's own numbering (see --shard in
tcpflow(1)).  Exit 1 when a report cannot be read or the shards do not fit
together (missing or repeated shard numbers, different inputs).
"""
import sys
import xml.etree.ElementTree as ET

SHARD_COUNTER = "TCP packets of connections of other shards (--shard)"
TOTALS = ["open_fds_at_end", "max_open_flows", "total_flows", "flow_map_size", "total_packets"]


def die(msg):
    sys.stderr.write("merge-reports: %s\n" % msg)
    sys.exit(1)


def shard_of(root):
    for s in root.iter("setting"):
        if s.get("name") == "shard":
            i, n = s.text.split("/")
            return int(i), int(n)
    return None


def fileobject_key(fo):
    t = fo.find("tcpflow")
    start = t.get("startime", "") if t is not None else ""
    name = fo.findtext("filename") or ""
    return (start, name)


def main(argv):
    if len(argv) < 3:
        die("usage: merge-reports.py OUT.xml SHARD.xml ...")
    out, paths = argv[1], argv[2:]
    trees = []
    for p in paths:
        try:
            trees.append(ET.parse(p))
        except (OSError, ET.ParseError) as e:
            die("%s: %s" % (p, e))
    roots = [t.getroot() for t in trees]
    shards = [shard_of(r) for r in roots]
    if any(s is None for s in shards):
        die("every report must come from a --shard run")
    n = shards[0][1]
    if any(s[1] != n for s in shards) or sorted(s[0] for s in shards) != list(range(len(shards))) \
            or len(shards) != n:
        die("the reports are not the shards 0..%d of %d: %s" % (n - 1, n, sorted(shards)))
    first = roots[0]
    for s in first.iter("setting"):
        if s.get("name") == "shard":
            s.text = "0-%d/%d merged" % (n - 1, n)
    # fileobjects
    objs = []
    for r in roots:
        objs.extend(r.findall("fileobject"))
    for fo in first.findall("fileobject"):
        first.remove(fo)
    objs.sort(key=fileobject_key)
    anchor = list(first).index(first.find("summary")) if first.find("summary") is not None else len(first)
    for k, fo in enumerate(objs):
        first.insert(anchor + k, fo)
    # totals and counters
    for name in TOTALS:
        el = first.find(name)
        if el is not None:
            el.text = str(sum(int(r.findtext(name) or 0) for r in roots))
    counts = {}
    for r in roots:
        for c in r.iter("counter"):
            if c.get("name") != SHARD_COUNTER:
                counts[c.get("name")] = counts.get(c.get("name"), 0) + int(c.text)
    cs = first.find("counters")
    if cs is not None:
        for c in list(cs):
            cs.remove(c)
        for name in sorted(counts):
            e = ET.SubElement(cs, "counter", name=name)
            e.text = str(counts[name])
    statuses = [r.findtext("run_status") or "unknown" for r in roots]
    st = first.find("run_status")
    if st is not None:
        st.text = "complete" if all(s == "complete" for s in statuses) else \
            "; ".join("shard %d: %s" % (shards[k][0], s) for k, s in enumerate(statuses))
    trees[0].write(out, encoding="UTF-8", xml_declaration=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
