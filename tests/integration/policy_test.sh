#!/usr/bin/env bash
# Policy and audit through real nginx + a private journald: a key's own small requests/min
# limit (the config's default is unlimited) answers 429 + Retry-After + x-ratelimit-*, a denied country (127.0.0.3 -> KP in a loopback
# GeoIP database written here) answers 403 country_blocked, the journal holds one entry per
# request with the right DEEPGATE_EVENT/STATUS/REASON/CLIENT_COUNTRY, no credential reaches
# any log, and the worker refuses to start when audit is required but journald is absent.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
trap 'dg_it_cleanup; dg_journal_stop' EXIT
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || dg_it_skip "libmaxmind-db-writer-perl is missing (scripts/install-deps.sh)"
echo "journald: $DG_JOURNAL_NS"

PREFIX=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$PREFIX")
perl "$HERE/make_loopback_mmdb.pl" "$PREFIX/geo.mmdb" || { echo "FAIL: could not write the GeoIP database"; exit 1; }
dg_stack_model "$PREFIX/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
dg_stack_prepare "$PREFIX" "$(dg_free_port)" "$PREFIX/model.gguf" 4096 \
  "\"audit\": {\"required\": true}, \"rate_limits\": {\"requests_per_minute\": 0},
  \"geoip\": {\"database\": \"$PREFIX/geo.mmdb\", \"deny_countries\": [\"KP\"]}" || exit 1
# The per-key limit under test: 3 requests/min on this developer key.
DG_API_KEY=$(dg_stack_create_key "$PREFIX" policy-dev developer --rpm 3) || { echo "FAIL: could not create a key"; exit 1; }
export DG_API_KEY
KEY_ID=$(echo "$DG_API_KEY" | cut -d_ -f2)
# nginx's allowlist would stop 127.0.0.3 before the worker sees it: let it in, in this prefix only.
sed -i 's/^allow 127\.0\.0\.1;/allow 127.0.0.1;\nallow 127.0.0.3;/' "$PREFIX/conf/allowlist.conf"

# --- no journald, audit required: the worker must not start ---
dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; exit 1; }
if [ ! -S "$DG_JOURNAL_SOCKET" ]; then
  timeout 10 "$DG_BIN/deepgate-fcgi" --config "$PREFIX/conf/deepgate.json" 2>"$PREFIX/logs/refused.log"
  expect "worker refuses to start without journald" 1 "$?"
  expect_match "and says why" "journald is not listening" "$(cat "$PREFIX/logs/refused.log")"
else
  echo "skip no-journald check: a journald already listens (global mode)"
fi

# --- journald up, stack up ---
dg_journal_start
DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$PREFIX"
dg_stack_start_nginx "$PREFIX"
URL=$(dg_stack_url "$PREFIX")
dg_stack_wait_ready "$PREFIX" 30 || { DG_IT_FAILS=1; echo "FAIL: stack did not become ready"; exit 1; }

SECRET_KEY=dg_0123456789SECRETabcdef
SECRET_JWT=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVQifQ.SECRETsig
expect "a forged key is refused" 401 "$(with_key "$SECRET_KEY" code /v1/models)"
H=$(curl -k -s -D - -o /dev/null --max-time 10 -H "Authorization: Bearer $DG_API_KEY" \
  "$URL/v1/models?api_key=$SECRET_JWT" | tr -d '\r')
expect_match "1st request 200" "^HTTP/[0-9.]+ 200" "$H"
expect_match "x-ratelimit-limit-requests on success" $'x-ratelimit-limit-requests: 3' "$H"
expect_match "x-ratelimit-remaining-requests on success" $'x-ratelimit-remaining-requests: 2' "$H"
expect "2nd request 200" 200 "$(code /v1/models)"
expect "3rd request 200" 200 "$(code /v1/models)"
H=$(curl -k -s -D - -o "$PREFIX/429.json" --max-time 10 -H "Authorization: Bearer $DG_API_KEY" "$URL/v1/models" | tr -d '\r')
expect_match "4th request 429" "^HTTP/[0-9.]+ 429" "$H"
expect_match "Retry-After (3/min: a token per 20 s)" $'\n[Rr]etry-[Aa]fter: (19|20)\n' "$H"
expect_match "x-ratelimit-remaining-requests 0" $'x-ratelimit-remaining-requests: 0' "$H"
expect_match "x-ratelimit-reset-requests" $'x-ratelimit-reset-requests: [0-9]+m?[0-9]*s' "$H"
expect "429 code" rate_limit_exceeded "$(json_field 'd["error"]["code"]' <"$PREFIX/429.json")"

expect "denied country 403" 403 "$(code /v1/models --interface 127.0.0.3)"
expect "denied country code" country_blocked \
  "$(body /v1/models --interface 127.0.0.3 | json_field 'd["error"]["code"]')"
expect "worker keeps serving" 200 "$(code /health)"
kill -0 "$(cat "$PREFIX/run/worker.pid")" 2>/dev/null
expect "worker alive" 0 "$?"

# --- the audit trail ---
# field NAME from the entries on stdin (JSON lines): one value per line
fields() { python3 -c "import json,sys; [print(json.loads(l).get('$1','')) for l in sys.stdin if l.strip()]"; }
J=$(dg_journal_json SYSLOG_IDENTIFIER=deepgate DEEPGATE_EVENT=rate_limited)
expect "rate_limited entry STATUS" 429 "$(echo "$J" | fields STATUS | sed -n 1p)"
expect "rate_limited entry REASON" requests_per_minute "$(echo "$J" | fields REASON | sed -n 1p)"
expect "rate_limited entry CLIENT_COUNTRY" DE "$(echo "$J" | fields CLIENT_COUNTRY | sed -n 1p)"
expect "rate_limited entry PRIORITY" 5 "$(echo "$J" | fields PRIORITY | sed -n 1p)"
J=$(dg_journal_json SYSLOG_IDENTIFIER=deepgate DEEPGATE_EVENT=forbidden)
expect "forbidden entry STATUS" 403 "$(echo "$J" | fields STATUS | sed -n 1p)"
expect "forbidden entry REASON" country_denied:KP "$(echo "$J" | fields REASON | sed -n 1p)"
expect "forbidden entry CLIENT_COUNTRY" KP "$(echo "$J" | fields CLIENT_COUNTRY | sed -n 1p)"
expect "forbidden entry CLIENT_IP" 127.0.0.3 "$(echo "$J" | fields CLIENT_IP | sed -n 1p)"
J=$(dg_journal_json SYSLOG_IDENTIFIER=deepgate DEEPGATE_EVENT=request PATH=/v1/models)
expect "request entries for the 3 admitted" 3 "$(echo "$J" | fields STATUS | grep -c '^200$')"
# SUBJECT is the key's pseudonym (HMAC under a per-subject key), never the key id itself.
expect_match "request entry SUBJECT is a pseudonym" '^ps_[0-9a-f]{32}$' "$(echo "$J" | fields SUBJECT | sed -n 1p)"
expect "request entry KEY_ID" "$KEY_ID" "$(echo "$J" | fields KEY_ID | sed -n 1p)"
expect "request entry ROLE" developer "$(echo "$J" | fields ROLE | sed -n 1p)"
J=$(dg_journal_json SYSLOG_IDENTIFIER=deepgate DEEPGATE_EVENT=auth_failure)
expect "auth_failure entry for the forged key" 1 "$(echo "$J" | grep -c .)"
expect "auth_failure entry STATUS" 401 "$(echo "$J" | fields STATUS | sed -n 1p)"
expect_match "auth_failure entry REASON names the failure" '^key_' "$(echo "$J" | fields REASON | sed -n 1p)"
expect_match "request entry DURATION_MS" '^[0-9]+$' "$(echo "$J" | fields DURATION_MS | sed -n 1p)"
J=$(dg_journal_json SYSLOG_IDENTIFIER=deepgate DEEPGATE_EVENT=model_loaded)
expect "model_loaded entry" 1 "$(echo "$J" | grep -c .)"

ALL=$(journalctl -o export --no-pager 2>/dev/null; cat "$PREFIX/logs/worker.log")
expect "no credential in journal or worker log" 0 "$(echo "$ALL" | grep -c SECRET)"

dg_it_finish
