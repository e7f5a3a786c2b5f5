#!/usr/bin/env bash
# The whole multi-host layout (issue 15): two hosts (nginx + deepgate-fcgi each, sharing only
# the secrets) on one real PostgreSQL for the keys and one real redis-server for the limits
# and the response cache, with a private journald. It checks what the PostgreSQL-only
# (multihost_pg_test) and Redis-only (redis_test) tests cannot, the two working together:
#   - a key made through A's admin API (a PostgreSQL write) is limited by one Redis bucket
#     across both hosts from its first request; a 1200/min key (budget chunks) too, under load;
#   - a TOTP code spent on an admin change on A is a replay on B (the step is taken in
#     PostgreSQL, not per worker);
#   - an answer cached on A is a hit on B;
#   - a key revoked on B is refused on A within 1 s, and its leftover budget is no use;
#   - Redis killed: A (fail_closed) answers 503 limits_unavailable, B (local) serves, keys are
#     still checked on PostgreSQL (a revoked key stays refused); Redis back: global again;
#   - PostgreSQL killed with Redis up: a recently verified key keeps its global limit.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=postgres.sh
source "$HERE/postgres.sh"
# shellcheck source=redis.sh
source "$HERE/redis.sh"
pg_available || dg_it_skip "PostgreSQL binaries missing (scripts/install-deps.sh installs postgresql): NOT tested"
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"
ROOT=$(mktemp -d /tmp/deepgate-mh.XXXXXX)
chmod 0711 "$ROOT"
trap 'dg_it_cleanup; dg_redis_stop; pg_stop "$ROOT/pg"; dg_journal_stop; rm -rf "$ROOT"' EXIT
dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; exit 1; }
dg_journal_start
pg_start "$ROOT/pg" || { echo "FAIL: could not start PostgreSQL"; exit 1; }
(umask 077 && pg_dsn "$ROOT/pg" >"$ROOT/dsn")
dg_redis_start "$ROOT/redis"

shared_json() {  # POLICY
  echo "\"store\": {\"url\": \"postgres:$ROOT/dsn\", \"stale_key_seconds\": 30, \"statement_timeout_ms\": 1000, \"connect_timeout_ms\": 1000},
  \"redis\": {\"url\": \"unix:$DG_REDIS_SOCKET\", \"timeout_ms\": 100},
  \"limits\": {\"backend\": \"redis\", \"on_backend_failure\": \"$1\", \"lease_seconds\": 2},
  \"cache\": {\"backend\": \"redis\"},
  \"rate_limits\": {\"requests_per_minute\": 0, \"max_concurrent\": 0}"
}
PREFIX_A=$(mktemp -d /tmp/deepgate-it.XXXXXX); PREFIX_B=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$PREFIX_A" "$PREFIX_B")
dg_stack_model "$ROOT/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
dg_stack_prepare "$PREFIX_A" "$(dg_free_port)" "$ROOT/model.gguf" 1048576 "$(shared_json fail_closed)" || exit 1
dg_stack_prepare "$PREFIX_B" "$(dg_free_port)" "$ROOT/model.gguf" 1048576 "$(shared_json local)" || exit 1
cp -p "$PREFIX_A"/secrets/* "$PREFIX_B/secrets/"
# nginx's per-address request limit would cap the load check's one address before our limits.
sed -i '/limit_req zone=/d' "$PREFIX_A/conf/snippets/deepgate-locations.conf" "$PREFIX_B/conf/snippets/deepgate-locations.conf"
CA=$PREFIX_A/conf/deepgate.json
"$DG_BIN/deepgate" store init --config "$CA" >/dev/null 2>&1 || { echo "FAIL: store init"; exit 1; }
ADMIN=$(dg_stack_create_key "$PREFIX_A" admin admin --rpm 0)
DEV=$(dg_stack_create_key "$PREFIX_A" dev developer --rpm 0)
[ -n "$ADMIN" ] && [ -n "$DEV" ] || { echo "FAIL: could not create keys on the PostgreSQL store"; exit 1; }
for P in "$PREFIX_A" "$PREFIX_B"; do
  DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$P"
  dg_stack_start_nginx "$P"
done
for P in "$PREFIX_A" "$PREFIX_B"; do
  dg_stack_wait_ready "$P" 60 || { DG_IT_FAILS=1; echo "FAIL: stack $P not ready"; exit 1; }
done
A=$(dg_stack_url "$PREFIX_A") B=$(dg_stack_url "$PREFIX_B")
on() { local url=$1 key=$2 path=$3; shift 3; curl -k -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $key" "$@" "$url$path"; }
on_body() { local url=$1 key=$2 path=$3; shift 3; curl -k -s --max-time 10 -H "Authorization: Bearer $key" "$@" "$url$path"; }
id_of() { echo "$1" | cut -d_ -f2; }
now_ms() { date +%s%3N; }
has() { grep -q "$@" && echo 1 || echo 0; }

READY=$(curl -k -s --max-time 5 "$B/ready")
expect "/ready on B: keys on postgres" postgres "$(echo "$READY" | json_field 'd["key_store"]["backend"]')"
expect "/ready on B: redis up" up "$(echo "$READY" | json_field 'd["redis"]["state"]')"

# --- a key made on A's admin API: one Redis bucket on both hosts from its first request ---
K=$(on_body "$A" "$ADMIN" /admin/keys -X POST -H 'Content-Type: application/json' \
  -d '{"name": "shared", "role": "developer", "requests_per_min": 10}' | json_field 'd["key"]')
[ -n "$K" ] || { echo "FAIL: admin API did not create a key"; exit 1; }
ok=0 codes=""
for i in $(seq 8); do
  for U in "$B" "$A"; do c=$(on "$U" "$K" /v1/models); codes="$codes $c"; [ "$c" = 200 ] && ok=$((ok + 1)); done
done
echo "10/min key made on A, 16 requests alternating B, A:$codes"
# 10 up front plus the refill (1 per 6 s) during the burst.
expect "admitted at most its global budget across both hosts" 1 "$([ "$ok" -ge 10 ] && [ "$ok" -le 11 ] && echo 1 || echo 0)"
expect "the refusal is a 429" 1 "$(echo "$codes" | has ' 429')"

# --- a 1200/min key takes its budget in chunks: under load from both hosts at once, the
# global bound still holds (1200 + the refill of the run's duration) ---
if command -v wrk >/dev/null; then
  HK=$(on_body "$A" "$ADMIN" /admin/keys -X POST -H 'Content-Type: application/json' \
    -d '{"name": "busy", "role": "developer", "requests_per_min": 1200}' | json_field 'd["key"]')
  t0=$(date +%s.%N)
  wrk -t1 -c4 -d4s -H "Authorization: Bearer $HK" "$A/v1/models" >"$ROOT/wrk-a.txt" 2>&1 &
  wa=$!
  wrk -t1 -c4 -d4s -H "Authorization: Bearer $HK" "$B/v1/models" >"$ROOT/wrk-b.txt" 2>&1
  wait "$wa"
  elapsed=$(python3 -c "import time; print(time.time() - $t0)")
  admitted() { awk '/requests in/ {t=$1} /Non-2xx/ {n=$NF} END {print t - n}' "$1"; }
  ok=$(( $(admitted "$ROOT/wrk-a.txt") + $(admitted "$ROOT/wrk-b.txt") ))
  bound=$(python3 -c "import math; print(1200 + math.ceil($elapsed * 20) + 8)")  # + one request in flight per connection
  echo "1200/min key under load on both hosts: $ok admitted in ${elapsed}s (bound $bound)"
  expect "chunked budget: at most the global limit across both hosts" 1 "$([ "$ok" -le "$bound" ] && echo 1 || echo 0)"
  expect "  and the budget was used (not lost to chunks)" 1 "$([ "$ok" -ge 1200 ] && echo 1 || echo 0)"
else
  echo "note: wrk missing, the chunked-budget load check did NOT run"
fi

# --- a key made on B works on A at once; revoked on B, refused on A within 1 s ---
K2=$(on_body "$B" "$ADMIN" /admin/keys -X POST -H 'Content-Type: application/json' \
  -d '{"name": "revokee", "role": "developer", "requests_per_min": 1000}' | json_field 'd["key"]')
expect "a key made on B works on A at once" 200 "$(on "$A" "$K2" /v1/models)"
t0=$(now_ms)
expect "revoked through B's admin API" 200 "$(on "$B" "$ADMIN" "/admin/keys/$(id_of "$K2")/revoke" -X POST)"
while [ "$(on "$A" "$K2" /v1/models)" = 200 ] && [ $(($(now_ms) - t0)) -lt 5000 ]; do :; done
WINDOW=$(($(now_ms) - t0))
echo "note: revocation on B refused on A after ${WINDOW} ms"
expect "A refuses the key revoked on B" 401 "$(on "$A" "$K2" /v1/models)"
expect "  within 1 s" 1 "$([ "$WINDOW" -lt 1000 ] && echo 1 || echo 0)"

# --- the response cache in Redis: answered on A, a hit on B ---
chat() {  # URL TEXT
  curl -k -s -o "$ROOT/chat.json" -D "$ROOT/chat.h" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $DEV" \
    -H 'Content-Type: application/json' -X POST "$1/v1/chat/completions" \
    -d "{\"model\":\"deepgate-demo\",\"messages\":[{\"role\":\"user\",\"content\":\"$2\"}],\"max_tokens\":8,\"temperature\":0}"
}
cache_state() { tr -d '\r' <"$ROOT/chat.h" | awk -F': ' 'tolower($1)=="x-deepgate-cache" {print $2}'; }
expect "a chat answer on A" 200 "$(chat "$A" "multi host")"
expect "  is a miss there" miss "$(cache_state)"
expect "the same request on B" 200 "$(chat "$B" "multi host")"
expect "  is a hit (Redis cache)" hit "$(cache_state)"

# --- TOTP: the step is taken in PostgreSQL, so a code spent on A is a replay on B ---
OTP_ADMIN=$(dg_stack_create_key "$PREFIX_A" otp-admin admin --rpm 0)
URI=$("$DG_BIN/deepgate" admin totp enroll --key "$(id_of "$OTP_ADMIN")" --config "$CA" --no-qr 2>/dev/null | grep '^otpauth://')
[ -n "$URI" ] || { echo "FAIL: totp enroll"; exit 1; }
totp() {
  python3 - "$URI" <<'PY'
import base64, hashlib, hmac, struct, sys, time, urllib.parse
secret = urllib.parse.parse_qs(urllib.parse.urlparse(sys.argv[1]).query)["secret"][0]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}
s=$(( $(date +%s) % 30 )); [ "$s" -lt 25 ] || sleep $((31 - s))  # a code that stays current
CODE=$(totp)
mk() { on "$1" "$OTP_ADMIN" /admin/keys -X POST -H 'Content-Type: application/json' -H "X-Deepgate-OTP: $CODE" \
  -d '{"name": "by-otp-admin", "role": "developer"}'; }
expect "an admin change on A with a live code" 201 "$(mk "$A")"
expect "the same code on B is a replay" 401 "$(mk "$B")"

# --- Redis killed: A fails closed, B falls back, keys still come from PostgreSQL ---
L=$(dg_stack_create_key "$PREFIX_A" limited developer --rpm 1000)  # under 1200: no budget chunks
expect "a limited key works on A before the outage" 200 "$(on "$A" "$L" /v1/models)"
dg_redis_kill
expect "Redis down: A (fail_closed) refuses a limited key" 503 "$(on "$A" "$L" /v1/models)"
expect "  with code limits_unavailable" limits_unavailable "$(on_body "$A" "$L" /v1/models | json_field 'd["error"]["code"]')"
expect "Redis down: B (local) serves it" 200 "$(on "$B" "$L" /v1/models)"
expect "Redis down: the key revoked on B is still refused on B (PostgreSQL)" 401 "$(on "$B" "$K2" /v1/models)"
expect "journald recorded backend_degraded for redis" 1 \
  "$(dg_journal_json DEEPGATE_EVENT=backend_degraded DEEPGATE_BACKEND=redis | has .)"
dg_redis_start "$ROOT/redis"
for _ in $(seq 50); do [ "$(on "$A" "$L" /v1/models)" = 200 ] && break; sleep 0.2; done
expect "Redis back: A serves the limited key again" 200 "$(on "$A" "$L" /v1/models)"

# --- PostgreSQL killed, Redis up: a verified key keeps its global limit ---
S=$(on_body "$A" "$ADMIN" /admin/keys -X POST -H 'Content-Type: application/json' \
  -d '{"name": "stale", "role": "developer", "requests_per_min": 4}' | json_field 'd["key"]')
expect "a 4/min key on A" 200 "$(on "$A" "$S" /v1/models)"
expect "  and on B" 200 "$(on "$B" "$S" /v1/models)"
pg_kill "$ROOT/pg"
ok=0 codes=""
for i in $(seq 4); do
  for U in "$A" "$B"; do c=$(on "$U" "$S" /v1/models); codes="$codes $c"; [ "$c" = 200 ] && ok=$((ok + 1)); done
done
echo "PostgreSQL down, 4/min key (2 spent), 8 more requests alternating A, B:$codes"
expect "PostgreSQL down: the verified key still answers from the stale window" 1 "$([ "$ok" -ge 1 ] && echo 1 || echo 0)"
expect "  within its one global budget (2 left)" 1 "$([ "$ok" -le 2 ] && echo 1 || echo 0)"
expect "  the rest are 429, not 503" 1 "$(echo "$codes" | has ' 429')"
expect "journald recorded backend_degraded for postgres" 1 \
  "$(dg_journal_json DEEPGATE_EVENT=backend_degraded DEEPGATE_BACKEND=postgres | has .)"
dg_it_finish
