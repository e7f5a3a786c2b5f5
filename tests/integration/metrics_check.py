"""Parses a Prometheus text exposition (format 0.0.4) and checks it, for metrics_test.sh.

Usage: metrics_check.py SCRAPE_FILE DASHBOARD_JSON CHECK...
  CHECK is  name{label="v",...}>=N  or  name{...}>N  or  name{...}==N
Exits 1 with a message per failed check. The dashboard check: every metric name an expr
uses exists as a family in the scrape (histogram _bucket/_sum/_count resolve to theirs).
"""
import json
import math
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse(text):
    families, samples, errors = {}, [], []
    help_seen, type_seen = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line[7:].split(" ", 1)
            seen = help_seen if line[2] == "H" else type_seen
            seen[parts[0]] = seen.get(parts[0], 0) + 1
            if line[2] == "T":
                families[parts[0]] = parts[1]
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append("not a sample line: " + line)
            continue
        labels, rest = {}, m.group(2) or ""
        while rest:
            lm = LABEL.match(rest)
            if not lm:
                errors.append("bad labels: " + line)
                break
            labels[lm.group(1)] = re.sub(r'\\(.)', lambda x: "\n" if x.group(1) == "n" else x.group(1), lm.group(2))
            rest = rest[lm.end():]
        value = math.inf if m.group(3) == "+Inf" else float(m.group(3))
        samples.append((m.group(1), labels, value))
    for name in families:
        if help_seen.get(name) != 1 or type_seen.get(name) != 1:
            errors.append("HELP/TYPE not exactly once: " + name)
    return families, samples, errors


def family_of(families, name):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and families.get(base) == "histogram":
            return base
    return name


def main():
    text = open(sys.argv[1]).read()
    families, samples, errors = parse(text)
    for name, labels, _ in samples:
        if family_of(families, name) not in families:
            errors.append("sample without a family: " + name)
    # Histograms: cumulative, +Inf last and equal to _count.
    for fam, kind in families.items():
        if kind != "histogram":
            continue
        groups = {}
        for name, labels, value in samples:
            if name == fam + "_bucket":
                key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
                groups.setdefault(key, []).append((float(labels["le"].replace("+Inf", "inf")), value))
        counts = {tuple(sorted(l.items())): v for n, l, v in samples if n == fam + "_count"}
        for key, buckets in groups.items():
            if buckets != sorted(buckets) or buckets[-1][0] != math.inf or counts.get(key) != buckets[-1][1]:
                errors.append("inconsistent histogram %s %s" % (fam, key))

    for check in sys.argv[3:]:
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?(>=|==|>)(\S+)$', check)
        name, want_labels, op, n = m.group(1), dict(LABEL.findall(m.group(2) or "") and
                                                      [(a, b) for a, b, _ in LABEL.findall(m.group(2))]), m.group(3), float(m.group(4))
        got = [v for s, l, v in samples if s == name and l == want_labels]
        value = got[0] if got else None
        ok = value is not None and {"<": value < n, ">=": value >= n, "==": value == n, ">": value > n}[op]
        print(("ok   " if ok else "FAIL ") + "%s (got %s)" % (check, value))
        if not ok:
            errors.append("check failed: " + check)

    dashboard = json.load(open(sys.argv[2]))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = set()
    for e in exprs:
        used.update(re.findall(r'\b((?:deepgate|process)_[a-z0-9_]+)\b', e))
    for name in sorted(used):
        if family_of(families, name) not in families:
            errors.append("dashboard uses a metric the worker does not export: " + name)
    print("ok   dashboard: %d exprs, %d metric names, all exported" % (len(exprs), len(used)) if not any(
        "dashboard" in e for e in errors) else "FAIL dashboard")
    for e in errors:
        print("FAIL " + e)
    sys.exit(1 if errors else 0)


main()
