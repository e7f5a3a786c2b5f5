"""Engine bounds through nginx on a worker with max_sequences 1 and queue_length 0:
busy → 503 + Retry-After; a client that disconnects mid-stream frees the sequence."""
import json
import sys
import threading
import time

from openai_client import Checks, Client

url, model = sys.argv[1], sys.argv[2]
api = Client(url)
checks = Checks()
expect = checks.expect


def long_chat(stream):
    return {"model": model, "messages": [{"role": "user", "content": "Go on and on"}], "temperature": 0,
            "max_tokens": 1500, "stream": stream}


# Hold the only sequence with a long stream, read a few events, then ask again: 503.
c = api.conn()
c.request("POST", "/v1/chat/completions", body=json.dumps(long_chat(True)), headers=api.headers())
r = c.getresponse()
expect("long stream starts", 200, r.status)
for _ in range(3):
    r.readline()
status, headers, body = api.post("/v1/chat/completions", long_chat(False))
expect("busy engine 503", 503, status)
expect("busy engine Retry-After", True, int({k.lower(): v for k, v in headers.items()}.get("retry-after", "0")) > 0)
expect("busy engine code", "overloaded", (body or {}).get("error", {}).get("code"))

# Go away mid-stream: the sequence must be freed within a step, so a new request succeeds.
# Close both ends of http.client's socket (the response holds its own reference).
start = time.monotonic()
r.close()
c.close()
deadline = time.monotonic() + 5
status = None
while time.monotonic() < deadline:
    status, _, _ = api.post("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}],
                                                     "max_tokens": 4})
    if status == 200:
        break
    time.sleep(0.05)
expect("sequence freed after disconnect", 200, status)
print("     (freed after %.0f ms)" % ((time.monotonic() - start) * 1000))

checks.finish()
