#!/usr/bin/env bash
# Two stacks (two nginx + two deepgate-fcgi: two "hosts") sharing one real redis-server for
# limits and the response cache, and one SQLite key store file (the PostgreSQL store and Redis
# together: multihost_test.sh). Stack A runs
# limits.on_backend_failure = fail_closed, stack B = local, so one outage checks both policies.
#   - a 120 requests/min key gets at most 120 (+ one in flight per worker, + the refill of the
#     run's own duration) across both stacks under concurrent load; tokens/min and
#     concurrency are shared likewise;
#   - a deterministic request answered on A is a cache hit on B; a purge on B empties A;
#   - a concurrency slot held by a SIGKILLed worker is freed by its lease; a long request
#     keeps its slot by renewing it;
#   - Redis killed mid-load: A answers 503 limits_unavailable, B serves with per-worker limits,
#     nothing hangs, journald records backend_degraded (DEEPGATE_BACKEND=redis) and, once Redis
#     is back, backend_recovered — and limits are global again.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=redis.sh
source "$HERE/redis.sh"
trap 'dg_it_cleanup; dg_redis_stop; dg_journal_stop; rm -rf "${RDIR:-}"' EXIT
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"
echo "journald: $DG_JOURNAL_NS"

RDIR=$(mktemp -d /tmp/deepgate-redis.XXXXXX)
dg_redis_start "$RDIR"
dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; exit 1; }
dg_journal_start

shared_json() {  # POLICY
  echo "\"redis\": {\"url\": \"unix:$DG_REDIS_SOCKET\", \"timeout_ms\": 100},
  \"limits\": {\"backend\": \"redis\", \"on_backend_failure\": \"$1\", \"lease_seconds\": 2},
  \"cache\": {\"backend\": \"redis\"}"
}

A=$(mktemp -d /tmp/deepgate-it.XXXXXX); B=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$A" "$B")
dg_stack_model "$A/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
dg_stack_prepare "$A" "$(dg_free_port)" "$A/model.gguf" 1048576 "$(shared_json fail_closed)" || exit 1
dg_stack_prepare "$B" "$(dg_free_port)" "$A/model.gguf" 1048576 "$(shared_json local)" || exit 1
# One key store and one set of secrets for both "hosts".
cp -a "$A/secrets/." "$B/secrets/"
sed -i "s|$B/keys/keys.db|$A/keys/keys.db|" "$B/conf/deepgate.json"
key() { dg_stack_create_key "$A" "$@" || { echo "FAIL: could not create key $1"; exit 1; }; }
RPM_KEY=$(key rpm120 developer --rpm 120)
TPM_KEY=$(key tpm developer --rpm 0 --tpm 200)
CONC_KEY=$(key conc developer --rpm 0 --concurrent 1)
SMALL_KEY=$(key small developer --rpm 10)
LOAD_KEY=$(key load developer --rpm 1000000)  # limited (so Redis is asked), never reached
DG_API_KEY=$(key dev developer --rpm 0)
DG_ADMIN_KEY=$(key admin admin --rpm 0)
export DG_API_KEY

for P in "$A" "$B"; do
  DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$P"
  dg_stack_start_nginx "$P"
done
for P in "$A" "$B"; do dg_stack_wait_ready "$P" 30 || { DG_IT_FAILS=1; echo "FAIL: stack $P not ready"; exit 1; }; done
UA=$(dg_stack_url "$A"); UB=$(dg_stack_url "$B")
on() { local u=$1; shift; URL=$u "$@"; }

ready_redis=$(on "$UA" noauth body /ready | json_field 'd["redis"]["state"]')
expect "/ready reports Redis up" up "$ready_redis"

# --- requests/min across both stacks under concurrent load ---
# wrk on both stacks at once (keep-alive, 4 connections each, 6 s): admitted = requests - non-2xx.
command -v wrk >/dev/null || dg_it_skip "wrk is not installed (scripts/install-deps.sh)"
hammer() { wrk -t1 -c4 -d6s -H "Authorization: Bearer $RPM_KEY" "$1/v1/models" >"$2" 2>&1; }
start=$(date +%s.%N)
hammer "$UA" "$RDIR/wrk-a.txt" & wa=$!
hammer "$UB" "$RDIR/wrk-b.txt" & wb=$!
wait "$wa" "$wb"
elapsed=$(python3 -c "import time; print(time.time() - $start)")
admitted() { awk '/requests in/ {t=$1} /Non-2xx/ {n=$NF} END {print t - n}' "$1"; }
refused() { awk '/Non-2xx/ {n=$NF} END {print n + 0}' "$1"; }
ok_a=$(admitted "$RDIR/wrk-a.txt"); ok_b=$(admitted "$RDIR/wrk-b.txt"); ok=$((ok_a + ok_b))
no=$(( $(refused "$RDIR/wrk-a.txt") + $(refused "$RDIR/wrk-b.txt") ))
# 120 up front, one in flight per worker, and the bucket's refill (2/s) while the load ran.
bound=$(python3 -c "import math; print(120 + 2 + math.ceil($elapsed * 2))")
echo "rpm 120 under load: $ok admitted (A $ok_a, B $ok_b), $no refused in ${elapsed}s (bound $bound)"
[ "$no" -gt 0 ]
expect "the load drained the bucket (refusals seen), so the bound is what was tested" 0 $?
[ "$ok" -ge 118 ] && [ "$ok" -le "$bound" ]
expect "120/min key admitted at most its global limit across both stacks" 0 $?
[ "$ok_a" -gt 0 ] && [ "$ok_b" -gt 0 ]
expect "both stacks drew from the one bucket" 0 $?
# The bucket refills one request every 0.5 s: 20 requests on one connection meet a refusal.
H=$(curl -k -s -D - -o /dev/null --max-time 20 -H "Authorization: Bearer $RPM_KEY" \
  $(for i in $(seq 20); do echo "$UB/v1/models"; done) | tr -d '\r')
# (bodies and headers share stdout: a status line may follow a body on the same line)
expect "429 from B" 1 "$(grep -a -c -m1 'HTTP/[0-9.]* 429' <<<"$H")"
expect "carries Retry-After" 1 "$(grep -a -ci -m1 '^retry-after: [0-9]' <<<"$H")"
expect "and x-ratelimit-limit-requests: 120" 1 "$(grep -a -c -m1 '^x-ratelimit-limit-requests: 120' <<<"$H")"

# --- tokens/min: spent on A, refused on B ---
chat() {  # URL KEY TEXT
  curl -k -s -o "$RDIR/chat.json" -D "$RDIR/chat.h" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' -X POST "$1/v1/chat/completions" \
    -d "{\"model\":\"deepgate-demo\",\"messages\":[{\"role\":\"user\",\"content\":\"$3\"}],\"max_tokens\":16,\"temperature\":0}"
}
expect "first tokens/min request on A" 200 "$(chat "$UA" "$TPM_KEY" "tokens 0")"
spent=1
for i in $(seq 20); do
  c=$(chat "$UA" "$TPM_KEY" "tokens $i"); [ "$c" = 200 ] || break
  spent=$((spent + 1))
done
c=$(chat "$UB" "$TPM_KEY" "tokens on B")
expect "tokens/min spent on A is refused on B" 429 "$c"
expect_match "with reason tokens per minute (the shared bucket's answer)" "tokens per minute; retry after" "$(cat "$RDIR/chat.json")"
echo "tokens/min 200: $spent request(s) on A before the refusal"

# --- cache: answered on A, a hit on B; a purge on B empties A ---
cache_state() { tr -d '\r' <"$RDIR/chat.h" | awk -F': ' 'tolower($1)=="x-deepgate-cache" {print $2}'; }
chat "$UA" "$DG_API_KEY" "shared cache" >/dev/null
expect "first answer on A is a miss" miss "$(cache_state)"
a_text=$(json_field 'd["choices"][0]["message"]["content"]' <"$RDIR/chat.json")
chat "$UB" "$DG_API_KEY" "shared cache" >/dev/null
expect "the same request on B is a hit" hit "$(cache_state)"
expect "with A's answer" "$a_text" "$(json_field 'd["choices"][0]["message"]["content"]' <"$RDIR/chat.json")"
purged=$(on "$UB" with_key "$DG_ADMIN_KEY" body /admin/cache/purge -X POST -H 'Content-Type: application/json' -d '{}' |
  json_field 'd["purged"]')
expect_match "purge on B drops the entry" '^[1-9]' "$purged"
chat "$UA" "$DG_API_KEY" "shared cache" >/dev/null
expect "after B's purge A misses" miss "$(cache_state)"

# --- concurrency: one slot for both stacks; renewed while held; freed by a killed worker's lease ---
sleep_on() { curl -k -s -o /dev/null -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $CONC_KEY" "$1/_test/sleep?ms=$2"; }
sleep_on "$UA" 5000 >"$RDIR/long.code" &
long=$!
sleep 0.5
expect "a second concurrent request on B is refused" 429 "$(sleep_on "$UB" 0)"
sleep 3  # past the 2 s lease: only renewals keep the slot
expect "the running request's lease is renewed (still refused after 3.5 s)" 429 "$(sleep_on "$UB" 0)"
wait "$long"
expect "the long request finished normally" 200 "$(cat "$RDIR/long.code")"
expect "its slot is free again" 200 "$(sleep_on "$UB" 0)"

sleep_on "$UA" 10000 >/dev/null &
held=$!
sleep 0.5
kill -KILL "$(cat "$A/run/worker.pid")"
killed_at=$(date +%s.%N)
wait "$held" 2>/dev/null
expect "slot of the killed worker still held right after the kill" 429 "$(sleep_on "$UB" 0)"
freed=""
for i in $(seq 60); do
  probe=$(date +%s.%N)  # when the probe that finds the slot free was sent
  [ "$(sleep_on "$UB" 0)" = 200 ] && { freed=$(python3 -c "print(round($probe - $killed_at, 2))"); break; }
  sleep 0.1
done
echo "slot of the SIGKILLed worker freed after ${freed:-never} s (lease 2 s)"
# The lease was renewed at most 2/3 s before the kill: expiry ≤ 2 s after it, plus one probe.
[ -n "$freed" ] && python3 -c "import sys; sys.exit(0 if $freed <= 3.0 else 1)"
expect "the lease frees the killed worker's slot within one lease period (+ margin)" 0 $?
DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$A"
dg_stack_wait_ready "$A" 30 || { DG_IT_FAILS=1; echo "FAIL: A did not come back"; exit 1; }

# --- Redis killed mid-load ---
for i in $(seq 200); do if ((i % 2)); then echo "$UA"; else echo "$UB"; fi; done |
  xargs -P 4 -I{} curl -k -s -o /dev/null -w '{} %{http_code} %{time_total}\n' --max-time 10 \
    -H "Authorization: Bearer $LOAD_KEY" "{}/v1/models" >"$RDIR/outage.txt" &
load=$!
sleep 0.3
dg_redis_kill
wait "$load"
a_503=$(grep -c "^$UA 503" "$RDIR/outage.txt"); b_200=$(grep -c "^$UB 200" "$RDIR/outage.txt")
slowest=$(awk '{print $3}' "$RDIR/outage.txt" | sort -n | tail -n 1)
echo "outage under load: A 503s $a_503, B 200s $b_200, slowest request ${slowest}s"
expect_match "fail_closed stack A answered 503 during the outage" '^[1-9]' "$a_503"
expect "local stack B kept serving every request" 100 "$b_200"
python3 -c "import sys; sys.exit(0 if $slowest < 2 else 1)"
expect "nothing hung (slowest request < 2 s)" 0 $?
expect "A's 503 says limits_unavailable" limits_unavailable \
  "$(on "$UA" with_key "$LOAD_KEY" body /v1/models | json_field 'd["error"]["code"]')"
expect "A's /ready is 503 while Redis is down" 503 "$(on "$UA" noauth code /ready)"
expect "B's /ready is 200 (local fallback)" 200 "$(on "$UB" noauth code /ready)"
b_small=0
for i in $(seq 12); do [ "$(on "$UB" with_key "$SMALL_KEY" code /v1/models)" = 200 ] && b_small=$((b_small + 1)); done
expect "B's local fallback still limits the 10/min key (per worker)" 10 "$b_small"
deg=$(dg_journal_json DEEPGATE_EVENT=backend_degraded DEEPGATE_BACKEND=redis | wc -l)
[ "$deg" -ge 2 ]
expect "journald recorded backend_degraded on both workers (got $deg)" 0 $?

dg_redis_start "$RDIR"
back=""
for i in $(seq 50); do
  [ "$(on "$UA" with_key "$LOAD_KEY" code /v1/models)" = 200 ] && { back=yes; break; }
  sleep 0.1
done
expect "A serves again once Redis is back (no restart)" yes "$back"
for i in $(seq 50); do  # B notices too (its pool may still be backing off)
  [ "$(on "$UB" noauth body /ready | json_field 'd["redis"]["state"]' 2>/dev/null)" = up ] && break
  sleep 0.1
done
rec=$(dg_journal_json DEEPGATE_EVENT=backend_recovered DEEPGATE_BACKEND=redis | wc -l)
[ "$rec" -ge 2 ]
expect "journald recorded backend_recovered on both workers (got $rec)" 0 $?
# Global again: the 10/min key (fresh bucket in the new Redis) gets 10 across both stacks.
n=0
for i in $(seq 16); do
  u=$UA; ((i % 2)) && u=$UB
  [ "$(on "$u" with_key "$SMALL_KEY" code /v1/models)" = 200 ] && n=$((n + 1))
done
expect "limits are global again after Redis returns" 10 "$n"
metric=$(on "$UB" with_key "$DG_ADMIN_KEY" body /metrics | grep '^deepgate_backend_outages_total{backend="redis"}')
expect_match "metric counts the outage" ' [1-9]' "$metric"
grep -rq "$RPM_KEY" "$A/logs" "$B/logs" "$RDIR/redis.log"
expect "no key in any log" 1 $?
dg_it_finish
