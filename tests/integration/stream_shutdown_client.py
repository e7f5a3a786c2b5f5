"""Long streamed chat completions for stream_shutdown_test.sh. Usage:
stream_shutdown_client.py URL MODEL MARKER OUT [STREAMS]. Opens STREAMS (default 4) concurrent
streams (batched, so the engine is busy for seconds even on a fast machine), touches MARKER once
stream 0 has a few token events (the test then sends SIGTERM), reads every stream until it ends
and writes OUT as a JSON list, one object per stream: status, events, finish (a finish_reason seen), done
([DONE] seen), end (how it ended) and the seconds from MARKER to the end. A 15 s socket timeout turns a hang into
end="timeout" instead of a stuck test."""
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

url, model, marker, out = sys.argv[1:5]
streams = int(sys.argv[5]) if len(sys.argv) > 5 else 4
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t_marker = []


def run(i, result):
    # max_tokens near the demo model's 2048-token context: as long as a stream can be.
    body = {"model": model, "messages": [{"role": "user", "content": "Tell me a very long story, part %d" % i}],
            "temperature": 0, "max_tokens": 1900, "stream": True}
    result.update(status=None, events=0, finish=None, done=False, end=None, after_marker_s=None)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=15)
    try:
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["DG_API_KEY"]}
        c.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=headers)
        r = c.getresponse()
        result["status"] = r.status
        while True:
            line = r.readline()
            if not line:
                result["end"] = "eof"
                break
            line = line.decode().rstrip("\r\n")
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                result["done"] = True
                result["end"] = "done"
                break
            result["events"] += 1
            choices = json.loads(line[6:]).get("choices") or [{}]
            result["finish"] = choices[0].get("finish_reason") or result["finish"]
            if i == 0 and result["events"] == 5:
                t_marker.append(time.monotonic())
                open(marker, "w").close()
    except socket.timeout:
        result["end"] = "timeout"
    except (http.client.IncompleteRead, ConnectionError, ssl.SSLError) as e:
        result["end"] = "cut: " + type(e).__name__  # ended without the last chunk: still not a hang
    finally:
        c.close()
    if t_marker:
        result["after_marker_s"] = round(time.monotonic() - t_marker[0], 3)


results = [{} for _ in range(streams)]
threads = [threading.Thread(target=run, args=(i, results[i])) for i in range(streams)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(out, "w") as f:
    json.dump(results, f)
