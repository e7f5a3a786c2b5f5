#!/usr/bin/env bash
# The production site file (nginx/deepgate.conf + snippets) passes `nginx -t` as installed:
# wrapped in an http block like Debian's nginx.conf, with its absolute paths moved into a
# temp prefix.
source "$(dirname "$0")/lib.sh"
PREFIX=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$PREFIX")
mkdir -p "$PREFIX"/{conf/snippets,logs,tmp}
cp "$DG_SOURCE_DIR"/nginx/snippets/*.conf "$PREFIX/conf/snippets/"
cp "$DG_SOURCE_DIR/nginx/allowlist.conf" "$PREFIX/conf/deepgate-allowlist.conf"
(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PREFIX/conf/key.pem" -out "$PREFIX/conf/cert.pem" \
  -days 1 -subj /CN=localhost 2>/dev/null)
sed -e "s|/etc/ssl/certs/deepgate.pem|$PREFIX/conf/cert.pem|; s|/etc/ssl/private/deepgate.key|$PREFIX/conf/key.pem|" \
    -e "s|/var/log/nginx/|$PREFIX/logs/|" "$DG_SOURCE_DIR/nginx/deepgate.conf" >"$PREFIX/conf/deepgate.conf"
# The overflow credential file the Debian package makes (root only, a comment until set).
echo '# proxy_set_header Authorization "Bearer <key>";' >"$PREFIX/conf/overflow-credentials.conf"
sed -i "s|/etc/nginx/deepgate-overflow-credentials.conf|$PREFIX/conf/overflow-credentials.conf|" \
  "$PREFIX/conf/snippets/deepgate-overflow-location.conf"
cat >"$PREFIX/conf/nginx.conf" <<CONF
pid $PREFIX/logs/nginx.pid;
events {}
http {
  client_body_temp_path $PREFIX/tmp/body;
  fastcgi_temp_path $PREFIX/tmp/fastcgi;
  proxy_temp_path $PREFIX/tmp/proxy;
  uwsgi_temp_path $PREFIX/tmp/uwsgi;
  scgi_temp_path $PREFIX/tmp/scgi;
  include deepgate.conf;
}
CONF
out=$(nginx -t -p "$PREFIX" -c conf/nginx.conf -e "$PREFIX/logs/error.log" 2>&1)
expect "nginx -t accepts the production site" 0 "$?"
expect "no warnings" "" "$(echo "$out" | grep -i warn)"
dg_it_finish
