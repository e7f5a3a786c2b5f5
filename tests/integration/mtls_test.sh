#!/usr/bin/env bash
# Client certificates (mTLS, issue 16 item 9) through real nginx: an organisation CA, a good,
# a revoked (in the CRL) and a foreign client certificate, all made here with openssl. nginx
# runs the shipped snippets/deepgate-mtls.conf (ssl_verify_client optional, the CA, the CRL)
# and passes a verified certificate only; a key bound to a certificate (`keys create
# --bind-cert`, or the admin API's bind_cert) is refused 401 over no or another certificate,
# with the reason audited; a revoked or foreign certificate is refused by nginx itself (403
# client_certificate_invalid, the access log's cv= says why); a certificate-looking header
# from the client counts for nothing; keys not bound work with or without a certificate.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
command -v openssl >/dev/null || dg_it_skip "openssl is missing"
CA=$(mktemp -d /tmp/deepgate-it-ca.XXXXXX)
trap 'rm -rf "$CA"; dg_it_cleanup' EXIT

# --- the PKI: org CA, clients good/other/revoked signed by it, a foreign CA and its client
(
  cd "$CA" || exit 1
  mkdir -p db && : >db/index.txt && echo 1000 >db/serial && echo 1000 >db/crlnumber
  cat >ca.cnf <<CNF
[ca]
default_ca = org
[org]
dir = $CA
database = \$dir/db/index.txt
serial = \$dir/db/serial
crlnumber = \$dir/db/crlnumber
new_certs_dir = \$dir/db
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 2
default_crl_days = 2
policy = any
unique_subject = no
[any]
commonName = supplied
[client]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
CNF
  quiet() { "$@" >/dev/null 2>&1 || { echo "FAIL: $*"; exit 1; }; }
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=org-ca
  for c in good other revoked; do
    quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $c.key -out $c.csr -subj /CN=$c
    quiet openssl ca -batch -config ca.cnf -extensions client -in $c.csr -out $c.pem -notext
  done
  quiet openssl ca -batch -config ca.cnf -revoke revoked.pem
  quiet openssl ca -batch -config ca.cnf -gencrl -out ca.crl
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout foreign-ca.key -out foreign-ca.pem -days 2 -subj /CN=foreign-ca
  quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout foreign.key -out foreign.csr -subj /CN=good
  quiet openssl x509 -req -in foreign.csr -CA foreign-ca.pem -CAkey foreign-ca.key -CAcreateserial -out foreign.pem -days 2
  chmod 0644 ./*.pem ./*.crl ./*.key
) || exit 1
chmod 0755 "$CA"
fp() { openssl x509 -in "$CA/$1.pem" -noout -fingerprint -sha256 | sed 's/^.*=/SHA256:/'; }

# Before nginx starts: the shipped mTLS snippet with this CA and CRL, included in the server
# block as deepgate.conf's comment says; keys bound to the good and to the revoked certificate.
dg_it_before_worker() {
  sed -e "s|/etc/deepgate/client-ca.pem|$CA/ca.pem|" -e "s|/etc/deepgate/client-ca.crl|$CA/ca.crl|" \
    "$DG_SOURCE_DIR/nginx/snippets/deepgate-mtls.conf" >"$PREFIX/conf/snippets/deepgate-mtls.conf"
  sed -i 's|^\(\s*\)include snippets/deepgate-tls.conf;|&\n\1include snippets/deepgate-mtls.conf;|' "$PREFIX/conf/nginx.conf"
  BOUND_KEY=$(dg_stack_create_key "$PREFIX" bound developer --rpm 0 --bind-cert "$(fp good)")
  REVOKED_KEY=$(dg_stack_create_key "$PREFIX" bound-revoked developer --rpm 0 --bind-cert "$(fp revoked)")
}
dg_it_start
expect_match "nginx runs with the mTLS snippet" "ssl_verify_client optional" "$(cat "$PREFIX/conf/snippets/deepgate-mtls.conf")"
expect_match "keys create --bind-cert made a key" "^dg_" "$BOUND_KEY"
BOUND_ID=$(echo "$BOUND_KEY" | cut -c4-19)
LOG=$PREFIX/logs/worker.log
with_cert() { local c=$1; shift; "$@" --cert "$CA/$c.pem" --key "$CA/$c.key"; }
err_code() { json_field 'd["error"]["code"]'; }

expect "bound key over its certificate: 200" 200 "$(with_key "$BOUND_KEY" with_cert good code /v1/models)"
expect "bound key without a certificate: 401" 401 "$(with_key "$BOUND_KEY" code /v1/models)"
expect "... code client_certificate_required" client_certificate_required "$(with_key "$BOUND_KEY" body /v1/models | err_code)"
expect "bound key over another good certificate of the CA: 401" 401 "$(with_key "$BOUND_KEY" with_cert other code /v1/models)"
# Certificates that fail verification never reach the worker: nginx answers 403 in the JSON
# shape and its access log records why.
expect "bound key over a foreign CA's certificate (same CN): 403 from nginx" 403 "$(with_key "$BOUND_KEY" with_cert foreign code /v1/models)"
expect "key bound to the revoked certificate, over it: 403" 403 "$(with_key "$REVOKED_KEY" with_cert revoked code /v1/models)"
expect "... code client_certificate_invalid" client_certificate_invalid "$(with_key "$REVOKED_KEY" with_cert revoked body /v1/models | err_code)"
expect "an unbound key over the revoked certificate: 403 too" 403 "$(with_cert revoked code /v1/models)"
expect_match "nginx's access log: the revocation" "cv=FAILED:certificate revoked" "$(cat "$PREFIX/logs/access.log")"
expect_match "nginx's access log: the foreign certificate" "cv=FAILED:(unable to get local issuer certificate|unable to verify)" "$(cat "$PREFIX/logs/access.log")"
expect_match "nginx's access log: a verified one" "cv=SUCCESS" "$(cat "$PREFIX/logs/access.log")"
# A client cannot hand the worker a certificate by header: headers reach it as HTTP_*.
GOOD_ONE_LINE=$(tr -d '\n' <"$CA/good.pem")
expect "bound key, certificate sent as headers instead: 401" 401 \
  "$(with_key "$BOUND_KEY" code /v1/models -H "Deepgate-Client-Cert: $GOOD_ONE_LINE" -H "X-SSL-Client-SHA256: $(fp good)" \
     -H "SSL-Client-Verify: SUCCESS")"
# Its access tokens: none without the certificate, and a token is bound like the key.
exchange() { noauth body /v1/oauth/token -X POST -d grant_type=client_credentials -d "client_id=$BOUND_ID" --data-urlencode "client_secret=$BOUND_KEY" "$@"; }
expect "token exchange for the bound key without its certificate: no token" "" \
  "$(exchange | json_field 'd.get("access_token", "")')"
JWT=$(with_cert good exchange | json_field 'd.get("access_token", "")')
expect_match "token exchange over its certificate: a token" "^ey" "$JWT"
expect "the bound key's token over its certificate: 200" 200 "$(with_key "$JWT" with_cert good code /v1/models)"
expect "the bound key's token without a certificate: 401" 401 "$(with_key "$JWT" code /v1/models)"
expect "an unbound key without a certificate: 200" 200 "$(code /v1/models)"
expect "an unbound key over a certificate: 200" 200 "$(with_cert good code /v1/models)"
sleep 0.5
audit=$(grep "audit event=auth_failure" "$LOG")
expect_match "audited: key_cert_missing for the bound key" "key_id=$BOUND_ID.*reason=\"?key_cert_missing" "$audit"
expect_match "audited: key_cert_mismatch for the bound key" "key_id=$BOUND_ID.*reason=\"?key_cert_mismatch" "$audit"

# --- the admin API binds too
resp=$(with_key "$DG_ADMIN_KEY" body /admin/keys -X POST -H 'Content-Type: application/json' \
  -d "{\"name\":\"api-bound\",\"role\":\"developer\",\"requests_per_min\":0,\"bind_cert\":\"$(fp good)\"}")
API_KEY=$(echo "$resp" | json_field 'd["key"]')
expect "admin API create shows the binding" "SHA256:$(fp good | cut -d: -f2- | tr -d : | tr A-F a-f)" \
  "$(echo "$resp" | json_field 'd["bind_cert"]')"
expect "admin API-bound key over its certificate: 200" 200 "$(with_key "$API_KEY" with_cert good code /v1/models)"
expect "admin API-bound key over another: 401" 401 "$(with_key "$API_KEY" with_cert other code /v1/models)"
expect "admin API create with a bad bind_cert: 400" 400 \
  "$(with_key "$DG_ADMIN_KEY" code /admin/keys -X POST -H 'Content-Type: application/json' -d '{"name":"x","role":"developer","bind_cert":"SHA256:12"}')"
expect "keys create --bind-cert with a bad fingerprint: exit 2" 2 \
  "$("$DG_BIN/deepgate" keys create --config "$PREFIX/conf/deepgate.json" --name x --role developer --bind-cert nope >/dev/null 2>&1; echo $?)"
dg_it_finish
