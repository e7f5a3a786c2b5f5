#!/usr/bin/env bash
# The Debian package, end to end, on this machine: builds deepgate_*.deb from a clean copy of
# the source tree (dpkg-buildpackage, nothing reused from build/), runs lintian when present,
# installs it with dpkg -i, checks files, modes, the system user and the generated secrets
# (kept across a reinstall), then runs the INSTALLED programs with the INSTALLED config: a demo
# model and an API key made by `deepgate` as user deepgate, deepgate-fcgi started the way
# deepgate.socket + deepgate.service start it (socket passed as fd 3, user deepgate), behind
# nginx running the INSTALLED site and snippets on loopback ports, with a private journald for
# the audit trail (audit.required is on in the shipped config). systemd-analyze verifies the
# installed units; dpkg --purge must remove everything but the system user (Debian practice).
# Root only; it changes the machine (a package, a user) and purges the package on any exit.
# DEEPGATE_DEB=path/deepgate_*.deb tests that package instead of building one (for iterating).
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
set -uo pipefail
DG_SOURCE_DIR=${DEEPGATE_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
FAILS=0
skip() { echo "SKIP: $*"; exit 77; }
expect() {
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; FAILS=$((FAILS + 1)); fi
}
expect_match() {
  if [[ "$3" =~ $2 ]]; then echo "ok   $1"; else echo "FAIL $1: [$3] does not match /$2/"; FAILS=$((FAILS + 1)); fi
}
mode_of() { stat -c '%a %U %G' "$1" 2>/dev/null || echo missing; }
exists() { [ -e "$1" ] && echo yes || echo no; }

[ "$(id -u)" -eq 0 ] || skip "needs root (installs and purges a package)"
for tool in dpkg-buildpackage dh dpkg nginx curl python3 openssl setpriv systemd-socket-activate journalctl; do
  command -v "$tool" >/dev/null || skip "$tool is missing (scripts/install-deps.sh installs debhelper, dpkg-dev, nginx, ...)"
done
if dpkg-query -W -f='${Status}' deepgate 2>/dev/null | grep -q installed; then
  skip "a deepgate package is already installed here; not touching it"
fi

WORK=$(mktemp -d /tmp/deepgate-deb.XXXXXX)
INSTALLED=0
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ "$INSTALLED" -eq 1 ]; then dpkg --purge deepgate >/dev/null 2>&1 || echo "WARNING: dpkg --purge deepgate failed"; fi
  dg_journal_stop
  if [ "$FAILS" -ne 0 ]; then
    echo "--- worker.log (tail)"; tail -n 20 "$WORK/worker.log" 2>/dev/null
    echo "--- nginx error.log (tail)"; tail -n 20 "$WORK/nginx/logs/error.log" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build from a clean copy (the .deb lands in $WORK) ---
if [ -n "${DEEPGATE_DEB:-}" ]; then
  echo "note: testing $DEEPGATE_DEB (DEEPGATE_DEB), not building one"
  cp "$DEEPGATE_DEB" "$WORK/" || exit 1
  DEB=$WORK/$(basename "$DEEPGATE_DEB")
else
  mkdir -p "$WORK/src"
  if git -C "$DG_SOURCE_DIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$DG_SOURCE_DIR" && git ls-files -co --exclude-standard -z |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      xargs -0 cp -P --parents -t "$WORK/src")
  else
    tar -C "$DG_SOURCE_DIR" --exclude='./build*' --exclude=./.deepgate-local --exclude=./.git -cf - . | tar -C "$WORK/src" -xf -
  fi
  start=$(date +%s)
  (cd "$WORK/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc) noddebs" dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1)
  rc=$?
  echo "dpkg-buildpackage: exit $rc in $(( $(date +%s) - start )) s"
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$WORK/build.log"
    grep -q "Unmet build dependencies" "$WORK/build.log" && skip "build dependencies missing (scripts/install-deps.sh)"
    echo "FAIL: dpkg-buildpackage"; FAILS=1; exit 1
  fi
  DEB=$(ls "$WORK"/deepgate_*.deb 2>/dev/null | head -n 1)
  expect_match "package built" "deepgate_.*\.deb$" "$DEB"
  [ -n "$DEB" ] || exit 1
  expect "no tests or benches built into the package build" no \
    "$([ -e "$WORK/src/build-deb/bin/deepgate_tests" ] || [ -e "$WORK/src/build-deb/bin/quant_bench" ] && echo yes || echo no)"
fi

if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$DEB" >"$WORK/lintian.txt" 2>&1
  sed 's/^/  lintian: /' "$WORK/lintian.txt"
  expect "lintian errors" 0 "$(grep -c '^E: ' "$WORK/lintian.txt")"
else
  echo "note: lintian is not installed; not run"
fi

# --- install ---
INSTALLED=1
if ! dpkg -i "$DEB" >"$WORK/install.log" 2>&1; then
  if ! apt-get install -y -f --no-download >>"$WORK/install.log" 2>&1 ||
     ! dpkg-query -W -f='${Status}' deepgate 2>/dev/null | grep -q "ok installed"; then
    cat "$WORK/install.log"
    skip "!!! the package's dependencies cannot be satisfied offline here; nothing was tested after the build !!!"
  fi
fi
expect "installed" "install ok installed" "$(dpkg-query -W -f='${Status}' deepgate)"

for f in /usr/sbin/deepgate-fcgi /usr/bin/deepgate /etc/deepgate/deepgate.json /etc/nginx/sites-available/deepgate \
         /etc/nginx/deepgate-allowlist.conf /etc/nginx/snippets/deepgate-{tls,fastcgi,errors,locations,log-format,overflow,client-cert,mtls}.conf \
         /lib/systemd/system/deepgate{.socket,.service,@.socket,@.service} /etc/systemd/journald@deepgate.conf \
         /usr/lib/tmpfiles.d/deepgate.conf /usr/share/man/man1/deepgate.1.gz /usr/share/man/man8/deepgate-fcgi.8.gz \
         /usr/share/doc/deepgate/README.Debian.gz /usr/share/doc/deepgate/copyright \
         /etc/nginx/snippets/deepgate-console.conf /usr/share/deepgate/console/{index,keys,audit}.html \
         /usr/share/deepgate/console/console.css /usr/share/deepgate/console/js/chat.js; do
  expect "installed $f" yes "$(exists "$f")"
done
expect_match "deepgate.json is a conffile" "/etc/deepgate/deepgate.json" "$(dpkg-query -W -f='${Conffiles}' deepgate)"
expect_match "journal namespace keeps 180 days" "^MaxRetentionSec=180day" "$(grep ^MaxRetentionSec /etc/systemd/journald@deepgate.conf)"
expect_match "config points at /var/lib/deepgate" '"key_store": "/var/lib/deepgate/keys.db"' "$(cat /etc/deepgate/deepgate.json)"
expect_match "system user deepgate" "^deepgate:x:[0-9]+:[0-9]+:.*:/var/lib/deepgate:/usr/sbin/nologin$" "$(getent passwd deepgate)"
expect_match "group deepgate" "^deepgate:" "$(getent group deepgate)"
# The FastCGI socket's own group: nginx's user is its only member (no other web app may connect).
expect_match "group deepgate-fcgi holds www-data alone" "^deepgate-fcgi:x:[0-9]+:www-data$" "$(getent group deepgate-fcgi)"
expect "the socket unit's group" "SocketGroup=deepgate-fcgi" "$(grep ^SocketGroup= /lib/systemd/system/deepgate.socket)"
expect "the socket unit's mode" "SocketMode=0660" "$(grep ^SocketMode= /lib/systemd/system/deepgate.socket)"
expect "the template socket unit's group" "SocketGroup=deepgate-fcgi" "$(grep ^SocketGroup= /lib/systemd/system/deepgate@.socket)"
expect_match "the shipped config's socket group" '"socket_group": "deepgate-fcgi"' "$(cat /etc/deepgate/deepgate.json)"
expect "/var/lib/deepgate" "750 deepgate deepgate" "$(mode_of /var/lib/deepgate)"
expect "/var/lib/deepgate/models" "750 deepgate deepgate" "$(mode_of /var/lib/deepgate/models)"
expect "/run/deepgate (tmpfiles)" "755 deepgate deepgate" "$(mode_of /run/deepgate)"
expect "/etc/deepgate/secrets" "750 root deepgate" "$(mode_of /etc/deepgate/secrets)"
for s in master_secret pepper jwt_hs256; do
  expect "secret $s mode" "640 root deepgate" "$(mode_of /etc/deepgate/secrets/$s)"
  expect_match "secret $s: 64 hex characters" "^[0-9a-f]{64}$" "$(cat /etc/deepgate/secrets/$s)"
done
expect "secrets differ" 3 "$(sort -u /etc/deepgate/secrets/* | wc -l)"
expect "deepgate.socket enabled" yes "$(exists /etc/systemd/system/sockets.target.wants/deepgate.socket)"
expect "deepgate.service enabled" yes "$(exists /etc/systemd/system/multi-user.target.wants/deepgate.service)"
SUMS=$(sha256sum /etc/deepgate/secrets/*)
dpkg -i "$DEB" >>"$WORK/install.log" 2>&1
expect "reinstall (upgrade path) succeeds" "install ok installed" "$(dpkg-query -W -f='${Status}' deepgate)"
expect "reinstall keeps the secrets" "$SUMS" "$(sha256sum /etc/deepgate/secrets/*)"

# --- systemd-analyze verify on the installed units (instances of the templates as "a") ---
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$WORK/units"
  cp /lib/systemd/system/deepgate@.service "$WORK/units/deepgate@a.service"
  cp /lib/systemd/system/deepgate@.socket "$WORK/units/deepgate@a.socket"
  out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no /lib/systemd/system/deepgate.socket \
        /lib/systemd/system/deepgate.service "$WORK/units/deepgate@a.socket" "$WORK/units/deepgate@a.service" 2>&1)
  rc=$?
  [ -n "$out" ] && echo "$out" | sed 's/^/  systemd-analyze: /'
  expect "systemd-analyze verify exit status" 0 "$rc"
  expect "systemd-analyze verify says nothing about our units" "" "$(echo "$out" | grep -i deepgate)"
fi

# --- the installed programs with the installed config ---
dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; FAILS=1; exit 1; }
dg_journal_start
as_deepgate() { setpriv --reuid=deepgate --regid=deepgate --init-groups --inh-caps=-all "$@"; }
as_deepgate /usr/bin/deepgate model demo --out /var/lib/deepgate/models/model.gguf --shape tiny --type q8_0 >/dev/null 2>&1
expect_match "demo model owned by deepgate" "^6[0-4][0-4] deepgate deepgate$" "$(mode_of /var/lib/deepgate/models/model.gguf)"
expect_match "deepgate-fcgi --check-config on the installed config" "ok \(model 'model'\)" \
  "$(/usr/sbin/deepgate-fcgi --check-config /etc/deepgate/deepgate.json 2>&1)"
KEY=$(as_deepgate /usr/bin/deepgate keys create --name pkg-test --role developer --rpm 0 2>/dev/null)
expect_match "deepgate keys create (as deepgate)" "^dg_" "$KEY"
expect "key store" "600 deepgate deepgate" "$(mode_of /var/lib/deepgate/keys.db)"
# An operator typing the command as root: the CLI becomes the owner of /var/lib/deepgate, so
# neither keys.db nor its -wal/-shm files end up root's (the worker could not read them).
ROOT_KEY=$(/usr/bin/deepgate keys create --name pkg-test-root --role developer --rpm 0 2>"$WORK/cli-root.err")
expect_match "deepgate keys create (as root)" "^dg_" "$ROOT_KEY"
expect_match "root CLI says whom it acts as" "acting as user 'deepgate'" "$(cat "$WORK/cli-root.err")"
expect "key store after a root CLI run" "600 deepgate deepgate" "$(mode_of /var/lib/deepgate/keys.db)"
expect "no root-owned files in /var/lib/deepgate" "" "$(find /var/lib/deepgate -user root 2>/dev/null)"

# As deepgate.socket + deepgate.service: the socket is bound by root, owner, group and mode as the
# installed unit says (SocketUser/SocketGroup/SocketMode), and handed as fd 3 to the worker
# running as deepgate (setpriv execs: same pid, LISTEN_PID holds).
SOCK=/run/deepgate/deepgate.sock
systemd-socket-activate -l "$SOCK" \
  setpriv --reuid=deepgate --regid=deepgate --init-groups --inh-caps=-all \
  /usr/sbin/deepgate-fcgi --config /etc/deepgate/deepgate.json 2>>"$WORK/worker.log" &
PIDS+=($!)
WORKER=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
unit_value() { sed -n "s/^$1=//p" /lib/systemd/system/deepgate.socket; }
chown "$(unit_value SocketUser):$(unit_value SocketGroup)" "$SOCK" && chmod "$(unit_value SocketMode)" "$SOCK"
expect "socket mode and owner" "660 deepgate deepgate-fcgi" "$(mode_of "$SOCK")"
# Who may connect: nginx's user (through the group) yes; any other user, here nobody, no.
connect_as() {
  setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups --inh-caps=-all /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(type(e).__name__)' "$SOCK" 2>&1
}
expect "www-data connects to the FastCGI socket" connected "$(connect_as www-data)"
expect "another user (nobody) cannot connect" PermissionError "$(connect_as nobody)"

# nginx with the installed site: only ports, certificate and log paths changed.
N=$WORK/nginx
mkdir -p "$N"/{conf,logs,tmp}
chmod 0755 "$WORK" "$N"
ln -s /etc/nginx/snippets "$N/conf/snippets"
ln -s /etc/nginx/deepgate-allowlist.conf "$N/conf/deepgate-allowlist.conf"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$N/conf/key.pem" -out "$N/conf/cert.pem" -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT80=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|^  listen 80;|  listen 127.0.0.1:$PORT80;|" -e "s|^  listen 443 ssl http2;|  listen 127.0.0.1:$PORT ssl http2;|" \
    -e '/^  listen \[::\]/d' \
    -e "s|/etc/ssl/certs/deepgate.pem|$N/conf/cert.pem|" -e "s|/etc/ssl/private/deepgate.key|$N/conf/key.pem|" \
    -e "s|/var/log/nginx/|$N/logs/|g" /etc/nginx/sites-available/deepgate >"$N/conf/site.conf"
cat >"$N/conf/nginx.conf" <<CONF
worker_processes 1;
pid $N/logs/nginx.pid;
error_log $N/logs/error.log warn;
user www-data;
events { worker_connections 256; }
http {
  client_body_temp_path $N/tmp/body;
  fastcgi_temp_path $N/tmp/fastcgi;
  proxy_temp_path $N/tmp/proxy;
  uwsgi_temp_path $N/tmp/uwsgi;
  scgi_temp_path $N/tmp/scgi;
  default_type application/octet-stream;
  include site.conf;
}
CONF
expect_match "nginx -t accepts the installed site and snippets" "syntax is ok" \
  "$(nginx -t -p "$N" -c conf/nginx.conf -e "$N/logs/error.log" 2>&1)"
nginx -p "$N" -c conf/nginx.conf -e "$N/logs/error.log" -g 'daemon off;' 2>>"$N/logs/error.log" &
PIDS+=($!)
URL=https://127.0.0.1:$PORT
status() { curl -k -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
code=""
for _ in $(seq 300); do
  code=$(status "$URL/ready")
  [ "$code" = 200 ] && break
  sleep 0.1
done
expect "/ready through nginx and the installed worker" 200 "$code"
expect "/health" 200 "$(status "$URL/health")"
expect "/v1/models with the key" 200 "$(status -H "Authorization: Bearer $KEY" "$URL/v1/models")"
expect "/v1/models with the key root created" 200 "$(status -H "Authorization: Bearer $ROOT_KEY" "$URL/v1/models")"
expect "/v1/models without a key" 401 "$(status "$URL/v1/models")"
expect "plain HTTP redirects" 301 "$(status "http://127.0.0.1:$PORT80/health")"
expect "the installed console is served at /console/" 200 "$(status "$URL/console/")"
expect_match "with its Content-Security-Policy" "frame-ancestors 'none'" \
  "$(curl -k -s -D - -o /dev/null --max-time 10 "$URL/console/js/chat.js" | tr -d '\r' | grep -i '^content-security-policy:')"
expect_match "worker runs as deepgate" "^deepgate$" "$(ps -o user= -p "$WORKER" | tr -d ' ')"
expect_match "worker took the passed socket" "listening on the socket systemd passed" "$(cat "$WORK/worker.log")"
expect_match "audit entry in the journal" '"DEEPGATE_EVENT" *: *"request"' \
  "$(dg_journal_json SYSLOG_IDENTIFIER=deepgate DEEPGATE_EVENT=request)"
kill -TERM "$WORKER"; wait "$WORKER"
expect "worker exits 0 on SIGTERM" 0 "$?"
for p in "${PIDS[@]}"; do kill -QUIT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
PIDS=()

# --- purge ---
dpkg --purge deepgate >"$WORK/purge.log" 2>&1
expect "dpkg --purge" 0 "$?"
INSTALLED=0
expect "package gone" "" "$(dpkg-query -W -f='${Status}' deepgate 2>/dev/null | grep installed)"
for f in /usr/sbin/deepgate-fcgi /usr/bin/deepgate /etc/deepgate /var/lib/deepgate /run/deepgate \
         /etc/nginx/sites-available/deepgate /etc/nginx/deepgate-allowlist.conf /etc/nginx/snippets/deepgate-tls.conf \
         /lib/systemd/system/deepgate.service /etc/systemd/journald@deepgate.conf /usr/lib/tmpfiles.d/deepgate.conf \
         /etc/systemd/system/sockets.target.wants/deepgate.socket /etc/systemd/system/multi-user.target.wants/deepgate.service; do
  expect "purged $f" no "$(exists "$f")"
done
expect "purge removes the group deepgate-fcgi" "" "$(getent group deepgate-fcgi)"
echo "note: the system user deepgate is kept after purge (Debian practice): $(getent passwd deepgate | cut -d: -f1,3)"

if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
echo "all checks passed"
