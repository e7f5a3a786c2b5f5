"""A long streamed chat completion for stream_shutdown_test.sh. Usage:
stream_shutdown_client.py URL MODEL MARKER OUT. Touches MARKER once a few token events have
arrived (the test then sends SIGTERM), reads on until the stream ends, and writes OUT as JSON:
status, events, done ([DONE] seen), end (how the stream ended) and the seconds from MARKER to the
end. A socket timeout of 15 s turns a hang into end="timeout" instead of a stuck test."""
import http.client
import json
import socket
import ssl
import sys
import time
import urllib.parse

url, model, marker, out = sys.argv[1:5]
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
body = {"model": model, "messages": [{"role": "user", "content": "Tell me a very long story"}],
        "temperature": 0, "max_tokens": 1500, "stream": True}
result = {"status": None, "events": 0, "done": False, "end": None, "after_marker_s": None}
t_marker = None
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=15)
try:
    c.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
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
        if result["events"] == 5:
            t_marker = time.monotonic()
            open(marker, "w").close()
except socket.timeout:
    result["end"] = "timeout"
except (http.client.IncompleteRead, ConnectionError, ssl.SSLError) as e:
    result["end"] = "cut: " + type(e).__name__  # ended without the last chunk: still not a hang
finally:
    c.close()
if t_marker is not None:
    result["after_marker_s"] = round(time.monotonic() - t_marker, 3)
with open(out, "w") as f:
    json.dump(result, f)
