"""Streaming chat load for bench/serve_bench.sh: for each concurrency C, ROUNDS rounds of C
simultaneous streamed chat completions (temperature 0, fixed max_tokens) through nginx + TLS.
Prints one markdown row per concurrency: aggregate generated tokens/s (all completion tokens of
a level over the wall time of its rounds), time to first token p50/p99 (request sent → first
text delta: content or reasoning_content) and inter-token latency p50 (per request: (last delta − first delta) /
(completion tokens − 1), the median over requests). Figures only; nothing is asserted.

Usage: serve_bench.py URL MODEL_ID MAX_TOKENS ROUNDS LOGPROBS C1 [C2 ...]
LOGPROBS=1 asks for logprobs so that every token sends an event: a random-weight model whose
tokens decode to no text (the qwen2-0.5b demo's padding entries) sends none otherwise, and
TTFT/ITL would be n/a. Tokens/s comes from the usage chunk either way."""
import http.client
import math
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

url, model = sys.argv[1], sys.argv[2]
max_tokens, rounds = int(sys.argv[3]), int(sys.argv[4])
logprobs = sys.argv[5] == "1"
levels = [int(c) for c in sys.argv[6:]]
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def one_stream(prompt, out):
    """One streamed request; out gets start/first-token/end times, token event times and usage."""
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "temperature": 0,
            "max_tokens": max_tokens, "stream": True, "stream_options": {"include_usage": True}}
    if logprobs:
        body["logprobs"] = True
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=600)
    t0 = time.perf_counter()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["DG_API_KEY"]}
    c.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=headers)
    r = c.getresponse()
    token_times, usage = [], None
    if r.status == 200:
        while True:
            line = r.readline()
            if not line:
                break
            line = line.decode().rstrip("\r\n")
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                break
            ev = json.loads(line[6:])
            if ev.get("usage"):
                usage = ev["usage"]
            # The role chunk is sent before generation starts: only text deltas are tokens (a
            # reasoning model's first tokens arrive as reasoning_content).
            choice = ev["choices"][0] if ev.get("choices") else {}
            delta = choice.get("delta", {})
            if delta.get("content") or delta.get("reasoning_content") or choice.get("logprobs"):
                token_times.append(time.perf_counter())
        error = None if usage else "200 but no usage chunk"
    else:
        error = "%d %s" % (r.status, r.read()[:300])
    c.close()
    out.update(status=r.status, error=error, t0=t0, t1=time.perf_counter(), token_times=token_times,
               tokens=(usage or {}).get("completion_tokens", len(token_times)))


def pct(values, p):
    """Nearest-rank percentile (p in 0..100); None when empty."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))
    return s[k]


def ms(v):
    return "n/a" if v is None else "%.0f" % (v * 1000) if v >= 0.1 else "%.1f" % (v * 1000)


# Warm-up: page in the weights and the first TLS handshake outside the measurements.
one_stream("Warm up", {})

print("| concurrent streams | requests | tokens / request (avg) | aggregate tokens/s | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | errors |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for c in levels:
    ttft, itl, tokens, wall, errors, n = [], [], 0, 0.0, 0, 0
    for rnd in range(rounds):
        results = [{} for _ in range(c)]
        threads = [threading.Thread(target=one_stream, args=("Stream %d of round %d, tell me a story" % (i, rnd), results[i]))
                   for i in range(c)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall += time.perf_counter() - start
        for res in results:
            n += 1
            if res.get("status") != 200 or res.get("error"):
                if not errors:
                    print("first error at %d streams: %s" % (c, res.get("error")), file=sys.stderr)
                errors += 1
                continue
            tokens += res["tokens"]
            if not res["token_times"]:
                continue  # tokens without text (see LOGPROBS above): no per-token times
            ttft.append(res["token_times"][0] - res["t0"])
            # Per request: decode time over the tokens after the first. Raw gaps between events
            # are useless here: several events often arrive in one TLS record (gap 0).
            if res["tokens"] > 1:
                itl.append((res["token_times"][-1] - res["token_times"][0]) / (res["tokens"] - 1))
    good = n - errors
    print("| %d | %d | %.0f | %.1f | %s | %s | %s | %d |" % (
        c, n, tokens / good if good else 0, tokens / wall if wall else 0,
        ms(pct(ttft, 50)), ms(pct(ttft, 99)), ms(pct(itl, 50)), errors), flush=True)
