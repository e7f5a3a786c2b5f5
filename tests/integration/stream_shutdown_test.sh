#!/usr/bin/env bash
# SIGTERM while a real chat stream is generating: the worker waits out its (short) shutdown
# deadline, cancels the stream and exits 0; the client's stream ends instead of hanging; and
# nginx's next request gets a prompt 502/503.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
now_ms() { date +%s%3N; }

dg_it_start '"shutdown_deadline_ms": 1000' 1048576
marker=$PREFIX/streaming
python3 "$here/stream_shutdown_client.py" "$URL" deepgate-demo "$marker" "$PREFIX/client.json" &
client=$!
# lib.sh's EXIT trap stops the stack; the client is ours to end too, also on failure.
trap 'kill "$client" 2>/dev/null; wait "$client" 2>/dev/null; dg_it_cleanup' EXIT
# Wait for a few token events (or for the client to give up).
for _ in $(seq 300); do [ -e "$marker" ] && break; kill -0 "$client" 2>/dev/null || break; sleep 0.05; done
expect "stream started" yes "$([ -e "$marker" ] && echo yes || echo no)"

pid=$(cat "$PREFIX/run/worker.pid")
t0=$(now_ms)
kill -TERM "$pid"
wait "$pid"; rc=$?
elapsed=$(( $(now_ms) - t0 ))
rm -f "$PREFIX/run/worker.pid"
expect "worker exit status" 0 "$rc"
# The deadline is 1000 ms; the cancelled sequence stops within one engine step.
expect "worker exited within its shutdown deadline (+1 s grace)" yes \
  "$([ "$elapsed" -lt 2000 ] && echo yes || echo "no (${elapsed} ms)")"

wait "$client"
result=$(cat "$PREFIX/client.json" 2>/dev/null || echo '{}')
echo "client: $result"
field() { echo "$result" | json_field "d.get('$1')"; }
expect "stream answered 200" 200 "$(field status)"
expect_match "client stream ended (no hang)" '^(eof|done|cut: .*)$' "$(field end)"
expect "stream was cut short by the shutdown (no [DONE])" False "$(field done)"
expect "stream ended soon after SIGTERM" yes \
  "$(echo "$result" | json_field "'yes' if (d.get('after_marker_s') or 99) < 3 else 'no (%s s)' % d.get('after_marker_s')")"
grep -q 'still running after 1000 ms; cancelling' "$PREFIX/logs/worker.log"
expect "cancel logged" 0 $?

t0=$(now_ms)
after=$(code /v1/models)
took=$(( $(now_ms) - t0 ))
expect_match "next request is a clean 502/503" '^50[23]$' "$after"
expect "answered promptly" yes "$([ "$took" -lt 2000 ] && echo yes || echo "no (${took} ms)")"
dg_it_finish
