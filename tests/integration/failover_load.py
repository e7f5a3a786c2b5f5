#!/usr/bin/env python3
"""Load for failover_test.sh: THREADS threads send GET PATH with a bearer key over HTTPS
keep-alive connections for DURATION seconds; at KILL_AT seconds the process KILL_PID gets
SIGKILL. Prints one JSON object: the kill time and every request's (start, end, status),
status 0 for a transport error (the thread then reconnects)."""
import argparse
import http.client
import json
import os
import signal
import ssl
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--path", default="/v1/models")
ap.add_argument("--key", required=True)
ap.add_argument("--threads", type=int, default=4)
ap.add_argument("--duration", type=float, default=4.0)
ap.add_argument("--kill-at", type=float, default=1.5)
ap.add_argument("--kill-pid", type=int, required=True)
args = ap.parse_args()

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t0 = time.monotonic()
stop_at = t0 + args.duration
results = []  # (start, end, status), seconds since t0
lock = threading.Lock()


def worker():
    conn = None
    local = []
    while time.monotonic() < stop_at:
        if conn is None:
            conn = http.client.HTTPSConnection("127.0.0.1", args.port, context=ctx, timeout=10)
        start = time.monotonic() - t0
        try:
            conn.request("GET", args.path, headers={"Authorization": "Bearer " + args.key})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = None
        local.append((start, time.monotonic() - t0, status))
    if conn is not None:
        conn.close()
    with lock:
        results.extend(local)


threads = [threading.Thread(target=worker) for _ in range(args.threads)]
for t in threads:
    t.start()
time.sleep(max(0.0, t0 + args.kill_at - time.monotonic()))
killed_at = time.monotonic() - t0
os.kill(args.kill_pid, signal.SIGKILL)
for t in threads:
    t.join()
print(json.dumps({"killed_at": killed_at, "requests": sorted(results)}))
