#!/usr/bin/env bash
# Hostile and wrong requests, table-driven (security_suite.py), through nginx + TLS with a
# private journald: every JWT failure (our HS256 tokens and an external RS256/ES256 IdP),
# unknown / revoked / expired / rotated-out keys, wrong roles, a disallowed model, denied and
# unplaceable countries, the nginx allowlist (127.0.0.2), a rate limit, an oversized header,
# a certificate-bound key without its certificate (or with one forged as headers), a TOTP
# admin key's admin change without a code or with malformed ones.
# Each case gets the right status and error code and one audit entry with the right fields
# (read back with journalctl -o json by its request id) or, when nginx refuses it, provably
# none; the worker keeps serving throughout. A planted key and JWT, sent where credentials
# must be masked, never appear in the journal, the worker's stderr or nginx's logs.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
trap 'dg_it_cleanup; dg_journal_stop' EXIT
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"
command -v openssl >/dev/null || dg_it_skip "openssl is missing"
command -v python3 >/dev/null || dg_it_skip "python3 is missing"
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || dg_it_skip "libmaxmind-db-writer-perl is missing (scripts/install-deps.sh)"
[ "$(id -u)" -eq 0 ] || dg_it_skip "needs root: its own journald, read back with journalctl"
echo "journald: $DG_JOURNAL_NS"

PREFIX=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$PREFIX")
CONF=$PREFIX/conf/deepgate.json
perl "$HERE/make_loopback_mmdb.pl" "$PREFIX/geo.mmdb" || { echo "FAIL: could not write the GeoIP database"; exit 1; }
dg_stack_model "$PREFIX/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
python3 "$HERE/security_suite.py" idp-keys "$PREFIX/idp" || { echo "FAIL: could not make the IdP keys"; exit 1; }
chmod 0600 "$PREFIX/idp/jwks.json"  # the worker refuses a JWKS others could read or rewrite
IDP_ISSUER=https://idp.example.test
IDP_AUDIENCE=deepgate-via-idp
DG_AUTH_EXTRA="$DG_AUTH_EXTRA, \"idp\": {\"issuer\": \"$IDP_ISSUER\", \"audience\": \"$IDP_AUDIENCE\",
    \"jwks_file\": \"$PREFIX/idp/jwks.json\", \"role_claim\": \"role\", \"algorithms\": [\"RS256\", \"ES256\"],
    \"role_map\": {\"developer\": \"developer\", \"monitor\": \"monitor\"}}"
# 127.0.0.1 -> DE (allowed), 127.0.0.3 -> KP (denied), 127.0.0.5 -> not in the database (denied).
# auth_failures_per_minute 0: the table sends dozens of bad credentials from one address, each
# to see its own 401 and reason (credential_throttle_test.sh covers that limit).
dg_stack_prepare "$PREFIX" "$(dg_free_port)" "$PREFIX/model.gguf" 4096 \
  "\"audit\": {\"required\": true}, \"rate_limits\": {\"requests_per_minute\": 0, \"auth_failures_per_minute\": 0},
  \"geoip\": {\"database\": \"$PREFIX/geo.mmdb\", \"deny_countries\": [\"KP\"], \"unknown_country\": \"deny\"}" || exit 1
# nginx's allowlist: .3 and .5 may reach the worker (its country rules are under test); .2 may not.
sed -i 's/^allow 127\.0\.0\.1;/allow 127.0.0.1;\nallow 127.0.0.3;\nallow 127.0.0.5;/' "$PREFIX/conf/allowlist.conf"

dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; exit 1; }
dg_journal_start

# --- credentials, made with the CLI as an operator would (--rpm 0: no per-key limit)
key() { dg_stack_create_key "$PREFIX" "$@" || { echo "FAIL: could not create key $1"; exit 1; }; }
id_of() { echo "$1" | cut -c4-19; }
DEV=$(key ss-developer developer --rpm 0)
ADMIN=$(key ss-admin admin --rpm 0)
MONITOR=$(key ss-monitor monitor --rpm 0)
NARROW=$(key ss-narrow developer --rpm 0 --models other-model)
LIMITED=$(key ss-limited developer --rpm 2)
PLANTED=$(key ss-planted developer --rpm 0)
# Second factors (issue 16, items 8 and 9): a key bound to a client certificate this stack
# never verifies (no mTLS here), and an admin key with TOTP enrolled.
BOUND=$(key ss-bound developer --rpm 0 --bind-cert "SHA256:$(printf 'ab%.0s' $(seq 32))")
TOTP_ADMIN=$(key ss-totp-admin admin --rpm 0)
"$DG_BIN/deepgate" admin totp enroll --config "$CONF" --key "$(id_of "$TOTP_ADMIN")" --no-qr >/dev/null 2>&1 ||
  { echo "FAIL: totp enroll"; exit 1; }
REVOKED=$(key ss-revoked developer --rpm 0)
"$DG_BIN/deepgate" keys revoke --config "$CONF" "$(id_of "$REVOKED")" 2>/dev/null || { echo "FAIL: revoke"; exit 1; }
ROTATED=$(key ss-rotated developer --rpm 0)
FRESH=$("$DG_BIN/deepgate" keys rotate --config "$CONF" "$(id_of "$ROTATED")" --overlap 0 2>/dev/null) ||
  { echo "FAIL: rotate"; exit 1; }
# A key cannot be created already expired (lifetime >= 1 minute) and waiting a minute is too
# slow: create it for 1 minute, then move its expiry an hour into the past in the store —
# what the key looks like once its minute has passed.
EXPIRED=$(key ss-expired developer --rpm 0 --expires 1m)
python3 - "$PREFIX/keys/keys.db" "$(id_of "$EXPIRED")" <<'PY' || { echo "FAIL: could not age the expired key"; exit 1; }
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE api_keys SET expires_at = ?, created_at = ? WHERE id = ?",
               (int(time.time()) - 3600, int(time.time()) - 3660, sys.argv[2])).rowcount
db.commit()
sys.exit(0 if n == 1 else 1)
PY
listing=$("$DG_BIN/deepgate" keys list --config "$CONF" 2>/dev/null)
for state in revoked rotated expired; do
  expect_match "keys list shows ss-$state as $state" "ss-$state +developer +$state " "$listing"
done

# --- the stack
DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$PREFIX"
dg_stack_start_nginx "$PREFIX"
URL=$(dg_stack_url "$PREFIX")
dg_stack_wait_ready "$PREFIX" 30 || { DG_IT_FAILS=1; echo "FAIL: stack did not become ready"; exit 1; }
expect "the rotated key's replacement works" 200 "$(with_key "$FRESH" code /v1/models)"
expect "the admin key works" 200 "$(with_key "$ADMIN" code /admin/keys)"

# JWTs from the token endpoint (client_id = key id, client_secret = key).
jwt_for() {
  noauth body /v1/oauth/token -X POST --data-urlencode grant_type=client_credentials \
    --data-urlencode "client_id=$(id_of "$1")" --data-urlencode "client_secret=$1" | json_field 'd["access_token"]'
}
DEV_JWT=$(jwt_for "$DEV") && NARROW_JWT=$(jwt_for "$NARROW") && PLANTED_JWT=$(jwt_for "$PLANTED") ||
  { DG_IT_FAILS=1; echo "FAIL: could not get JWTs from /v1/oauth/token"; exit 1; }
expect "the planted key works" 200 "$(with_key "$PLANTED" code /v1/models)"
expect "the planted JWT works" 200 "$(with_key "$PLANTED_JWT" code /v1/models)"

python3 - "$PREFIX/suite.json" <<PY
import json, sys
json.dump({
  "prefix": "$PREFIX", "port": $(cat "$PREFIX/run/port"), "worker_pid": $(cat "$PREFIX/run/worker.pid"),
  "jwt_secret_file": "$PREFIX/secrets/jwt_hs256", "idp_dir": "$PREFIX/idp",
  "idp_issuer": "$IDP_ISSUER", "idp_audience": "$IDP_AUDIENCE",
  "keys": {"developer": "$DEV", "admin": "$ADMIN", "monitor": "$MONITOR", "narrow": "$NARROW",
           "limited": "$LIMITED", "planted": "$PLANTED", "revoked": "$REVOKED", "rotated": "$ROTATED",
           "expired": "$EXPIRED", "bound": "$BOUND", "totp_admin": "$TOTP_ADMIN"},
  "jwts": {"developer": "$DEV_JWT", "narrow": "$NARROW_JWT", "planted": "$PLANTED_JWT"},
}, open(sys.argv[1], "w"))
PY
chmod 0600 "$PREFIX/suite.json"

# --- the table
python3 "$HERE/security_suite.py" run "$PREFIX/suite.json"
rc=$?
[ "$rc" -ne 0 ] && DG_IT_FAILS=$((DG_IT_FAILS + rc))

# --- a key limited to other models does not learn what this host serves (issue 16, finding 7)
expect "/v1/models for a key limited to other-model lists nothing" 0 \
  "$(with_key "$NARROW" body /v1/models | json_field 'len(d["data"])')"
expect "/v1/models/deepgate-demo for that key: 404" 404 "$(with_key "$NARROW" code /v1/models/deepgate-demo)"
expect "an unrestricted key still sees the model" 1 "$(with_key "$DEV" body /v1/models | json_field 'len(d["data"])')"

# --- after all of it
expect "worker still serves /health" 200 "$(noauth code /health)"
expect "worker still serves a valid key" 200 "$(code /v1/models -H "Authorization: Bearer $DEV")"
kill -0 "$(cat "$PREFIX/run/worker.pid")" 2>/dev/null
expect "worker pid alive" 0 "$?"

# --- key lifecycle events the CLI wrote (journald listens here, so no stderr fallback)
fields() { python3 -c "import json,sys; [print(json.loads(l).get('$1','')) for l in sys.stdin if l.strip()]"; }
for ev in "key_created $(id_of "$DEV")" "key_revoked $(id_of "$REVOKED")" "key_rotated $(id_of "$FRESH")"; do
  set -- $ev
  expect "journal has $1 for key $2" "$2" "$(dg_journal_json DEEPGATE_EVENT="$1" KEY_ID="$2" | fields KEY_ID | sed -n 1p)"
done
expect_match "key_rotated names the key it replaced" "rotated_from=$(id_of "$ROTATED")" \
  "$(dg_journal_json DEEPGATE_EVENT=key_rotated KEY_ID="$(id_of "$FRESH")" | fields MESSAGE)"

# --- the planted key and JWT (and their secret parts) appear in no log. nginx's access log
# too: the planted credentials travel in ?api_key= / ?access_token= query strings. The stack's own
# credentials too: none of them was ever meant to be written down.
sleep 0.3
dg_stack_stop "$PREFIX"  # flushes nginx's logs; the worker's stderr is complete
planted=("$PLANTED" "${PLANTED#dg_????????????????_}" "$PLANTED_JWT" "${PLANTED_JWT##*.}")
count_in() {  # count_in FILE: lines holding any planted secret
  grep -cF -e "${planted[0]}" -e "${planted[1]}" -e "${planted[2]}" -e "${planted[3]}" "$1" 2>/dev/null
}
journalctl -o export --no-pager >"$PREFIX/journal.export" 2>/dev/null
[ -s "$PREFIX/journal.export" ]
expect "journal export read back" 0 "$?"
expect "planted key/JWT in the journal (journalctl -o export)" 0 "$(count_in "$PREFIX/journal.export")"
expect "planted key/JWT in the worker's stderr" 0 "$(count_in "$PREFIX/logs/worker.log")"
expect "planted key/JWT in nginx's access.log" 0 "$(count_in "$PREFIX/logs/access.log")"
expect "planted key/JWT in nginx's error.log" 0 "$(count_in "$PREFIX/logs/error.log")"
others=0
for s in "$DEV" "$ADMIN" "$NARROW" "$LIMITED" "$REVOKED" "$ROTATED" "$EXPIRED" "$FRESH" "$DEV_JWT" "$NARROW_JWT" \
  "$(cat "$PREFIX/secrets/jwt_hs256")" "$(cat "$PREFIX/secrets/pepper")" "$(cat "$PREFIX/secrets/master_secret")"; do
  grep -qF -- "$s" "$PREFIX/journal.export" "$PREFIX/logs/worker.log" "$PREFIX/logs/access.log" "$PREFIX/logs/error.log" &&
    others=$((others + 1))
done
expect "no other key, token or secret in the journal, stderr or nginx logs" 0 "$others"

dg_it_finish
