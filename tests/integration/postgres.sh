#!/usr/bin/env bash
# A real PostgreSQL for tests: initdb in DIR as an unprivileged user (root runs it as
# `nobody` through runuser: postgres refuses to run as root), listening on a private unix
# socket in DIR and a free loopback port. Local (socket) connections are trusted; TCP
# connections need the password in DIR/password (scram-sha-256), so a wrong password can be
# tested. Used by tests/integration/*_test.sh and the unit tests (tests/unit/pg_test_server.h).
#
#   source postgres.sh
#   pg_available || skip      # the binaries are missing (scripts/install-deps.sh installs them)
#   pg_start DIR              # sets PG_PORT; DIR must not exist yet
#   pg_dsn DIR [DBNAME]       # "host=127.0.0.1 port=... user=deepgate password=... dbname=..."
#   pg_kill DIR               # SIGKILL the postmaster (and so its backends)
#   pg_restart DIR            # start again on the same port and data
#   pg_stop DIR               # stop (fast) — always call it, e.g. from an EXIT trap

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

pg_available() { [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/postgres" ]; }

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pg_start() {
  local dir=$1
  mkdir -m 0700 "$dir" || return 1
  [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
  head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/password"
  [ "$(id -u)" -eq 0 ] && chown nobody "$dir/password"
  pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U deepgate -E UTF8 --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$dir/password" >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
  PG_PORT=$(pg_free_port)
  echo "$PG_PORT" >"$dir/port"
  pg_restart "$dir"
}

# fsync=off: the data need not survive a machine crash, only the SIGKILLs the tests send
# (the kernel keeps what was written). synchronous_commit stays on: with it off, a commit
# acknowledged just before a SIGKILL is lost (a revocation would come back on restart).
pg_restart() {
  local dir=$1
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c fsync=off" \
    start >/dev/null || { tail -n 20 "$dir/server.log"; return 1; }
}

pg_dsn() {
  local dir=$1 db=${2:-postgres}
  echo "host=127.0.0.1 port=$(cat "$dir/port") user=deepgate password=$(cat "$dir/password") dbname=$db"
}

pg_kill() {
  local dir=$1 pid
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  # Its backends notice the postmaster's death and exit; wait for them, or a restart finds
  # their shared memory still in use.
  for _ in $(seq 100); do
    pg_server_pids "$dir" | grep -q . || break
    sleep 0.05
  done
  rm -f "$dir/data/postmaster.pid"
}

# Pids of the server's processes (their working directory is the data directory).
pg_server_pids() {
  local dir=$1 p
  for p in $(pgrep -x postgres 2>/dev/null); do
    [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$dir/data" ] && echo "$p"
  done
  return 0
}

pg_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || pg_kill "$dir"
}
