#!/usr/bin/env bash
# Shared weights across worker processes: starts N deepgate-fcgi instances (each its own
# socket, config, secrets and key store in a temp prefix) on ONE model file, waits until each
# has loaded it ("ready in" in its log), touches the weights by one generation per worker
# (so every page of the model is faulted in by every process), then reads RSS and PSS from
# /proc/PID/smaps_rollup. PSS splits each shared page among the processes mapping it, so if
# the weights are shared the sum of PSS over N workers stays near one worker's RSS.
#
#   bench/shared_weights_bench.sh [-n 4] [-m MODEL] [--shape qwen2-0.5b --type q8_0]
#
# Without -m it makes the demo model (deepgate model demo) once under /tmp. No nginx: the
# worker's FastCGI socket is driven directly by a tiny client (cgi-fcgi is not needed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DG_SOURCE_DIR=$(cd "$HERE/.." && pwd)
# shellcheck source=../scripts/stack.sh
source "$DG_SOURCE_DIR/scripts/stack.sh"
N=4 MODEL="" SHAPE=qwen2-0.5b TYPE=q8_0 TOUCH=1
while [ $# -gt 0 ]; do
  case $1 in
    -n) N=$2; shift 2 ;;
    -m) MODEL=$2; shift 2 ;;
    --shape) SHAPE=$2; shift 2 ;;
    --type) TYPE=$2; shift 2 ;;
    --no-touch) TOUCH=0; shift ;;
    *) echo "usage: $0 [-n N] [-m MODEL] [--shape S --type T] [--no-touch]" >&2; exit 2 ;;
  esac
done
if [ -z "$MODEL" ]; then
  MODEL=/tmp/deepgate-bench-$SHAPE-$TYPE.gguf
  [ -s "$MODEL" ] || "$DG_BIN/deepgate" model demo --out "$MODEL" --shape "$SHAPE" --type "$TYPE" >&2
fi
BASE=$(mktemp -d /tmp/deepgate-swb.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$BASE"
}
trap cleanup EXIT

# kB of a smaps_rollup field
rollup() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/smaps_rollup"; }
# kB of the model file's mapping alone (Rss and Pss summed over its VMAs in smaps)
file_field() {
  awk -v path="$MODEL" -v f="$2:" '
    /^[0-9a-f]+-[0-9a-f]+ / { in_map = ($6 == path) }
    in_map && $1 == f { s += $2 } END { print s + 0 }' "/proc/$1/smaps"
}

# One chat completion over the worker's FastCGI socket (python, FastCGI by hand).
fcgi_generate() {
  python3 - "$1" <<'PY'
import socket, struct, sys
def rec(t, rid, content):
    return struct.pack(">BBHHBx", 1, t, rid, len(content), 0) + content
def nv(k, v):
    def ln(x): return bytes([len(x)]) if len(x) < 128 else struct.pack(">I", len(x) | 0x80000000)
    return ln(k) + ln(v) + k + v
body = b'{"model":"bench","messages":[{"role":"user","content":"hello"}],"max_tokens":4}'
params = {b"REQUEST_METHOD": b"POST", b"SCRIPT_NAME": b"/v1/chat/completions", b"REQUEST_URI": b"/v1/chat/completions",
          b"DOCUMENT_URI": b"/v1/chat/completions", b"CONTENT_TYPE": b"application/json",
          b"CONTENT_LENGTH": str(len(body)).encode(), b"REMOTE_ADDR": b"127.0.0.1", b"QUERY_STRING": b""}
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
p = b"".join(nv(k, v) for k, v in params.items())
s.sendall(rec(1, 1, struct.pack(">HB5x", 1, 0)) + rec(4, 1, p) + rec(4, 1, b"") + rec(5, 1, body) + rec(5, 1, b""))
out = b""
while True:
    d = s.recv(65536)
    if not d: break
    out += d
status = out.split(b"Status: ")[1][:3] if b"Status: " in out else b"200"
print(status.decode())
PY
}

for ((i = 0; i < N; i++)); do
  P=$BASE/w$i
  mkdir -p "$P"/{conf,logs,run}
  # A bench worker: no auth (loopback socket only), one sequence, a small KV cache.
  python3 - "$P/conf/deepgate.json" "$MODEL" "$P" <<'PY'
import json, re, sys
path, model, prefix = sys.argv[1:]
cfg = {"socket_path": f"{prefix}/run/deepgate.sock", "socket_group": "", "model_path": model, "model_id": "bench",
       "threads": 1, "max_sequences": 1, "ctx_size": 256, "kv_cache_mb": 16, "watchdog": False,
       "audit": {"required": False, "stderr": False}, "rate_limits": {"requests_per_minute": 0},
       "auth": {"required": False, "key_store": f"{prefix}/keys/keys.db",
                "master_secret_file": f"{prefix}/secrets/master_secret", "pepper_file": f"{prefix}/secrets/pepper",
                "jwt_secret_file": f"{prefix}/secrets/jwt_hs256"}}
json.dump(cfg, open(path, "w"), indent=2)
PY
  dg_stack_secrets "$P"
  "$DG_BIN/deepgate-fcgi" --config "$P/conf/deepgate.json" 2>"$P/logs/worker.log" &
  PIDS+=($!)
done
for ((i = 0; i < N; i++)); do
  for _ in $(seq 600); do grep -qs "ready in" "$BASE/w$i/logs/worker.log" && break; sleep 0.1; done
  grep -q "ready in" "$BASE/w$i/logs/worker.log" || { echo "worker $i did not load:" >&2; cat "$BASE/w$i/logs/worker.log" >&2; exit 1; }
  if [ "$TOUCH" = 1 ]; then
    st=$(fcgi_generate "$BASE/w$i/run/deepgate.sock")
    [ "$st" = 200 ] || echo "note: worker $i generation answered $st" >&2
  fi
done
sleep 0.5
printf "model: %s (%s MB)\n" "$MODEL" "$(( $(stat -c %s "$MODEL") / 1000000 ))"
printf "%-8s %10s %10s %14s %14s\n" worker "RSS MiB" "PSS MiB" "model RSS MiB" "model PSS MiB"
sum_pss=0 sum_rss=0
for ((i = 0; i < N; i++)); do
  pid=${PIDS[$i]}
  rss=$(rollup "$pid" Rss) pss=$(rollup "$pid" Pss) frss=$(file_field "$pid" Rss) fpss=$(file_field "$pid" Pss)
  sum_pss=$((sum_pss + pss)) sum_rss=$((sum_rss + rss))
  [ "$i" = 0 ] && first_rss=$rss
  awk -v w="$i" -v a="$rss" -v b="$pss" -v c="$frss" -v d="$fpss" \
    'BEGIN { printf "%-8s %10.1f %10.1f %14.1f %14.1f\n", w, a/1024, b/1024, c/1024, d/1024 }'
done
awk -v n="$N" -v sp="$sum_pss" -v sr="$sum_rss" -v r1="$first_rss" 'BEGIN {
  printf "sum over %d workers: RSS %.1f MiB, PSS %.1f MiB; one worker RSS %.1f MiB; sum PSS / one RSS = %.2f\n",
         n, sr/1024, sp/1024, r1/1024, sp/r1 }'
