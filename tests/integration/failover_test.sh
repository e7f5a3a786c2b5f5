#!/usr/bin/env bash
# Scale-out failover: two deepgate-fcgi instances on two unix sockets behind one nginx
# upstream (scripts/stack.sh, DG_STACK_INSTANCES=2), sharing one key store and one set of
# secrets. Under a steady load of authenticated GET /v1/models, one instance is SIGKILLed:
# every request that starts after the kill must still be answered 200 (nginx's default
# `fastcgi_next_upstream error timeout` moves it to the other instance), and so must a new
# POST. What nginx does NOT do — retry a POST already sent to the dying instance — is
# documented in debian/README.Debian, not tested here.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || dg_it_skip "python3 is missing"

export DG_STACK_INSTANCES=2
PREFIX=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$PREFIX")
PORT=$(dg_free_port)
dg_stack_model "$PREFIX/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
dg_stack_prepare "$PREFIX" "$PORT" "$PREFIX/model.gguf" 4096 || exit 1
# The load comes from one address at thousands of requests/s: lift nginx's per-address limit.
sed -i 's|rate=50r/s|rate=1000000r/s|' "$PREFIX/conf/snippets/deepgate-limits.conf"
expect "second instance config" yes "$([ -s "$PREFIX/conf/deepgate-2.json" ] && echo yes || echo no)"
expect_match "upstream lists both sockets" "deepgate\.sock;.*deepgate-2\.sock;" "$(tr '\n' ' ' <"$PREFIX/conf/nginx.conf")"
# Which instance answered each request: a second access log with $upstream_addr.
sed -i "s|^http {|http {\n  log_format dg_upstream '\$msec \$status \$upstream_addr \$upstream_status';\n  access_log $PREFIX/logs/upstream.log dg_upstream;|" \
  "$PREFIX/conf/nginx.conf"
DG_API_KEY=$(dg_stack_create_key "$PREFIX" failover developer --rpm 0) || { echo "FAIL: could not create a key"; exit 1; }
export DG_API_KEY

dg_stack_start_worker "$PREFIX"
dg_stack_start_instance "$PREFIX" 2
dg_stack_start_nginx "$PREFIX"
URL=$(dg_stack_url "$PREFIX")
# Both instances loaded (each logs "... ready in N ms" once its model is up).
for _ in $(seq 300); do
  grep -q "ready in" "$PREFIX/logs/worker.log" 2>/dev/null && grep -q "ready in" "$PREFIX/logs/worker-2.log" 2>/dev/null && break
  sleep 0.1
done
expect "instance 1 ready" 1 "$(grep -c 'ready in' "$PREFIX/logs/worker.log")"
expect "instance 2 ready" 1 "$(grep -c 'ready in' "$PREFIX/logs/worker-2.log")"
dg_stack_wait_ready "$PREFIX" 30 || { DG_IT_FAILS=1; echo "FAIL: stack did not become ready"; exit 1; }
expect "/v1/models with the shared key" 200 "$(code /v1/models)"

VICTIM=$(cat "$PREFIX/run/worker.pid")
python3 "$HERE/failover_load.py" --port "$PORT" --key "$DG_API_KEY" --threads 4 --duration 4 \
  --kill-at 1.5 --kill-pid "$VICTIM" >"$PREFIX/load.json" || { DG_IT_FAILS=1; echo "FAIL: load generator"; exit 1; }
# The load generator's SIGKILL: reap it and forget its pid.
wait "$VICTIM" 2>/dev/null
rm -f "$PREFIX/run/worker.pid"

summary() {
  python3 - "$PREFIX/load.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = d["killed_at"]
before = [r for r in d["requests"] if r[1] < k]
during = [r for r in d["requests"] if r[0] < k <= r[1]]
after = [r for r in d["requests"] if r[0] >= k]
bad = lambda rs: sum(1 for r in rs if r[2] != 200)
print(len(before), bad(before), len(during), bad(during), len(after), bad(after))
PY
}
read -r n_before bad_before n_during bad_during n_after bad_after <<<"$(summary)"
echo "load: $n_before requests before the kill ($bad_before not 200), $n_during in flight ($bad_during not 200)," \
  "$n_after after ($bad_after not 200)"
expect_match "requests before the kill" '^[1-9][0-9]+$' "$n_before"
expect "all before the kill answered 200" 0 "$bad_before"
expect_match "requests after the kill" '^[1-9][0-9]+$' "$n_after"
expect "every request after the kill answered 200" 0 "$bad_after"
# In-flight GETs are retried by nginx too (idempotent); reported, and they must not fail either.
expect "requests in flight at the kill answered 200" 0 "$bad_during"

S1="unix:$PREFIX/run/deepgate.sock"
S2="unix:$PREFIX/run/deepgate-2.sock"
expect_match "instance 1 served requests before the kill" "[1-9]" "$(grep -c " $S1 200\$" "$PREFIX/logs/upstream.log")"
expect_match "instance 2 served requests" "[1-9]" "$(grep -c " $S2 200\$" "$PREFIX/logs/upstream.log")"
expect_match "nginx saw instance 1 fail" "[1-9]" "$(grep -c "$S1" "$PREFIX/logs/error.log")"
grep -m 2 "$S1" "$PREFIX/logs/error.log" | sed 's/^/  nginx: /'
echo "retried on the other instance: $(grep -c "$S1, $S2" "$PREFIX/logs/upstream.log") request(s)"
expect "instance 2 still alive" 0 "$(kill -0 "$(cat "$PREFIX/run/worker-2.pid")" 2>/dev/null; echo $?)"
expect "GET after the kill" 200 "$(code /v1/models)"
expect "POST after the kill" 200 "$(code /v1/chat/completions -H 'Content-Type: application/json' \
  -d '{"model":"deepgate-demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2}')"

dg_it_finish
