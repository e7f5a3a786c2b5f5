#!/usr/bin/env bash
# Helpers to run the deepgate stack (deepgate-fcgi + nginx, TLS on loopback) inside one
# prefix directory. Sourced by run.sh and tests/integration/*. Every process started here
# records its pid under $prefix/run so dg_stack_stop can end exactly those.
#
#   dg_stack_prepare PREFIX PORT MODEL [MAX_BODY_BYTES] [EXTRA_JSON]  # dirs, cert, configs, secrets
#   (DG_AUTH_EXTRA adds members to the config's "auth" object)
#   dg_stack_create_key PREFIX NAME ROLE [CLI ARGS]  # prints a new API key
#   (DG_MODEL_ID sets the id /v1/models reports; default: the model file name)
#   dg_stack_start_worker PREFIX [LOG]   dg_stack_start_nginx PREFIX
#   (DG_STACK_INSTANCES=N before dg_stack_prepare: N workers behind one nginx upstream, the
#   first as above, the others with conf/deepgate-I.json on run/deepgate-I.sock, all sharing
#   the prefix's key store and secrets; start them with dg_stack_start_instance PREFIX I)
#   dg_stack_wait_ready PREFIX SECONDS   dg_stack_stop PREFIX

DG_SOURCE_DIR=${DG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
DG_BIN=${DG_BIN:-$DG_SOURCE_DIR/build/bin}
# nginx's worker user (when run as root): the worker's socket is made group-accessible to it.
DG_NGINX_USER=${DG_NGINX_USER:-www-data}

dg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

dg_stack_prepare() {
  local prefix=$1 port=$2 model=$3 max_body=${4:-1048576} extra=${5:-}
  mkdir -p "$prefix"/{conf/snippets,logs,run,tmp}
  # nginx's worker user must traverse every parent directory to reach the socket.
  chmod 0755 "$prefix" "$prefix/run"
  if [ ! -s "$prefix/conf/key.pem" ]; then
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -keyout "$prefix/conf/key.pem" \
      -out "$prefix/conf/cert.pem" -days 30 -subj /CN=localhost \
      -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null) || return 1
    chmod 0600 "$prefix/conf/key.pem"
  fi
  cp "$DG_SOURCE_DIR"/nginx/snippets/deepgate-{tls,fastcgi,errors,locations,log-format,console,limits,client-cert,mtls}.conf "$prefix/conf/snippets/"
  # The web console's static files: a fresh copy, readable by nginx's worker user.
  rm -rf "$prefix/html" && cp -r "$DG_SOURCE_DIR/nginx/html" "$prefix/html" && chmod -R a+rX "$prefix/html"
  cp "$DG_SOURCE_DIR/nginx/allowlist.conf" "$prefix/conf/allowlist.conf"
  echo "# no overflow upstream in a local stack" >"$prefix/conf/snippets/deepgate-overflow.conf"
  local instances=${DG_STACK_INSTANCES:-1} more_servers="" i
  for ((i = 2; i <= instances; i++)); do
    more_servers="$more_servers\n    server unix:$prefix/run/deepgate-$i.sock;"
  done
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@SOCKET@|$prefix/run/deepgate.sock|g" \
      -e "s|@MORE_SERVERS@|$more_servers|" \
      -e "s|@USER@|$DG_NGINX_USER|g" -e "s|@MAX_BODY@|$max_body|g" \
      "$DG_SOURCE_DIR/nginx/local.conf.in" >"$prefix/conf/nginx.conf"
  local group=$DG_NGINX_USER
  [ "$(id -u)" -eq 0 ] || group=""
  # A local stack: audit to journald when one runs (not required: this machine may have
  # none), and no rate limits (tests and benches hammer one anonymous subject). EXTRA_JSON
  # that sets either key replaces these.
  local policy=""
  case "$extra" in *'"audit"'*) ;; *) policy="$policy
  \"audit\": {\"required\": false}," ;; esac
  case "$extra" in *'"rate_limits"'*) ;; *) policy="$policy
  \"rate_limits\": {\"requests_per_minute\": 0}," ;; esac
  cat >"$prefix/conf/deepgate.json" <<JSON
{$policy
  "socket_path": "$prefix/run/deepgate.sock",
  "socket_group": "$group",
  "acceptor_threads": 16,
  "max_body_bytes": $max_body,
  "model_path": "$model",
  "model_id": "${DG_MODEL_ID:-}",
  "threads": 2,
  "auth": {
    "key_store": "$prefix/keys/keys.db",
    "master_secret_file": "$prefix/secrets/master_secret",
    "pepper_file": "$prefix/secrets/pepper",
    "jwt_secret_file": "$prefix/secrets/jwt_hs256"${DG_AUTH_EXTRA:+,
    $DG_AUTH_EXTRA}
  }${extra:+,
  $extra}
}
JSON
  for ((i = 2; i <= instances; i++)); do
    sed "s|\"$prefix/run/deepgate.sock\"|\"$prefix/run/deepgate-$i.sock\"|" "$prefix/conf/deepgate.json" \
      >"$prefix/conf/deepgate-$i.json"
  done
  dg_stack_secrets "$prefix"
  echo "$port" >"$prefix/run/port"
}

# Secrets (0600, in a 0700 dir) and the key store dir, made once per prefix. Never printed.
dg_stack_secrets() {
  local prefix=$1 name
  mkdir -p "$prefix/secrets" "$prefix/keys"
  chmod 0700 "$prefix/secrets" "$prefix/keys"
  for name in master_secret pepper jwt_hs256; do
    [ -s "$prefix/secrets/$name" ] || (umask 077 && openssl rand -hex 32 >"$prefix/secrets/$name") || return 1
    chmod 0600 "$prefix/secrets/$name"
  done
}

# Creates an API key with the CLI and prints it (stdout only): dg_stack_create_key PREFIX NAME ROLE [ARGS...]
dg_stack_create_key() {
  local prefix=$1 name=$2 role=$3; shift 3
  "$DG_BIN/deepgate" keys create --config "$prefix/conf/deepgate.json" --name "$name" --role "$role" "$@" 2>/dev/null
}

# Starts deepgate-fcgi in the background; its stderr goes to LOG (default logs/worker.log).
dg_stack_start_worker() {
  local prefix=$1 log=${2:-$1/logs/worker.log}
  if [ "$log" = - ]; then
    "$DG_BIN/deepgate-fcgi" --config "$prefix/conf/deepgate.json" &
  else
    "$DG_BIN/deepgate-fcgi" --config "$prefix/conf/deepgate.json" 2>>"$log" &
  fi
  echo $! >"$prefix/run/worker.pid"
}

# Starts instance I (2, 3, ...) of a DG_STACK_INSTANCES stack: conf/deepgate-I.json,
# run/worker-I.pid, stderr to logs/worker-I.log.
dg_stack_start_instance() {
  local prefix=$1 i=$2
  "$DG_BIN/deepgate-fcgi" --config "$prefix/conf/deepgate-$i.json" 2>>"$prefix/logs/worker-$i.log" &
  echo $! >"$prefix/run/worker-$i.pid"
}

dg_stack_start_nginx() {
  local prefix=$1
  nginx -p "$prefix" -c conf/nginx.conf -e "$prefix/logs/error.log" -g 'daemon off;' \
    2>>"$prefix/logs/error.log" &
  echo $! >"$prefix/run/nginx.pid"
}

dg_stack_url() { echo "https://127.0.0.1:$(cat "$1/run/port")"; }

# Waits until /ready answers 200 through nginx (or the worker died).
dg_stack_wait_ready() {
  local prefix=$1 seconds=${2:-60} url code i
  url=$(dg_stack_url "$prefix")
  for ((i = 0; i < seconds * 10; i++)); do
    code=$(curl -k -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/ready" || true)
    [ "$code" = 200 ] && return 0
    if ! kill -0 "$(cat "$prefix/run/worker.pid" 2>/dev/null)" 2>/dev/null; then
      echo "deepgate: the worker exited; see $prefix/logs/worker.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "deepgate: /ready did not answer 200 within ${seconds}s (last: $code)" >&2
  return 1
}

# Sends SIG to the pid in FILE and waits up to SECONDS for it to go; then SIGKILL.
# Safe under `set -e` (run.sh) and without it (tests).
dg_stop_pid() {
  local file=$1 sig=$2 seconds=$3 pid i
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "deepgate: pid $pid did not stop within ${seconds}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true  # reaps our own children; a no-op for others (set -e safe)
  rm -f "$file"
}

dg_stack_stop() {
  local prefix=$1
  dg_stop_pid "$prefix/run/nginx.pid" QUIT 5
  dg_stop_pid "$prefix/run/worker.pid" TERM 10
  local f
  for f in "$prefix"/run/worker-*.pid; do
    [ -e "$f" ] && dg_stop_pid "$f" TERM 10
  done
  return 0
}

# journald, for the audit trail: started when none runs (this machine has no systemd as PID 1).
dg_ensure_journald() {
  [ -S /run/systemd/journal/socket ] && return 0
  [ -x /lib/systemd/systemd-journald ] && [ "$(id -u)" -eq 0 ] || return 0
  mkdir -p /run/systemd/journal
  /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do [ -S /run/systemd/journal/socket ] && return 0; sleep 0.1; done
  echo "deepgate: journald did not start; audit entries will be dropped" >&2
}

# A model file for the stack: the demo model when the CLI can make one, else a stub GGUF
# header (the worker checks the magic but serves no generation without the engine).
dg_stack_model() {
  local out=$1
  [ -s "$out" ] && return 0
  if "$DG_BIN/deepgate" help 2>&1 | grep -q "model demo"; then
    "$DG_BIN/deepgate" model demo --out "$out" --shape tiny --type q8_0 >&2
  else
    printf 'GGUF\003\000\000\000' >"$out"
  fi
}
