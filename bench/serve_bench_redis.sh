#!/usr/bin/env bash
# `bench/serve_bench.sh --redis`: the cost of global limits. Two stacks on the same model in
# one run — A with the in-process limits (the default), B with limits.backend = redis on a
# redis-server started here (unix socket) — and the same limited key on both (requests/min:
# one decide script per request), plus on B a key that also has a concurrency cap (a lease
# per request: the decide and the finish script). wrk (keep-alive, TLS, 2 threads, 32 connections) on GET /v1/models with the key,
# rounds interleaved A, B, A, B (best of each kept), and the worker-side p50/p90 of the models
# route from each worker's own histogram. With PostgreSQL installed, a third stack D runs the
# whole multi-host configuration: keys on a PostgreSQL started here (store.url = postgres:)
# and the limits on the same Redis. Prints a markdown table; never asserts.
#
#   bench/serve_bench.sh --redis [--rounds 3] [--duration 10]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 duration=10
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export DG_SOURCE_DIR=$PWD DG_BIN=$PWD/build/bin DG_MODEL_ID=deepgate-demo
source scripts/stack.sh
source tests/integration/redis.sh
source tests/integration/postgres.sh
[ -x "$DG_BIN/deepgate-fcgi" ] || { echo "build first: cmake --build build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || DG_NGINX_USER=$(id -un)

A=$(mktemp -d /tmp/deepgate-rbench.XXXXXX) B=$(mktemp -d /tmp/deepgate-rbench.XXXXXX) R=$(mktemp -d /tmp/deepgate-rbench.XXXXXX)
D=$(mktemp -d /tmp/deepgate-rbench.XXXXXX)
chmod 0711 "$R"  # postgres runs as another user under it
sides="A B"
pg_available && sides="A B D"
cleanup() {
  dg_stack_stop "$A"; dg_stack_stop "$B"; dg_stack_stop "$D"; dg_redis_stop
  [ -d "$R/pg" ] && pg_stop "$R/pg"
  rm -rf "$A" "$B" "$D" "$R"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
dg_redis_start "$R" >/dev/null
if [ "$sides" = "A B D" ]; then
  pg_start "$R/pg" >/dev/null
  (umask 077 && pg_dsn "$R/pg" >"$R/dsn")
fi

model=${BENCH_MODEL_DIR:-/tmp/deepgate-bench-models}/demo-tiny-q8_0.gguf
mkdir -p "$(dirname "$model")"
[ -f "$model" ] || "$DG_BIN/deepgate" model demo --out "$model" --shape tiny --type q8_0 >/dev/null
declare -A key url
key_cap=""
for side in $sides; do
  p=${!side}
  extra='"rate_limits": {"requests_per_minute": 0, "max_concurrent": 0}'
  [ "$side" != A ] && extra="$extra, \"redis\": {\"url\": \"unix:$DG_REDIS_SOCKET\", \"timeout_ms\": 500, \"pool_size\": 16},
    \"limits\": {\"backend\": \"redis\", \"on_backend_failure\": \"fail_closed\"}"
  [ "$side" = D ] && extra="$extra, \"store\": {\"url\": \"postgres:$R/dsn\"}"
  dg_stack_prepare "$p" "$(dg_free_port)" "$model" 1048576 "$extra" >/dev/null
  [ "$side" = D ] && "$DG_BIN/deepgate" store init --config "$p/conf/deepgate.json" >/dev/null
  sed -i '/limit_req zone=/d' "$p/conf/snippets/deepgate-locations.conf"
  sed -i 's|^\(\s*\)access_log .*;|\1access_log off;|' "$p/conf/nginx.conf"
  sed -i 's|"audit": {"required": false}|"audit": {"required": false, "stderr": false}|' "$p/conf/deepgate.json"
  # Limited (so the limiter does real work) but never reached at bench rates.
  key[$side]=$(dg_stack_create_key "$p" bench developer --rpm 1000000)
  [ "$side" = B ] && key_cap=$(dg_stack_create_key "$p" bench-cap developer --rpm 1000000 --concurrent 1000)
  mon=$(dg_stack_create_key "$p" mon monitor --rpm 0)
  echo "$mon" >"$p/monitor.key"
  dg_stack_start_worker "$p" /dev/null
  dg_stack_start_nginx "$p"
  dg_stack_wait_ready "$p" 120
  url[$side]=$(dg_stack_url "$p")
done

to_ms() { echo "$1" | awk '/us$/ {printf "%.2f", $1/1000; next} /ms$/ {printf "%.2f", $1+0; next} /s$/ {printf "%.2f", $1*1000}'; }
run_wrk() {  # SIDE [KEY] → "rps p50 p99 non2xx"
  local out
  out=$(wrk -t2 -c32 -d"${duration}s" --latency -H "Authorization: Bearer ${2:-${key[$1]}}" "${url[$1]}/v1/models")
  echo "$(echo "$out" | awk '/^Requests\/sec/ {print $2}') $(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")" \
    "$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')") $(echo "$out" | awk '/Non-2xx/ {print $NF}' | grep . || echo 0)"
}
best() { if [ -z "$1" ] || awk "BEGIN{exit !(${2%% *} > ${1%% *})}"; then echo "$2"; else echo "$1"; fi; }
scrape() { curl -k -s -H "Authorization: Bearer $(cat "${!1}/monitor.key")" "${url[$1]}/metrics" |
  grep '^deepgate_request_duration_seconds_bucket{route="models.list"' || true; }

echo "## deepgate serving bench: global limits on Redis vs in-process"
echo
echo "machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis-server $("$DG_REDIS_SERVER" --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') on a unix socket; hiredis $(dpkg-query -W -f='${Version}' libhiredis-dev 2>/dev/null || echo '?')"
echo
declare -A res before after
for side in $sides; do before[$side]=$(scrape "$side"); done
for ((r = 0; r < rounds; r++)); do
  for side in $sides; do res[$side]=$(best "${res[$side]:-}" "$(run_wrk "$side")"); done
  [ "$r" -eq 0 ] && for side in $sides; do after[$side]=$(scrape "$side"); done  # histograms: round 1 only
  res[C]=$(best "${res[C]:-}" "$(run_wrk B "$key_cap")")
done
echo "| GET /v1/models, API key, wrk -t2 -c32 -d${duration}s, best of $rounds interleaved | req/s | p50 ms | p99 ms | non-2xx |"
echo "| --- | --- | --- | --- | --- |"
for side in A B C ${sides#A B}; do
  read -r rps p50 p99 bad <<<"${res[$side]}"
  case $side in
    A) name="in-process limits (default), key --rpm" ;;
    B) name="Redis limits (limits.backend = redis), key --rpm" ;;
    C) name="Redis limits, key --rpm --concurrent (lease per request)" ;;
    D) name="multi-host: keys on PostgreSQL + Redis limits, key --rpm" ;;
  esac
  echo "| $name | $rps | $p50 | $p99 | $bad |"
done
echo
echo "Redis ÷ in-process req/s: $(awk "BEGIN{printf \"%.2f\", ${res[B]%% *}/${res[A]%% *}}")," \
  "with a concurrency cap $(awk "BEGIN{printf \"%.2f\", ${res[C]%% *}/${res[A]%% *}}") (target ≥ 0.8)"
[ -n "${res[D]:-}" ] && echo "PostgreSQL keys + Redis limits ÷ SQLite + in-process req/s: $(awk "BEGIN{printf \"%.2f\", ${res[D]%% *}/${res[A]%% *}}")"
echo
echo "worker-side time per request (round 1, key --rpm), in-process:"
python3 bench/histogram_quantiles.py "${before[A]}" "${after[A]}"
echo "worker-side time per request (round 1, key --rpm), Redis:"
python3 bench/histogram_quantiles.py "${before[B]}" "${after[B]}"
if [ -n "${res[D]:-}" ]; then
  echo "worker-side time per request (round 1, key --rpm), PostgreSQL keys + Redis limits:"
  python3 bench/histogram_quantiles.py "${before[D]}" "${after[D]}"
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
