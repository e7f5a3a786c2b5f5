# Used by bench/serve_bench.sh: p50/p90 of the worker-side time of the first API-key wrk run,
# from two scrapes of the worker's cumulative request-duration histogram (before and after),
# interpolated linearly inside the bucket that holds the quantile (bounds in seconds).
#   python3 bench/histogram_quantiles.py "BUCKET LINES BEFORE" "BUCKET LINES AFTER"
import re, sys
def parse(text):
    out = {}
    for line in text.splitlines():
        m = re.search(r'le="([^"]+)"\}\s+([0-9.e+]+)', line)
        if m:
            out[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = float(m.group(2))
    return out
b, a = parse(sys.argv[1]), parse(sys.argv[2])
bounds = sorted(a)
cum = [a[x] - b.get(x, 0) for x in bounds]
total = cum[-1] if cum else 0
def quantile(q):
    target, lo, prev = q * total, 0.0, 0.0
    for bound, c in zip(bounds, cum):
        if c >= target:
            if bound == float("inf"):
                return lo
            return lo + (bound - lo) * ((target - prev) / max(c - prev, 1e-9))
        lo, prev = bound, c
    return lo
if total:
    print("worker-side time per authenticated /v1/models (first API-key run, %d requests, from the worker's"
          " duration histogram): p50 %.3f ms, p90 %.3f ms" % (total, quantile(0.5) * 1e3, quantile(0.9) * 1e3))
else:
    print("worker-side time: no /metrics samples")
