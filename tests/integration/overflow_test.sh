#!/usr/bin/env bash
# Overflow to a second site (issue 16, finding 1), end to end: a "site" stack whose worker
# answers every generation with 503 (its model fails its sha256 check) and whose nginx sends
# 503s on to @overflow, and a "cloud" stack standing for the overflow upstream, with a
# certificate from a test CA made here. Checks: a request the worker marked (authenticated,
# developer role, a key allowed to leave, client placed in an allowed country) is served by the
# cloud with the cloud's own key (the client's key never reaches it: the cloud would answer
# 401), streamed or not, and audited UPSTREAM=overflow; a local-only key, a key on the
# deployment default, a role not listed, a client from another country, a request without or
# with a bad credential, and a 503 sent while shutting down are never forwarded (the cloud's
# access log does not grow); a cloud certificate from another CA, or for another name, gets
# 502 and nothing sent. The marking header never reaches a client.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
trap 'dg_it_cleanup; dg_journal_stop' EXIT
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"
command -v openssl >/dev/null || dg_it_skip "openssl is missing"
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || dg_it_skip "libmaxmind-db-writer-perl is missing (scripts/install-deps.sh)"
[ "$(id -u)" -eq 0 ] || dg_it_skip "needs root: its own journald, read back with journalctl"
dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; exit 1; }
dg_journal_start

# --- a test CA, the cloud's certificate (overflow.test) and a foreign CA
PKI=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$PKI")
make_ca() {  # make_ca NAME
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -out "$PKI/$1.pem" -days 2 \
    -subj "/CN=deepgate test $1" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
make_ca ca && make_ca foreign-ca &&
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/cloud.key" -out "$PKI/cloud.csr" -subj /CN=overflow.test 2>/dev/null &&
  printf 'subjectAltName=DNS:overflow.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$PKI/cloud.ext" &&
  openssl x509 -req -in "$PKI/cloud.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
    -out "$PKI/cloud.pem" -days 2 -extfile "$PKI/cloud.ext" 2>/dev/null ||
  { echo "FAIL: could not make the test PKI"; exit 1; }

# --- the cloud: a plain stack with the CA-signed certificate and its own tenant key
CLOUD=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$CLOUD")
mkdir -p "$CLOUD/conf"
install -m 0600 "$PKI/cloud.key" "$CLOUD/conf/key.pem"
cp "$PKI/cloud.pem" "$CLOUD/conf/cert.pem"
dg_stack_model "$CLOUD/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
CLOUD_PORT=$(dg_free_port)
dg_stack_prepare "$CLOUD" "$CLOUD_PORT" "$CLOUD/model.gguf" 4096 '"audit": {"required": true}' || exit 1
CLOUD_KEY=$(dg_stack_create_key "$CLOUD" overflow-tenant developer --rpm 0) || { echo "FAIL: cloud key"; exit 1; }
dg_stack_start_worker "$CLOUD"
dg_stack_start_nginx "$CLOUD"
dg_stack_wait_ready "$CLOUD" 30 || { DG_IT_FAILS=1; echo "FAIL: the cloud stack did not become ready"; exit 1; }

# --- the site: every generation 503 (model rejected), overflow on for developers in DE
SITE=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$SITE")
perl "$HERE/make_loopback_mmdb.pl" "$SITE/geo.mmdb" || { echo "FAIL: could not write the GeoIP database"; exit 1; }
cp "$CLOUD/model.gguf" "$SITE/model.gguf"
zeros=$(printf '0%.0s' $(seq 64))
# 127.0.0.1 -> DE (may overflow), 127.0.0.4 -> FR (served here, may not leave), 127.0.0.3 -> KP (denied).
dg_stack_prepare "$SITE" "$(dg_free_port)" "$SITE/model.gguf" 4096 \
  "\"audit\": {\"required\": true}, \"model_sha256\": \"$zeros\",
  \"geoip\": {\"database\": \"$SITE/geo.mmdb\", \"deny_countries\": [\"KP\"]},
  \"overflow\": {\"enabled\": true, \"roles\": [\"developer\"], \"allow_countries\": [\"DE\"]}" || exit 1
sed -i 's/^allow 127\.0\.0\.1;/allow 127.0.0.1;\nallow 127.0.0.4;/' "$SITE/conf/allowlist.conf"
# nginx: the shipped overflow snippets, with the test's upstream, name, CA and credential file.
cp "$DG_SOURCE_DIR/nginx/snippets/deepgate-overflow.conf" "$SITE/conf/snippets/"
overflow_location() {  # overflow_location CA NAME
  sed -e "s|overflow\.example\.net|$2|g" -e "s|/etc/ssl/certs/ca-certificates.crt|$1|" \
      -e "s|/etc/nginx/deepgate-overflow-credentials.conf|$SITE/conf/overflow-credentials.conf|" \
      "$DG_SOURCE_DIR/nginx/snippets/deepgate-overflow-location.conf" >"$SITE/conf/snippets/deepgate-overflow-location.conf"
}
overflow_location "$PKI/ca.pem" overflow.test
(umask 077 && echo "proxy_set_header Authorization \"Bearer $CLOUD_KEY\";" >"$SITE/conf/overflow-credentials.conf")
sed -i -e "s|^  server {|  upstream deepgate_overflow { server 127.0.0.1:$CLOUD_PORT; }\n  server {|" \
    -e "s|^    include snippets/deepgate-locations.conf;|&\n    include snippets/deepgate-overflow-location.conf;|" \
    "$SITE/conf/nginx.conf"
key() { dg_stack_create_key "$SITE" "$@" || { echo "FAIL: could not create key $1"; exit 1; }; }
id_of() { echo "$1" | cut -c4-19; }
MAY_LEAVE=$(key ov-may-leave developer --rpm 0 --allow-overflow)
LOCAL=$(key ov-local developer --rpm 0 --local-only)
DEFAULT=$(key ov-default developer --rpm 0)
ADMIN=$(key ov-admin admin --rpm 0 --allow-overflow)
DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$SITE"
dg_stack_start_nginx "$SITE"
URL=$(dg_stack_url "$SITE")
for _ in $(seq 300); do
  [[ "$(curl -k -s --max-time 2 "$URL/ready")" == *model_load_failed* ]] && break
  sleep 0.1
done
expect "the site's model is rejected (every generation answers 503 here)" 503 "$(noauth code /ready)"

fields() { python3 -c "import json,sys; [print(json.loads(l).get('$1','')) for l in sys.stdin if l.strip()]"; }
CLOUD_PID=$(cat "$CLOUD/run/worker.pid")
SITE_PID=$(cat "$SITE/run/worker.pid")
cloud_requests() { wc -l <"$CLOUD/logs/access.log"; }
BODY='{"model":"deepgate-demo","messages":[{"role":"user","content":"Hello"}],"max_tokens":4}'
chat() {  # chat KEY [curl args]: status; body in $SITE/out, headers in $SITE/head
  local k=$1; shift
  curl -k -s -o "$SITE/out" -D "$SITE/head" -w '%{http_code}' --max-time 20 ${k:+-H "Authorization: Bearer $k"} \
    -H 'Content-Type: application/json' -d "$BODY" "$@" "$URL/v1/chat/completions"
}
# stays_here NAME WANT KEY [curl args]: answered WANT by the site, nothing sent to the cloud.
stays_here() {
  local name=$1 want=$2 k=$3 before; shift 3
  before=$(cloud_requests)
  expect "$name: answered $want" "$want" "$(chat "$k" "$@")"
  expect "$name: nothing sent to the overflow upstream" "$before" "$(cloud_requests)"
  expect "$name: no X-Deepgate-Overflow header reaches the client" "" "$(grep -i '^x-deepgate-overflow' "$SITE/head")"
}

# --- allowed: served by the cloud, with the cloud's key
before=$(cloud_requests)
expect "a key allowed to leave is served by the overflow upstream" 200 "$(chat "$MAY_LEAVE")"
expect_match "the answer is a chat completion" '"object" *: *"chat.completion"' "$(cat "$SITE/out")"
expect "the cloud saw exactly that one request" $((before + 1)) "$(cloud_requests)"
expect "no X-Deepgate-Overflow header reaches the client" "" "$(grep -i '^x-deepgate-overflow' "$SITE/head")"
expect "the cloud authenticated it as its own tenant key and served it" 200 \
  "$(dg_journal_json _PID="$CLOUD_PID" KEY_ID="$(id_of "$CLOUD_KEY")" | fields STATUS | sed -n 1p)"
entry=$(dg_journal_json _PID="$SITE_PID" KEY_ID="$(id_of "$MAY_LEAVE")" UPSTREAM=overflow)
expect "the site's audit entry records UPSTREAM=overflow" overflow "$(echo "$entry" | fields UPSTREAM | sed -n 1p)"
expect "... with the worker's own status 503" 503 "$(echo "$entry" | fields STATUS | sed -n 1p)"
streamed=$(curl -k -s -N --max-time 20 -H "Authorization: Bearer $MAY_LEAVE" -H 'Content-Type: application/json' \
  -d '{"model":"deepgate-demo","messages":[{"role":"user","content":"Hello"}],"max_tokens":4,"stream":true}' \
  "$URL/v1/chat/completions")
expect_match "a streamed request overflows as a stream" 'data: \[DONE\]' "$streamed"

# --- never forwarded
stays_here "a --local-only key" 503 "$LOCAL"
expect_match "... with a JSON error body and Retry-After" '"code":"overloaded"' "$(cat "$SITE/out")"
expect "... Retry-After" 2 "$(tr -d '\r' <"$SITE/head" | awk -F': ' 'tolower($1)=="retry-after" {print $2}')"
expect "the local-only key's audit entry has no UPSTREAM" "" \
  "$(dg_journal_json _PID="$SITE_PID" KEY_ID="$(id_of "$LOCAL")" | fields UPSTREAM | sed -n 1p)"
stays_here "a key on the deployment default (local_only_default true)" 503 "$DEFAULT"
stays_here "a role not in overflow.roles (admin)" 503 "$ADMIN"
stays_here "a client placed outside overflow.allow_countries (FR)" 503 "$MAY_LEAVE" --interface 127.0.0.4
stays_here "no credentials" 401 ""
stays_here "a wrong secret for a real key id" 401 "dg_$(id_of "$MAY_LEAVE")_$(printf 'A%.0s' $(seq 43))"

# --- TLS to the upstream is verified: another CA, or another name, and nothing is sent
reload_site_nginx() {
  kill -HUP "$(cat "$SITE/run/nginx.pid")"
  sleep 1.5  # new nginx workers take over; the old ones finish what they hold
}
overflow_location "$PKI/foreign-ca.pem" overflow.test
reload_site_nginx
stays_here "an upstream certificate from an untrusted CA" 502 "$MAY_LEAVE"
overflow_location "$PKI/ca.pem" wrong-name.test
reload_site_nginx
stays_here "an upstream certificate for another name" 502 "$MAY_LEAVE"
overflow_location "$PKI/ca.pem" overflow.test
reload_site_nginx
expect "with the right CA and name it flows again" 200 "$(chat "$MAY_LEAVE")"

# --- a 503 sent while shutting down (before any check) is never forwarded
curl -k -s -o /dev/null --max-time 20 -H "Authorization: Bearer $MAY_LEAVE" "$URL/_test/sleep?ms=4000" &
sleeper=$!
sleep 0.5
kill -TERM "$SITE_PID"
sleep 0.3
before=$(cloud_requests)
got=$(chat "$MAY_LEAVE")
expect_match "a request while the site shuts down is refused here (503 or 502)" '^50[23]$' "$got"
expect "... and nothing is sent to the overflow upstream" "$before" "$(cloud_requests)"
wait "$sleeper" 2>/dev/null

# --- no client credential of the site ever reached the cloud
sleep 0.3
dg_stack_stop "$CLOUD"
leaks=0
for s in "$MAY_LEAVE" "$LOCAL" "$DEFAULT" "$ADMIN"; do
  grep -qF -- "${s#dg_????????????????_}" "$CLOUD/logs/worker.log" "$CLOUD/logs/access.log" "$CLOUD/logs/error.log" &&
    leaks=$((leaks + 1))
done
expect "no site key in the cloud's logs" 0 "$leaks"
expect "the cloud refused no credential (it never saw a site key)" "" \
  "$(journalctl -o json --no-pager DEEPGATE_EVENT=auth_failure _PID="$CLOUD_PID" 2>/dev/null)"
dg_it_finish
