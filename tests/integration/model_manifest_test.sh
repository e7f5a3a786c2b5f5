#!/usr/bin/env bash
# The model manifest through the CLI and a real worker (nginx + private journald):
#  - `deepgate model add` hashes the file into models.json (the config, with its // comment,
#    is left byte-for-byte as it was); `model verify` says OK and exits 0;
#  - a wrong sha256 in the manifest: the worker does not serve the model — /ready stays 503,
#    generation answers 503 model_unavailable, a model_rejected entry (REASON sha256_mismatch,
#    both hashes in MESSAGE) is journaled — and `model verify` says MISMATCH, exit 1;
#  - `model remove --shred`: a second hard link to the file, which still names the inode after
#    the unlink, shows the overwrite: with --keep-size every byte is zero and the original's
#    marker is gone; by default the inode is truncated to 0 bytes. Both are audited with the
#    file's sha256 from before the overwrite, and the entry leaves the manifest.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
trap 'dg_it_cleanup; dg_journal_stop' EXIT
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"
dg_journal_mount || { echo "FAIL: could not mount tmpfs for journald"; exit 1; }
dg_journal_start
fields() { python3 -c "import json,sys; [print(json.loads(l).get('$1','')) for l in sys.stdin if l.strip()]"; }

PREFIX=$(mktemp -d /tmp/deepgate-it.XXXXXX)
DG_IT_PREFIXES+=("$PREFIX")
MODEL=$PREFIX/model.gguf
dg_stack_model "$MODEL" || { echo "FAIL: could not make a model"; exit 1; }
dg_stack_prepare "$PREFIX" "$(dg_free_port)" "$MODEL" 4096 \
  '"audit": {"required": true}, "model_manifest": "models.json"' || exit 1
CONFIG=$PREFIX/conf/deepgate.json
sed -i '1i // the operator'"'"'s comment: model add must keep it' "$CONFIG"
CONFIG_BEFORE=$(sha256sum <"$CONFIG")
DG_API_KEY=$(dg_stack_create_key "$PREFIX" manifest-dev developer --rpm 0) || { echo "FAIL: no key"; exit 1; }
export DG_API_KEY
SHA=$(sha256sum "$MODEL" | cut -d' ' -f1)

"$DG_BIN/deepgate" model add "$MODEL" --id demo --config "$CONFIG" >"$PREFIX/add.out" 2>/dev/null
expect "model add exits 0" 0 "$?"
expect "model add prints the sha256" "$SHA  demo" "$(cat "$PREFIX/add.out")"
expect "models.json holds it" "$SHA" \
  "$(python3 -c "import json; print(json.load(open('$PREFIX/conf/models.json'))['models'][0]['sha256'])")"
expect "the config is untouched" "$CONFIG_BEFORE" "$(sha256sum <"$CONFIG")"
OUT=$("$DG_BIN/deepgate" model verify demo --config "$CONFIG" 2>/dev/null)
expect "model verify exits 0" 0 "$?"
expect_match "model verify says OK (no bar when stderr is no terminal)" "^demo: OK $SHA" "$OUT"

# --- a wrong hash: rejected, not served ---
WRONG=$(printf '%064d' 0)
python3 - "$PREFIX/conf/models.json" "$WRONG" <<'PY'
import json, sys
p, wrong = sys.argv[1], sys.argv[2]
m = json.load(open(p)); m["models"][0]["sha256"] = wrong; json.dump(m, open(p, "w"))
PY
OUT=$("$DG_BIN/deepgate" model verify --config "$CONFIG" 2>/dev/null)
expect "model verify exits 1 on a mismatch" 1 "$?"
expect_match "model verify says MISMATCH" "^demo: MISMATCH expected $WRONG actual $SHA" "$OUT"

dg_stack_start_worker "$PREFIX"
dg_stack_start_nginx "$PREFIX"
URL=$(dg_stack_url "$PREFIX")
for _ in $(seq 100); do grep -q "model rejected" "$PREFIX/logs/worker.log" && break; sleep 0.1; done
for _ in $(seq 50); do [ "$(noauth code /health)" = 200 ] && break; sleep 0.1; done
expect "worker logs the rejection" 1 "$(grep -c 'model rejected: sha256_mismatch' "$PREFIX/logs/worker.log")"
expect_match "worker logs the hash throughput" "sha256 of .* MB/s" "$(cat "$PREFIX/logs/worker.log")"
expect "/ready 503" 503 "$(noauth code /ready)"
expect "/ready code" model_load_failed "$(noauth body /ready | json_field 'd["error"]["code"]')"
SERVED=$(body /v1/models | json_field 'd["data"][0]["id"]')
GEN=(-X POST -H 'Content-Type: application/json' -d '{"model":"'"$SERVED"'","messages":[{"role":"user","content":"hi"}],"max_tokens":2}')
expect "generation 503" 503 "$(code /v1/chat/completions "${GEN[@]}")"
expect "generation code" model_unavailable "$(body /v1/chat/completions "${GEN[@]}" | json_field 'd["error"]["code"]')"
expect "the worker stays up" 200 "$(noauth code /health)"
J=$(dg_journal_json DEEPGATE_EVENT=model_rejected)
expect "model_rejected REASON" sha256_mismatch "$(echo "$J" | fields REASON | sed -n 1p)"
expect_match "model_rejected MESSAGE has both hashes" "expected sha256 $WRONG actual $SHA" "$(echo "$J" | fields MESSAGE)"
expect "model_rejected PRIORITY" 3 "$(echo "$J" | fields PRIORITY | sed -n 1p)"
dg_stack_stop "$PREFIX"

# --- shred, observed through a second hard link ---
python3 - "$PREFIX/victim.gguf" <<'PY'
import sys
open(sys.argv[1], "wb").write(b"DEEPGATE-WEIGHTS-MARKER-" * 400000)  # ~9.6 MB, several write blocks
PY
ln "$PREFIX/victim.gguf" "$PREFIX/victim.link"
VSHA=$(sha256sum "$PREFIX/victim.gguf" | cut -d' ' -f1)
VSIZE=$(stat -c %s "$PREFIX/victim.gguf")
"$DG_BIN/deepgate" model add "$PREFIX/victim.gguf" --id victim --config "$CONFIG" >/dev/null 2>&1
"$DG_BIN/deepgate" model remove victim --shred --passes 2 --keep-size --config "$CONFIG" 2>"$PREFIX/shred.log"
expect "remove --shred exits 0" 0 "$?"
expect "three passes, each fsync'd" 3 "$(grep -c "written and fsync'd" "$PREFIX/shred.log")"
expect "the path is gone" 1 "$([ -e "$PREFIX/victim.gguf" ]; echo $?)"
expect "--keep-size: the link keeps the size" "$VSIZE" "$(stat -c %s "$PREFIX/victim.link")"
expect "every byte through the link is zero" 0 "$(tr -d '\000' <"$PREFIX/victim.link" | wc -c)"
expect "the marker is gone" 0 "$(grep -c MARKER "$PREFIX/victim.link")"
expect "the manifest no longer lists it" 0 "$(grep -c victim "$PREFIX/conf/models.json")"
J=$(dg_journal_json DEEPGATE_EVENT=model_shredded)
expect_match "model_shredded entry has the prior sha256" "sha256=$VSHA .*passes=3 truncated=no" "$(echo "$J" | fields MESSAGE)"

printf 'DEEPGATE-WEIGHTS-MARKER-%.0s' $(seq 1000) >"$PREFIX/victim2.gguf"
ln "$PREFIX/victim2.gguf" "$PREFIX/victim2.link"
"$DG_BIN/deepgate" model add "$PREFIX/victim2.gguf" --id victim2 --config "$CONFIG" >/dev/null 2>&1
"$DG_BIN/deepgate" model remove victim2 --shred --config "$CONFIG" 2>/dev/null
expect "remove --shred (default) exits 0" 0 "$?"
expect "by default the inode is truncated to 0 bytes" 0 "$(stat -c %s "$PREFIX/victim2.link")"
expect "remove without --shred of an unknown id fails" 1 \
  "$("$DG_BIN/deepgate" model remove nosuch --config "$CONFIG" 2>/dev/null; echo $?)"
expect "the config is still untouched" "$CONFIG_BEFORE" "$(sha256sum <"$CONFIG")"
dg_it_finish
