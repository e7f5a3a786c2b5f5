#!/usr/bin/env bash
# The HTTP surface through nginx + TLS: TLS versions, HSTS, probes, /v1/models, errors,
# allowlist, request ids, SSE streaming and client-gone detection.
source "$(dirname "$0")/lib.sh"
dg_it_start

# TLS: 1.2 and 1.3 only.
expect "TLS 1.3 accepted" 200 "$(code /health --tlsv1.3)"
expect "TLS 1.2 accepted" 200 "$(code /health --tlsv1.2 --tls-max 1.2)"
expect "TLS 1.1 refused" 000 "$(code /health --tlsv1.1 --tls-max 1.1)"
expect "HSTS on success" "max-age=63072000; includeSubDomains" "$(header /health Strict-Transport-Security)"
expect "HSTS on nginx errors" "max-age=63072000; includeSubDomains" \
  "$(header /health Strict-Transport-Security --interface 127.0.0.2)"

# Probes.
expect "/health 200" 200 "$(code /health)"
expect "/ready 200 after load" 200 "$(code /ready)"

# /v1/models.
models=$(body /v1/models)
expect "/v1/models object" list "$(echo "$models" | json_field 'd["object"]')"
expect "/v1/models id" deepgate-demo "$(echo "$models" | json_field 'd["data"][0]["id"]')"
expect "/v1/models owned_by" deepgate "$(echo "$models" | json_field 'd["data"][0]["owned_by"]')"
expect "/v1/models content type" application/json "$(header /v1/models Content-Type)"
expect "/v1/models/{id} 200" 200 "$(code /v1/models/deepgate-demo)"
expect "/v1/models/{unknown} 404" 404 "$(code /v1/models/no-such-model)"

# Errors in OpenAI's shape.
expect "unknown route 404" 404 "$(code /v2/nothing)"
expect "unknown route error type" not_found_error "$(body /v2/nothing | json_field 'd["error"]["type"]')"
expect "unknown route error keys" "['code', 'message', 'param', 'type']" \
  "$(body /v2/nothing | json_field 'sorted(d["error"].keys())')"
expect "wrong method 405" 405 "$(code /v1/models -X POST -d '{}')"
expect "405 Allow header" GET "$(header /v1/models Allow -X DELETE)"
expect "malformed JSON 400" 400 "$(code /v1/chat/completions -X POST -H 'Content-Type: application/json' -d '{"model":')"
expect "malformed JSON message" True \
  "$(body /v1/chat/completions -X POST -d '{"model":' | json_field 'd["error"]["message"].startswith("Request body is not valid JSON")')"
expect "non-object JSON 400" 400 "$(code /v1/chat/completions -X POST -d '[1]')"
expect "missing model 400" 400 "$(code /v1/chat/completions -X POST -d '{"messages":[{"role":"user","content":"x"}]}')"
expect "unknown model 404" 404 "$(code /v1/chat/completions -X POST -d '{"model":"nope","messages":[{"role":"user","content":"x"}]}')"
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
expect "body over limit 413" 413 "$(code /v1/chat/completions -X POST -d "$big")"
expect "413 error code" request_too_large "$(body /v1/chat/completions -X POST -d "$big" | json_field 'd["error"]["code"]')"

# Allowlist: 127.0.0.2 is not on it.
expect "denied address 403" 403 "$(code /v1/models --interface 127.0.0.2)"
expect "denied address 403 on probes too" 403 "$(code /health --interface 127.0.0.2)"
expect "403 error type" permission_error "$(body /v1/models --interface 127.0.0.2 | json_field 'd["error"]["type"]')"

# Request id: nginx's $request_id, echoed by the worker and written to its audit line.
rid=$(header /v1/models X-Request-Id)
expect_match "X-Request-Id echoed" '^[0-9a-f]{32}$' "$rid"
sleep 0.2
expect "request id in audit log" 1 "$(grep -c "request_id=$rid " "$PREFIX/logs/worker.log")"

# SSE through nginx: events arrive as flushed (spread over time), then [DONE].
expect "SSE content type" text/event-stream "$(header '/_test/stream?n=1' Content-Type)"
stream=$(body '/_test/stream?n=3' -N)
expect "SSE body" $'data: {"index":0}\n\ndata: {"index":1}\n\ndata: {"index":2}\n\ndata: [DONE]' "$stream"
# python starts curl itself so its own start-up time does not hide the spacing; 6 events 50 ms
# apart span 250 ms when flushed one by one, ~0 when nginx buffers them.
spread=$(python3 - "$URL/_test/stream?n=6" <<'PY'
import os, subprocess, sys, time
p = subprocess.Popen(["curl", "-k", "-s", "-N", "--max-time", "10", "-H", "Authorization: Bearer " + os.environ["DG_API_KEY"], sys.argv[1]], stdout=subprocess.PIPE, bufsize=0)
ts = [time.monotonic() for line in iter(p.stdout.readline, b"") if line.startswith(b"data:")]
p.wait()
print("incremental" if len(ts) == 7 and ts[-1] - ts[0] > 0.15 else "buffered %d events in %.3f s" % (len(ts), ts[-1] - ts[0]))
PY
)
expect "SSE events flushed one by one" incremental "$spread"

# Client gone mid-stream: the worker notices on its next flush and stops.
curl -k -s -N --max-time 0.5 -H "Authorization: Bearer $DG_API_KEY" "$URL/_test/stream?n=1000" -o /dev/null
for _ in $(seq 50); do grep -q 'route=test.stream .*outcome=client_gone' "$PREFIX/logs/worker.log" && break; sleep 0.1; done
expect "client gone detected" 1 "$(grep -c 'route=test.stream .*outcome=client_gone' "$PREFIX/logs/worker.log")"

dg_it_finish
