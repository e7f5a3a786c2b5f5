#!/usr/bin/env bash
# journald for integration tests. No journald runs on a bare machine, and sd_journal_send
# silently drops entries without one, so a test that checks the audit trail starts its own:
# PRIVATE by default — the test re-executes itself in a new mount namespace
# (unshare -m) with tmpfs over /run/systemd/journal and /run/log, so its journald and
# entries never touch the host — else (no unshare, not root) the global way.
#
#   source journal.sh; dg_journal_private_exec "$0" "$@"   # first thing in the test
#   dg_journal_mount        # private: fresh, empty /run/systemd/journal and /run/log
#   dg_journal_start        # journald up, socket ready (DG_JOURNAL_PID)
#   dg_journal_json FIELD=VALUE ...   # matching entries, one JSON object per line
#   dg_journal_stop

DG_JOURNALD=${DG_JOURNALD:-/lib/systemd/systemd-journald}
DG_JOURNAL_SOCKET=/run/systemd/journal/socket
DG_JOURNAL_PID=""
DG_JOURNAL_STARTED_GLOBAL=0

dg_journal_private_exec() {
  [ -n "${DG_JOURNAL_NS:-}" ] && return 0
  export DG_JOURNAL_NS=global
  [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null || return 0
  if unshare -m --propagation private true 2>/dev/null; then
    DG_JOURNAL_NS=private exec unshare -m --propagation private bash "$@"
  fi
  echo "note: unshare -m failed; using the global journald way" >&2
}

dg_journal_mount() {
  [ "$DG_JOURNAL_NS" = private ] || return 0
  mkdir -p /run/systemd/journal /run/log
  mount -t tmpfs -o mode=0755 tmpfs /run/systemd/journal && mount -t tmpfs -o mode=0755 tmpfs /run/log
}

dg_journal_start() {
  [ -x "$DG_JOURNALD" ] || { echo "SKIP: $DG_JOURNALD missing"; exit 77; }
  if [ "$DG_JOURNAL_NS" != private ] && [ -S "$DG_JOURNAL_SOCKET" ]; then
    return 0  # the host's journald (or another test's): use it, never stop it
  fi
  mkdir -p /run/systemd/journal
  "$DG_JOURNALD" </dev/null >/dev/null 2>&1 &
  DG_JOURNAL_PID=$!
  [ "$DG_JOURNAL_NS" = private ] || DG_JOURNAL_STARTED_GLOBAL=1
  local i
  for ((i = 0; i < 50; i++)); do [ -S "$DG_JOURNAL_SOCKET" ] && return 0; sleep 0.1; done
  echo "FAIL: journald did not create $DG_JOURNAL_SOCKET"; exit 1
}

# Entries matching all FIELD=VALUE terms, as JSON lines. journald writes asynchronously:
# retry briefly until at least one entry is there.
dg_journal_json() {
  local out i
  for ((i = 0; i < 30; i++)); do
    out=$(journalctl -o json --no-pager "$@" 2>/dev/null)
    [ -n "$out" ] && { echo "$out"; return 0; }
    sleep 0.1
  done
  return 1
}

dg_journal_stop() {
  if [ -n "$DG_JOURNAL_PID" ]; then
    kill "$DG_JOURNAL_PID" 2>/dev/null
    wait "$DG_JOURNAL_PID" 2>/dev/null
    DG_JOURNAL_PID=""
  fi
  if [ "$DG_JOURNAL_STARTED_GLOBAL" -eq 1 ]; then
    rm -f "$DG_JOURNAL_SOCKET" /run/systemd/journal/stdout /run/systemd/journal/dev-log
    rm -rf /run/log/journal
  fi
  return 0
}
