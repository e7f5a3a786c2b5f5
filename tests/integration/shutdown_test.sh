#!/usr/bin/env bash
# Graceful shutdown on SIGTERM: in-flight requests finish, the worker exits 0 within its
# deadline, and nginx's next request gets a prompt 502/503 instead of hanging.
source "$(dirname "$0")/lib.sh"

now_ms() { date +%s%3N; }

# 1. A request in flight when SIGTERM arrives completes; the worker then exits 0.
dg_it_start '"shutdown_deadline_ms": 5000'
# Idle kept-alive FastCGI connections pin acceptor threads: shutdown must not wait on them.
probes=()
for _ in 1 2 3 4; do code /health >/dev/null & probes+=($!); done
wait "${probes[@]}"
out=$PREFIX/slow.out
curl -k -s -o "$out" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $DG_API_KEY" "$URL/_test/sleep?ms=1500" >"$out.code" &
client=$!
sleep 0.4
pid=$(cat "$PREFIX/run/worker.pid")
t0=$(now_ms)
kill -TERM "$pid"
wait "$pid"; rc=$?
elapsed=$(( $(now_ms) - t0 ))
wait "$client"
expect "in-flight request finished" 200 "$(cat "$out.code")"
expect "worker exit status" 0 "$rc"
expect "worker waited for the request, not the deadline" yes "$([ "$elapsed" -ge 800 ] && [ "$elapsed" -lt 4000 ] && echo yes || echo "no (${elapsed} ms)")"
t0=$(now_ms)
after=$(code /v1/models)
took=$(( $(now_ms) - t0 ))
expect_match "next request is a clean 502/503" '^50[23]$' "$after"
expect "answered promptly" yes "$([ "$took" -lt 2000 ] && echo yes || echo "no (${took} ms)")"
expect "socket removed" no "$([ -e "$PREFIX/run/deepgate.sock" ] && echo yes || echo no)"
rm -f "$PREFIX/run/worker.pid"

# 2. A request that outlives the shutdown deadline is cancelled; exit 0 shortly after.
dg_it_start '"shutdown_deadline_ms": 500'
curl -k -s -o /dev/null -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $DG_API_KEY" "$URL/_test/sleep?ms=15000" >"$PREFIX/long.code" &
client=$!
sleep 0.4
pid=$(cat "$PREFIX/run/worker.pid")
t0=$(now_ms)
kill -TERM "$pid"
wait "$pid"; rc=$?
elapsed=$(( $(now_ms) - t0 ))
wait "$client"
expect "worker exit status after cancelling" 0 "$rc"
expect "exited soon after the deadline" yes "$([ "$elapsed" -lt 3000 ] && echo yes || echo "no (${elapsed} ms)")"
expect "cancelled request answered 503" 503 "$(cat "$PREFIX/long.code")"
expect "cancel logged" 1 "$(grep -c 'still running after 500 ms; cancelling' "$PREFIX/logs/worker.log")"
rm -f "$PREFIX/run/worker.pid"

# 3. SIGHUP reloads live keys and names the ones that need a restart.
dg_it_start
sed -i 's/"max_body_bytes": 4096/"max_body_bytes": 2048/; s/"acceptor_threads": 16/"acceptor_threads": 8/' "$PREFIX/conf/deepgate.json"
kill -HUP "$(cat "$PREFIX/run/worker.pid")"
for _ in $(seq 30); do grep -q 'reload: needs a restart' "$PREFIX/logs/worker.log" && break; sleep 0.1; done
expect "reload applied" 1 "$(grep -c 'reload: applied max_body_bytes' "$PREFIX/logs/worker.log")"
expect "reload needs restart" 1 "$(grep -c 'reload: needs a restart to change acceptor_threads' "$PREFIX/logs/worker.log")"
big=$(head -c 3000 /dev/zero | tr '\0' 'a')
expect "reloaded body limit enforced by the worker" 413 "$(code /v1/chat/completions -X POST -d "$big")"
expect "still serving after reload" 200 "$(code /health)"

dg_it_finish
