#!/usr/bin/env bash
# Serving bench: a real stack (nginx + TLS → FastCGI → deepgate-fcgi) in a temp prefix, then
#  (a) streamed chat generation at 1, 4 and 8 concurrent requests (bench/serve_bench.py):
#      aggregate generated tokens/s, time to first token p50/p99, inter-token latency p50;
#  (b) wrk (keep-alive, 2 threads, 32 connections) through nginx + TLS on GET /v1/models with
#      an API key and with a JWT from /v1/oauth/token (authenticated, authorised, rate-limit
#      stage, audited), on GET /health (the same FastCGI path without credentials), on
#      bench/fcgi_hello.cpp (a bare libfcgi hello-world: the issue's baseline) and on `return
#      200`, the last two on a bench-only TLS server in the same nginx; --rounds interleaved
#      rounds, best run of each kept; ratios; and the worker-side time per /v1/models request
#      (p50/p90 from the worker's own duration histogram, scraped around the first API-key run).
#      Prints markdown tables; never asserts. SERVE_BENCH_PERF=FILE records the worker with
#      `perf record -g` during the first API-key run (then: perf report -i FILE --no-children).
#
#   bench/serve_bench.sh [--shape tiny] [--type q8_0] [--model FILE] [--max-tokens 128]
#                        [--rounds 3] [--concurrency "1 4 8"] [--duration 10] [--threads 2]
#                        [--logprobs]   (one event per token even when tokens have no text:
#                                        needed for TTFT/ITL on the qwen2-0.5b demo model)
#                        [--pg-store]   (a second stack whose worker keeps its keys on a
#                                        PostgreSQL started here: /v1/models with an API key
#                                        and its worker p50, beside the SQLite default's)
#   bench/serve_bench.sh --redis [--rounds 3] [--duration 10]
#                        global limits on Redis vs in-process limits (bench/serve_bench_redis.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = --redis ] && exec bench/serve_bench_redis.sh "${@:2}"
shape=tiny type=q8_0 model="" max_tokens=128 rounds=3 levels="1 4 8" duration=10 threads=2 logprobs=0 pg_store=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --max-tokens) max_tokens=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --concurrency) levels=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --logprobs) logprobs=1; shift ;;
    --pg-store) pg_store=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export DG_SOURCE_DIR=$PWD DG_BIN=$PWD/build/bin DG_MODEL_ID=deepgate-demo
source scripts/stack.sh
[ -x "$DG_BIN/deepgate-fcgi" ] || { echo "build first: cmake --build build" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is not installed (scripts/install-deps.sh)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || DG_NGINX_USER=$(id -un)

prefix=$(mktemp -d /tmp/deepgate-sbench.XXXXXX)
cleanup() { dg_stack_stop "$prefix"; rm -rf "$prefix"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$model" ]; then
  model=${BENCH_MODEL_DIR:-/tmp/deepgate-bench-models}/demo-$shape-$type.gguf
  mkdir -p "$(dirname "$model")"
  [ -f "$model" ] || "$DG_BIN/deepgate" model demo --out "$model" --shape "$shape" --type "$type" >/dev/null
  label="demo $shape $type"
else
  label=$(basename "$model")
fi
port=$(dg_free_port)
# Room for the highest concurrency in one batch, so TTFT measures generation, not queueing.
maxc=$(echo "$levels" | tr ' ' '\n' | sort -n | tail -1)
# engine_reserved_sequences 0 and no rate limits: one bench key may fill the batch (the bench
# measures the engine, not the per-key limits).
dg_stack_prepare "$prefix" "$port" "$model" 1048576 "\"max_sequences\": $maxc, \"engine_reserved_sequences\": 0,
  \"rate_limits\": {\"requests_per_minute\": 0, \"tokens_per_minute\": 0, \"max_concurrent\": 0}" >/dev/null
sed -i "s/\"threads\": 2/\"threads\": $threads/" "$prefix/conf/deepgate.json"
# nginx's per-address request limit (snippets/deepgate-limits.conf) would cap wrk's one address.
sed -i '/limit_req zone=/d' "$prefix/conf/snippets/deepgate-locations.conf"

# Bench-only: a second TLS server in the same nginx answering `return 200` (what nginx + TLS
# alone cost) and passing /fcgi to the bare FastCGI hello-world (bench/fcgi_hello.cpp) with the
# worker's FastCGI params and keep-alive settings. Generated here; the shipped nginx files are untouched.
bport=$(dg_free_port)
[ -x "$DG_BIN/fcgi_hello" ] || { echo "build first: cmake --build build --target fcgi_hello" >&2; exit 1; }
hello_sock=$prefix/hello.sock
"$DG_BIN/fcgi_hello" "$hello_sock" 16 >/dev/null 2>&1 &
hello_pid=$!
cleanup() { kill "$hello_pid" 2>/dev/null || true; dg_stack_stop "$prefix"; rm -rf "$prefix"; }
python3 - "$prefix/conf/nginx.conf" "$bport" "$hello_sock" <<'PY'
import sys
path, port, sock = sys.argv[1], sys.argv[2], sys.argv[3]
conf = open(path).read().rstrip()
assert conf.endswith("}")
conf = conf[:-1] + """
  # bench-only baselines (bench/serve_bench.sh)
  upstream fcgi_hello {
    server unix:%s;
    keepalive 8;
  }
  server {
    listen 127.0.0.1:%s ssl;
    server_name localhost;
    ssl_certificate cert.pem;
    ssl_certificate_key key.pem;
    include snippets/deepgate-tls.conf;
    access_log off;
    location / { return 200 "ok\\n"; }
    location = /fcgi {
      include snippets/deepgate-fastcgi.conf;
      fastcgi_pass fcgi_hello;
    }
  }
}
""" % (sock, port)
open(path, "w").write(conf)
PY
# Access logs cost the same on both sides only if both log; the baseline logs nothing, so turn
# the API's log off too and compare nginx + FastCGI against nginx alone.
sed -i 's|^\(\s*\)access_log .*;|\1access_log off;|' "$prefix/conf/nginx.conf"

# A bench key: --rpm 0 so the config's limits (none in a local stack) apply, not 120/min.
DG_API_KEY=$(dg_stack_create_key "$prefix" bench developer --rpm 0)
export DG_API_KEY
monitor_key=$(dg_stack_create_key "$prefix" bench-monitor monitor --rpm 0)
# The worker's audit lines on stderr would measure the terminal: keep them off (journald,
# when it runs, still gets every entry).
sed -i 's|"audit": {"required": false}|"audit": {"required": false, "stderr": false}|' "$prefix/conf/deepgate.json"
dg_stack_start_worker "$prefix" /dev/null
dg_stack_start_nginx "$prefix"
dg_stack_wait_ready "$prefix" 120
url=$(dg_stack_url "$prefix")

# --pg-store: the same stack again (same secrets and keys, copied with `deepgate store copy`)
# with its keys on PostgreSQL (tests/integration/postgres.sh starts one in a temp dir).
pg_url=""
if [ "$pg_store" = 1 ]; then
  source tests/integration/postgres.sh
  pg_available || { echo "--pg-store: PostgreSQL binaries missing (scripts/install-deps.sh)" >&2; exit 1; }
  pg_root=$(mktemp -d /tmp/deepgate-sbench-pg.XXXXXX) && chmod 0711 "$pg_root"
  pg_prefix=$(mktemp -d /tmp/deepgate-sbench.XXXXXX)
  cleanup() { kill "$hello_pid" 2>/dev/null || true; dg_stack_stop "$prefix"; dg_stack_stop "$pg_prefix"; pg_stop "$pg_root/pg"; rm -rf "$prefix" "$pg_prefix" "$pg_root"; }
  pg_start "$pg_root/pg" >/dev/null
  (umask 077 && pg_dsn "$pg_root/pg" >"$pg_root/dsn")
  dg_stack_prepare "$pg_prefix" "$(dg_free_port)" "$model" 1048576 "\"max_sequences\": $maxc, \"engine_reserved_sequences\": 0,
  \"rate_limits\": {\"requests_per_minute\": 0, \"tokens_per_minute\": 0, \"max_concurrent\": 0},
  \"store\": {\"url\": \"postgres:$pg_root/dsn\"}" >/dev/null
  sed -i -e "s/\"threads\": 2/\"threads\": $threads/" \
    -e 's|"audit": {"required": false}|"audit": {"required": false, "stderr": false}|' "$pg_prefix/conf/deepgate.json"
  sed -i '/limit_req zone=/d' "$pg_prefix/conf/snippets/deepgate-locations.conf"
  sed -i 's|^\(\s*\)access_log .*;|\1access_log off;|' "$pg_prefix/conf/nginx.conf"
  cp -p "$prefix"/secrets/* "$pg_prefix/secrets/"
  "$DG_BIN/deepgate" store init --config "$pg_prefix/conf/deepgate.json" >/dev/null
  "$DG_BIN/deepgate" store copy --from "sqlite:$prefix/keys/keys.db" --to "postgres:$pg_root/dsn" >/dev/null
  dg_stack_start_worker "$pg_prefix" /dev/null
  dg_stack_start_nginx "$pg_prefix"
  dg_stack_wait_ready "$pg_prefix" 120
  pg_url=$(dg_stack_url "$pg_prefix")
fi

echo "## deepgate serving bench"
echo
echo "model: $label ($(( $(stat -c %s "$model") / 1000 )) kB); worker threads $threads, max_sequences $maxc;" \
  "max_tokens $max_tokens, temperature 0, $rounds round(s) per level$([ $logprobs = 1 ] && echo ", logprobs on")"
echo "machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 bench/serve_bench.py "$url" deepgate-demo "$max_tokens" "$rounds" "$logprobs" $levels
echo

# wrk: prints req/s, p50, p99 (ms) and non-2xx count of one run.
run_wrk() {
  local target=$1 out rps p50 p99 non2xx; shift
  out=$(wrk -t2 -c32 -d"${duration}s" --latency "$@" "$target")
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${non2xx:-0}"
}
# wrk prints latencies as 812.00us / 4.51ms / 1.02s.
to_ms() { echo "$1" | awk '/us$/ {printf "%.2f", $1/1000; next} /ms$/ {printf "%.2f", $1+0; next} /s$/ {printf "%.2f", $1*1000}'; }

client_id=$(echo "$DG_API_KEY" | cut -d_ -f2)
jwt=$(curl -k -s -X POST "$url/v1/oauth/token" --data-urlencode grant_type=client_credentials \
  --data-urlencode "client_id=$client_id" --data-urlencode "client_secret=$DG_API_KEY" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
row() {  # row LABEL "rps p50 p99 non2xx" BASE_RPS
  local rps p50 p99 bad
  read -r rps p50 p99 bad <<<"$2"
  echo "| $1 | $rps | $p50 | $p99 | $bad | $(awk "BEGIN{printf \"%.2f\", $rps/$3}") |"
}
# best RUN_A RUN_B: the run with the higher req/s.
best() { if [ -z "$1" ] || awk "BEGIN{exit !(${2%% *} > ${1%% *})}"; then echo "$2"; else echo "$1"; fi; }
# The worker's own request-duration histogram for the models route, around the first API-key run.
scrape() { curl -k -s -H "Authorization: Bearer $monitor_key" "${1:-$url}/metrics" | grep '^deepgate_request_duration_seconds_bucket{route="models.list"' || true; }
# $rounds rounds, each running every target once in turn, so drifting load on a shared machine
# hits them alike; the best run of each is kept.
key="" tok="" health="" hello="" base=""
before=$(scrape)
for ((r = 0; r < rounds; r++)); do
  perf_pid=""
  if [ "$r" -eq 0 ] && [ -n "${SERVE_BENCH_PERF:-}" ]; then
    perf record -g -o "$SERVE_BENCH_PERF" -p "$(pgrep -n -x deepgate-fcgi)" -- sleep "$duration" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  key=$(best "$key" "$(run_wrk "$url/v1/models" -H "Authorization: Bearer $DG_API_KEY")")
  [ -n "$perf_pid" ] && wait "$perf_pid"
  [ "$r" -eq 0 ] && after=$(scrape)
  if [ -n "$pg_url" ]; then  # --pg-store: the same request on the PostgreSQL-store stack
    [ "$r" -eq 0 ] && pg_before=$(scrape "$pg_url")
    pgkey=$(best "${pgkey:-}" "$(run_wrk "$pg_url/v1/models" -H "Authorization: Bearer $DG_API_KEY")")
    [ "$r" -eq 0 ] && pg_after=$(scrape "$pg_url")
  fi
  hello=$(best "$hello" "$(run_wrk "https://127.0.0.1:$bport/fcgi")")
  tok=$(best "$tok" "$(run_wrk "$url/v1/models" -H "Authorization: Bearer $jwt")")
  health=$(best "$health" "$(run_wrk "$url/health")")
  base=$(best "$base" "$(run_wrk "https://127.0.0.1:$bport/")")
done
b_rps=${base%% *}
echo "| wrk -t2 -c32 -d${duration}s, keep-alive, TLS, best of $rounds interleaved | req/s | p50 ms | p99 ms | non-2xx | ÷ return 200 |"
echo "| --- | --- | --- | --- | --- | --- |"
row "GET /v1/models, API key (auth + policy + audit)" "$key" "$b_rps"
[ -n "$pg_url" ] && row "GET /v1/models, API key, keys on PostgreSQL (--pg-store)" "$pgkey" "$b_rps"
row "GET /v1/models, JWT (HS256)" "$tok" "$b_rps"
row "GET /health (same FastCGI path, no credentials)" "$health" "$b_rps"
row "bare FastCGI hello-world (bench/fcgi_hello.cpp, same nginx)" "$hello" "$b_rps"
row "nginx \`return 200\` (same nginx, same run)" "$base" "$b_rps"
ratio() { awk "BEGIN{printf \"%.2f\", ${1%% *}/${2%% *}}"; }
echo
echo "authenticated /v1/models ÷ bare FastCGI hello-world: API key $(ratio "$key" "$hello"), JWT $(ratio "$tok" "$hello");" \
  "÷ /health: API key $(ratio "$key" "$health"), JWT $(ratio "$tok" "$health")"
python3 bench/histogram_quantiles.py "$before" "$after"  # first API-key run only
if [ -n "$pg_url" ]; then
  echo "keys on PostgreSQL ÷ SQLite (API key, req/s): $(ratio "$pgkey" "$key"); worker time, keys on PostgreSQL:"
  python3 bench/histogram_quantiles.py "$pg_before" "$pg_after"
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
