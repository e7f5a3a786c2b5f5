"""One key against the engine (issue 16, findings 2 and 3), driven by exhaustion_test.sh:

  exhaustion_check.py URL MODEL FLOOD_KEY WIDE_KEY OTHER_KEY MONITOR_KEY

FLOOD_KEY has the default limits (8 concurrent sequences), WIDE_KEY a concurrency of 64, so
only the engine share holds it back. Checks: 16 streaming clients with n=16 that never read
do not stop /health or another key's request; a key's n counts as sequences; one key never
holds more than its share of the engine; the engine frees a stream's sequences once its
client leaves, and a non-streamed request's too (its pump polls the connection)."""
import json
import re
import sys
import time

from openai_client import Checks, Client

url, model, flood_key, wide_key, other_key, monitor_key = sys.argv[1:7]
checks = Checks()
expect = checks.expect


def chat(n, max_tokens, stream):
    return json.dumps({"model": model, "messages": [{"role": "user", "content": "Tell me everything"}],
                       "n": n, "max_tokens": max_tokens, "stream": stream})


def open_unread(key, n, count, max_tokens=2000):
    """count streaming requests whose bodies are never read; returns [(conn, status)]."""
    api = Client(url, key)
    held = []
    for _ in range(count):
        c = api.conn(timeout=30)
        c.request("POST", "/v1/chat/completions", body=chat(n, max_tokens, True), headers=api.headers())
        r = c.getresponse()  # the status line and headers only; the events are never read
        held.append((c, r.status))
    return held


def engine_gauges():

    c = Client(url, monitor_key).conn(timeout=10)
    c.request("GET", "/metrics", headers={"Authorization": "Bearer " + monitor_key})
    text = c.getresponse().read().decode()
    c.close()
    get = lambda name: float(re.search(r"^%s (\S+)$" % name, text, re.M).group(1))
    return get("deepgate_engine_active_sequences") + get("deepgate_engine_queue_depth")


def served_quickly(label, limit_s):
    t0 = time.monotonic()
    c = Client(url, "").conn(timeout=limit_s)
    c.request("GET", "/health")
    expect(label + ": /health answers 200", 200, c.getresponse().status)
    c.close()
    t0 = time.monotonic()
    status, _, body = Client(url, other_key).post("/v1/chat/completions", json.loads(chat(1, 8, False)))
    took = time.monotonic() - t0
    expect(label + ": another key's 8-token request is served", 200, status)
    expect(label + ": ... within %d s (took %.1f s)" % (limit_s, took), True, took < limit_s)


def wait_engine_empty(label, limit_s):
    deadline = time.monotonic() + limit_s
    left = engine_gauges()
    while left > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        left = engine_gauges()
    expect(label, 0.0, left)


# 1. the flood: 16 unread streams with n=16 on a key with the default limits.
held = open_unread(flood_key, 16, 16)
expect("n=16 counts as 16 sequences: every request is refused 429",
       [429] * 16, [s for _, s in held])
served_quickly("16 unread n=16 streams", 60)
for c, _ in held:
    c.close()

# 2. a key with room for 64 sequences: the engine share (max_sequences 4 less 1 reserved)
#    admits one n=2 stream and answers the rest 503; the engine keeps room for others.
held = open_unread(wide_key, 2, 16)
statuses = sorted(s for _, s in held)
expect("one n=2 stream admitted, the other 15 refused 503 (engine share)", [200] + [503] * 15, statuses)
expect("the key holds at most its share of the engine (3 sequences)", True, engine_gauges() <= 3)
served_quickly("a key at its engine share", 60)
# 3. the client goes away: its sequences are freed promptly.
t0 = time.monotonic()
for c, _ in held:
    c.close()
wait_engine_empty("a gone streaming client's sequences are freed within 5 s", 5)

# 4. a non-streamed request whose client leaves after 2 s (it would run ~minutes otherwise).
api = Client(url, wide_key)
c = api.conn(timeout=2)
c.request("POST", "/v1/chat/completions", body=chat(1, 3000, False), headers=api.headers())
try:
    c.getresponse()
    expect("the long non-streamed request is still running after 2 s", True, False)
except OSError:
    pass
expect("the long non-streamed request is in the engine", True, engine_gauges() >= 1)
c.close()
wait_engine_empty("a gone non-streaming client's sequence is freed within 5 s", 5)
served_quickly("after the clients left", 60)
checks.finish()
