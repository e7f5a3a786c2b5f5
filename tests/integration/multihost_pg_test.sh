#!/usr/bin/env bash
# Two hosts on one PostgreSQL key store: two independent stacks (nginx + deepgate-fcgi each,
# sharing only the secrets and the database, as two machines would) on a real postgres
# started here (initdb as an unprivileged user, tests/integration/postgres.sh) and a private
# journald. Checks: a worker refuses a database without the schema; `deepgate store init`;
# a key made on A works on B; revoked on B, A refuses it within 1 s (measured); rotation
# overlap and erasure across hosts; a cache purge queued on B reaches A; PostgreSQL killed:
# recently verified keys keep working for stale_key_seconds then 503, unknown keys and admin
# writes 503 at once, a key revoked just before the kill is refused on both hosts once its
# window ends, journald records backend_degraded; PostgreSQL restarted: everything works
# again without restarting a worker; `deepgate store copy` from a SQLite store: its keys work.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=postgres.sh
source "$HERE/postgres.sh"
pg_available || dg_it_skip "PostgreSQL binaries missing (scripts/install-deps.sh installs postgresql): NOT tested"
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"
PGROOT=$(mktemp -d /tmp/deepgate-pg.XXXXXX)
chmod 0711 "$PGROOT"
trap 'dg_it_cleanup; pg_stop "$PGROOT/pg"; rm -rf "$PGROOT"; dg_journal_stop' EXIT
dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; exit 1; }
dg_journal_start
pg_start "$PGROOT/pg" || { echo "FAIL: could not start PostgreSQL"; exit 1; }
(umask 077 && pg_dsn "$PGROOT/pg" >"$PGROOT/dsn")
STALE=3
STORE="\"store\": {\"url\": \"postgres:$PGROOT/dsn\", \"stale_key_seconds\": $STALE, \"statement_timeout_ms\": 1000, \"connect_timeout_ms\": 1000}"

# host NAME: prepares a stack (secrets copied from the first host) and sets PREFIX_<NAME>.
host() {
  local p port
  p=$(mktemp -d /tmp/deepgate-it.XXXXXX)
  DG_IT_PREFIXES+=("$p")
  port=$(dg_free_port)
  dg_stack_model "$PGROOT/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
  dg_stack_prepare "$p" "$port" "$PGROOT/model.gguf" 4096 "$STORE" || exit 1
  if [ -n "${PREFIX_A:-}" ]; then cp -p "$PREFIX_A"/secrets/* "$p/secrets/"; fi
  printf -v "PREFIX_$1" '%s' "$p"
}
start() {
  DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$1"
  dg_stack_start_nginx "$1"
  dg_stack_wait_ready "$1" 60 || { DG_IT_FAILS=1; echo "FAIL: stack $1 did not become ready"; exit 1; }
}
host A
host B
A=$(dg_stack_url "$PREFIX_A") B=$(dg_stack_url "$PREFIX_B")
CA=$PREFIX_A/conf/deepgate.json CB=$PREFIX_B/conf/deepgate.json
on() { local url=$1 key=$2 path=$3; shift 3; curl -k -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $key" "$@" "$url$path"; }
on_body() { local url=$1 key=$2 path=$3; shift 3; curl -k -s --max-time 10 -H "Authorization: Bearer $key" "$@" "$url$path"; }
id_of() { echo "$1" | cut -d_ -f2; }
now_ms() { date +%s%3N; }
has() { grep -q "$@" && echo 1 || echo 0; }  # has PATTERN [FILE]: 1 when found

# --- schema: made by the CLI only; a worker refuses a database without it ---
timeout 20 "$DG_BIN/deepgate-fcgi" --config "$CA" 2>"$PGROOT/noschema.log"
expect "worker exits on a database without the schema" 1 "$([ $? -ne 0 ] && echo 1)"
expect "  and says to run store init" 1 "$(has 'deepgate store init' "$PGROOT/noschema.log")"
expect "  and never prints the password" 0 "$(has "$(cat "$PGROOT/pg/password")" "$PGROOT/noschema.log")"
"$DG_BIN/deepgate" store init --config "$CA" >"$PGROOT/init.log" 2>&1
expect "store init" "postgres key store schema created (version 1)" "$(cat "$PGROOT/init.log")"
"$DG_BIN/deepgate" store migrate --config "$CB" >"$PGROOT/migrate.log" 2>&1
expect "store migrate again is a no-op" "postgres key store schema already at version 1" "$(cat "$PGROOT/migrate.log")"

ADMIN=$(dg_stack_create_key "$PREFIX_A" admin admin --rpm 0)
K1=$(dg_stack_create_key "$PREFIX_A" k1 developer --rpm 0)
K2=$(dg_stack_create_key "$PREFIX_A" k2 developer --rpm 0)
K3=$(dg_stack_create_key "$PREFIX_A" k3 developer --rpm 0)
K4=$(dg_stack_create_key "$PREFIX_A" k4 developer --rpm 0)
K5=$(dg_stack_create_key "$PREFIX_A" k5 developer --rpm 0)  # never used before the outage
KS=$(echo carol | dg_stack_create_key "$PREFIX_A" ks developer --rpm 0 --subject -)
[ -n "$ADMIN" ] && [ -n "$KS" ] || { echo "FAIL: could not create keys on the PostgreSQL store"; exit 1; }
start "$PREFIX_A"
start "$PREFIX_B"

# --- a key made on A works on B; revoked on B, A refuses it within 1 s ---
expect "key made on A works on A" 200 "$(on "$A" "$K1" /v1/models)"
expect "key made on A works on B" 200 "$(on "$B" "$K1" /v1/models)"
expect "/ready on B names the postgres store" 1 "$(on_body "$B" "$ADMIN" /ready | has '"postgres"')"
on "$A" "$K1" /v1/models >/dev/null  # A has it cached now
t0=$(now_ms)
expect "revoke through B's admin API" 200 "$(on "$B" "$ADMIN" "/admin/keys/$(id_of "$K1")/revoke" -X POST)"
t1=$(now_ms)
while [ "$(on "$A" "$K1" /v1/models)" = 200 ] && [ $(($(now_ms) - t0)) -lt 5000 ]; do :; done
WINDOW=$(($(now_ms) - t0))
echo "note: revocation on B seen on A ${WINDOW} ms after the revoke request was sent" \
  "($((t1 - t0)) ms of it the request itself, through nginx and B's worker)"
expect "A refuses the key revoked on B" 401 "$(on "$A" "$K1" /v1/models)"
expect "  within 1 s" 1 "$([ "$WINDOW" -lt 1000 ] && echo 1 || echo 0)"

# --- rotation's overlap across hosts: rotated on B, old and new key both work on A ---
on "$A" "$K2" /v1/models >/dev/null
NEW2=$(on_body "$B" "$ADMIN" "/admin/keys/$(id_of "$K2")/rotate" -X POST -d '{"overlap": "1h"}' | json_field 'd["key"]')
expect "new key after rotation on B works on A" 200 "$(on "$A" "$NEW2" /v1/models)"
expect "old key still works on A during the overlap" 200 "$(on "$A" "$K2" /v1/models)"
NEW2B=$(on_body "$B" "$ADMIN" "/admin/keys/$(id_of "$NEW2")/rotate" -X POST -d '{"overlap": 0}' | json_field 'd["key"]')
sleep 1
expect "a key rotated without overlap on B is refused on A" 401 "$(on "$A" "$NEW2" /v1/models)"
expect "  its replacement works on A" 200 "$(on "$A" "$NEW2B" /v1/models)"

# --- erasure on B: the subject's key is refused on A; a purge queued on B reaches A ---
expect "carol's key works on A" 200 "$(on "$A" "$KS" /v1/models)"
echo carol | "$DG_BIN/deepgate" erase --subject - --config "$CB" >/dev/null 2>&1
sleep 1
expect "carol's key, erased on B, is refused on A" 401 "$(on "$A" "$KS" /v1/models)"
"$DG_BIN/deepgate" cache purge --config "$CB" >/dev/null 2>&1
sleep 1
expect "a purge queued on B was applied by A's worker" 1 \
  "$(has 'cache purge (all)' "$PREFIX_A/logs/worker.log")"
N_BEFORE=$(grep -c 'cache purge (one subject)' "$PREFIX_A/logs/worker.log")
expect "a purge through B's admin API" 200 "$(on "$B" "$ADMIN" /admin/cache/purge -X POST -d '{"subject": "dave"}')"
sleep 1
expect "  was applied by A's worker too" 1 \
  "$([ "$(grep -c 'cache purge (one subject)' "$PREFIX_A/logs/worker.log")" -gt "$N_BEFORE" ] && echo 1 || echo 0)"

# --- PostgreSQL killed ---
on "$A" "$K3" /v1/models >/dev/null
on "$B" "$K3" /v1/models >/dev/null
on "$A" "$K4" /v1/models >/dev/null
on "$B" "$K4" /v1/models >/dev/null
"$DG_BIN/deepgate" keys revoke "$(id_of "$K4")" --config "$CA" >/dev/null 2>&1
pg_kill "$PGROOT/pg"
KILLED=$(now_ms)
expect "recently verified key works on A with PostgreSQL down" 200 "$(on "$A" "$K3" /v1/models)"
expect "  and on B" 200 "$(on "$B" "$K3" /v1/models)"
# Its NOTIFY arrived before the kill: the cached record is gone, the store cannot be asked.
expect_match "a key revoked just before the kill is refused on A" '^(401|503)$' "$(on "$A" "$K4" /v1/models)"
expect_match "  and on B" '^(401|503)$' "$(on "$B" "$K4" /v1/models)"
expect "a key no host has verified is 503 during the outage" 503 "$(on "$A" "$K5" /v1/models)"
FAKE="dg_0123456789abcdef_$(printf 'A%.0s' $(seq 43))"
expect "an unknown key is 503 during the outage" 503 "$(on "$A" "$FAKE" /v1/models)"
expect "  with code key_store_unavailable" key_store_unavailable \
  "$(on_body "$A" "$FAKE" /v1/models | json_field 'd["error"]["code"]')"
expect "a token exchange with an unverified key is 503 during the outage" 503 \
  "$(curl -k -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$A/v1/oauth/token" \
     --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$(id_of "$K5")" \
     --data-urlencode "client_secret=$K5")"
expect "an admin write is 503 during the outage" 503 \
  "$(on "$B" "$ADMIN" /admin/keys -X POST -d '{"name": "x", "role": "developer"}')"
"$DG_BIN/deepgate" keys create --config "$CA" --name x --role developer >/dev/null 2>"$PGROOT/cli-down.log"
expect "a CLI write fails during the outage" 1 "$([ $? -ne 0 ] && echo 1)"
expect "  without printing the password" 0 "$(has "$(cat "$PGROOT/pg/password")" "$PGROOT/cli-down.log")"
sleep $(( (STALE * 1000 - ($(now_ms) - KILLED)) / 1000 + 1 ))
expect "after stale_key_seconds the verified key is 503 on A" 503 "$(on "$A" "$K3" /v1/models)"
expect "  and on B" 503 "$(on "$B" "$K3" /v1/models)"
expect "the revoked key is refused on A once the window ended" 503 "$(on "$A" "$K4" /v1/models)"
expect "  and on B" 503 "$(on "$B" "$K4" /v1/models)"
expect "journald recorded backend_degraded for postgres" 1 \
  "$(dg_journal_json DEEPGATE_EVENT=backend_degraded DEEPGATE_BACKEND=postgres | has .)"
expect "/ready reports the store unreachable" 1 "$(curl -k -s --max-time 5 "$A/ready" | has -E '"reachable" *: *false')"

# --- PostgreSQL back: no worker restart needed ---
pg_restart "$PGROOT/pg" || { echo "FAIL: could not restart PostgreSQL"; exit 1; }
for _ in $(seq 50); do [ "$(on "$A" "$K3" /v1/models)" = 200 ] && break; sleep 0.2; done
expect "after the restart the key works on A" 200 "$(on "$A" "$K3" /v1/models)"
expect "  and on B" 200 "$(on "$B" "$K3" /v1/models)"
expect "the revoked key stays refused on B" 401 "$(on "$B" "$K4" /v1/models)"
expect "admin writes work again" 201 "$(on "$B" "$ADMIN" /admin/keys -X POST -d '{"name": "y", "role": "developer"}')"
expect "journald recorded backend_recovered" 1 \
  "$(dg_journal_json DEEPGATE_EVENT=backend_recovered DEEPGATE_BACKEND=postgres | has .)"
expect "the worker PIDs are unchanged (no restart)" 1 \
  "$(kill -0 "$(cat "$PREFIX_A/run/worker.pid")" && kill -0 "$(cat "$PREFIX_B/run/worker.pid")" && echo 1)"

# --- moving over: a single-host SQLite store copied in ---
python3 - "$CA" "$PGROOT/sqlite.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop("store"); json.dump(c, open(sys.argv[2], "w"))
PY
OLD=$("$DG_BIN/deepgate" keys create --config "$PGROOT/sqlite.json" --name old --role developer --rpm 0 2>/dev/null)
expect "the SQLite key is unknown to the PostgreSQL hosts" 401 "$(on "$B" "$OLD" /v1/models)"
"$DG_BIN/deepgate" store copy --from "sqlite:$PREFIX_A/keys/keys.db" --to "postgres:$PGROOT/dsn" --config "$CA" >"$PGROOT/copy.log" 2>&1
expect_match "store copy reports what it copied" '^copied 1 key' "$(cat "$PGROOT/copy.log")"
sleep 0.5
expect "the copied SQLite key works on B" 200 "$(on "$B" "$OLD" /v1/models)"
expect "  and on A" 200 "$(on "$A" "$OLD" /v1/models)"
dg_it_finish
