#!/usr/bin/env bash
# Failed credentials are throttled (issue 16, finding 4), through nginx: a client in a blocked
# country gets the same 403 with a good, a bad or no key (no 401/403 oracle, the key store is
# not asked); an address that keeps presenting bad keys gets 429 + Retry-After before its
# credentials are even checked — a good key from it too, until the limit refills — while
# other addresses are unaffected; nginx's own per-address limit_req answers a flood 429 in
# the same JSON shape.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || dg_it_skip "libmaxmind-db-writer-perl is missing (scripts/install-deps.sh)"
MMDB=$(mktemp /tmp/deepgate-it-mmdb.XXXXXX)
perl "$HERE/make_loopback_mmdb.pl" "$MMDB" || { echo "FAIL: could not write the GeoIP database"; exit 1; }
# 127.0.0.1 -> DE, 127.0.0.3 -> KP (denied), 127.0.0.4 -> FR.
dg_it_start "\"rate_limits\": {\"requests_per_minute\": 0, \"auth_failures_per_minute\": 5},
  \"geoip\": {\"database\": \"$MMDB\", \"deny_countries\": [\"KP\"]}"
rm -f "$MMDB"
sed -i 's/^allow 127\.0\.0\.1;/allow 127.0.0.1;\nallow 127.0.0.3;\nallow 127.0.0.4;/' "$PREFIX/conf/allowlist.conf"
# nginx's zone at 1 request/s (burst 100 as shipped), so the flood below outruns it at any speed.
sed -i 's|rate=50r/s|rate=1r/s|' "$PREFIX/conf/snippets/deepgate-limits.conf"
kill -HUP "$(cat "$PREFIX/run/nginx.pid")"; sleep 1
BAD="dg_$(echo "$DG_API_KEY" | cut -c4-19)_$(printf 'A%.0s' $(seq 43))"

# --- the country rule comes first: the same answer whatever the credential
expect "blocked country, good key: 403" 403 "$(code /v1/models --interface 127.0.0.3)"
expect "blocked country, bad key: 403 (not 401)" 403 "$(with_key "$BAD" code /v1/models --interface 127.0.0.3)"
expect "blocked country, no key: 403 (not 401)" 403 "$(noauth code /v1/models --interface 127.0.0.3)"
expect "... code country_blocked" country_blocked \
  "$(with_key "$BAD" body /v1/models --interface 127.0.0.3 | json_field 'd["error"]["code"]')"

# --- five failures from 127.0.0.4, then 429 before authentication
for i in 1 2 3 4 5; do
  expect "bad key $i from 127.0.0.4: 401" 401 "$(with_key "$BAD" code /v1/models --interface 127.0.0.4)"
done
expect "the sixth bad key from 127.0.0.4: 429" 429 "$(with_key "$BAD" code /v1/models --interface 127.0.0.4)"
expect "... with Retry-After" 1 "$([ -n "$(with_key "$BAD" header /v1/models retry-after --interface 127.0.0.4)" ] && echo 1)"
expect "a good key from that address waits too: 429" 429 "$(code /v1/models --interface 127.0.0.4)"
expect "a failed token exchange from it too: 429" 429 \
  "$(noauth code /v1/oauth/token --interface 127.0.0.4 -X POST -d grant_type=client_credentials -d client_id=x -d client_secret=y)"
expect "another address is not affected" 200 "$(code /v1/models)"
sleep 13  # 5/min: one more try after 12 s
expect "after the refill one more try from 127.0.0.4 is checked" 200 "$(code /v1/models --interface 127.0.0.4)"

# --- nginx: 150 requests at once from one address exceed limit_req's burst (100)
codes=$(seq 150 | xargs -P 16 -I{} curl -k -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$URL/v1/nothing" | sort | uniq -c)
expect_match "nginx answers part of a flood 429 itself" ' 429$' "$codes"
expect "... in the JSON error shape" rate_limit_exceeded \
  "$(for _ in $(seq 120); do curl -k -s --max-time 5 "$URL/v1/nothing"; echo; done | grep -m1 -o rate_limit_exceeded)"
expect "/health is not limited by it" 200 "$(noauth code /health)"
dg_it_finish
