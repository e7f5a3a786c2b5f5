#!/usr/bin/env bash
# `deepgate model demo` writes a tiny model of every type and arch, `deepgate model info`
# reports the right fields for it; bad arguments exit 2, bad files exit 1 with one line.
set -u
BIN="${DEEPGATE_BIN:-build/bin}/deepgate"
if [ ! -x "$BIN" ]; then
  echo "FAIL: $BIN not built" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

# expect_contains OUTPUT NEEDLE WHAT
expect_contains() {
  case "$1" in
    *"$2"*) ;;
    *) fail "$3: output lacks '$2'"; printf '%s\n' "$1" >&2 ;;
  esac
}

# expect_exit CODE WHAT -- command...
expect_exit() {
  local want=$1 what=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: exit $rc, want $want"
  if [ "$want" -ne 0 ]; then
    [ -s "$work/err" ] || fail "$what: no error message"
    grep -q "Segmentation\|Aborted\|terminate called" "$work/err" && fail "$what: crashed"
  fi
}

for arch in qwen2 llama; do
  for type in f32 f16 q8_0 q4_0 q4_k_m; do
    f="$work/$arch-$type.gguf"
    out=$("$BIN" model demo --out "$f" --arch "$arch" --type "$type" --seed 3 2>&1) || { fail "model demo $arch $type: $out"; continue; }
    expect_contains "$out" "$f" "model demo $arch $type"
    expect_contains "$out" "parameters" "model demo $arch $type"
    [ -f "$f" ] && [ ! -e "$f.tmp" ] || fail "model demo $arch $type: file missing or .tmp left"
    info=$("$BIN" model info "$f" 2>&1) || { fail "model info $arch $type exited $?: $info"; continue; }
    expect_contains "$info" "gguf version:    3" "info $arch $type"
    expect_contains "$info" "architecture:    $arch" "info $arch $type"
    expect_contains "$info" "layers:          2" "info $arch $type"
    expect_contains "$info" "embedding:       256" "info $arch $type"
    expect_contains "$info" "heads:           4" "info $arch $type"
    expect_contains "$info" "kv heads:        2" "info $arch $type"
    expect_contains "$info" "head dim:        64" "info $arch $type"
    expect_contains "$info" "ffn:             512" "info $arch $type"
    expect_contains "$info" "context length:  2048" "info $arch $type"
    expect_contains "$info" "parameters:" "info $arch $type"
    expect_contains "$info" "tokenizer:       gpt2" "info $arch $type"
    expect_contains "$info" "bos / eos:" "info $arch $type"
    if [ "$arch" = qwen2 ]; then
      expect_contains "$info" "neox" "info $arch $type"
      expect_contains "$info" "pre qwen2" "info $arch $type"
      expect_contains "$info" "chat template:   chatml" "info $arch $type"
    else
      expect_contains "$info" "normal" "info $arch $type"
      expect_contains "$info" "chat template:   deepseek-r1" "info $arch $type"
    fi
    case "$type" in
      f32) expect_contains "$info" "f32:" "info $type" ;;
      f16) expect_contains "$info" "f16:" "info $type" ;;
      q8_0) expect_contains "$info" "q8_0:" "info $type" ;;
      q4_0) expect_contains "$info" "q4_0:" "info $type" ;;
      q4_k_m) expect_contains "$info" "q4_K:" "info $type"; expect_contains "$info" "q6_K:" "info $type" ;;
    esac
  done
done

# Same seed, same bytes.
"$BIN" model demo --out "$work/again.gguf" --arch llama --type q4_k_m --seed 3 >/dev/null 2>&1
cmp -s "$work/again.gguf" "$work/llama-q4_k_m.gguf" || fail "same seed gave different bytes"

# The demo tokenizer works through the tokenize command.
ids=$(printf 'Hello world' | "$BIN" tokenize -m "$work/qwen2-q8_0.gguf" --no-special) || fail "tokenize on a demo model"
[ -n "$ids" ] || fail "tokenize printed nothing"

# Usage errors: exit 2.
expect_exit 2 "demo without --out" -- "$BIN" model demo
expect_exit 2 "demo bad arch" -- "$BIN" model demo --out "$work/x.gguf" --arch gpt2
expect_exit 2 "demo bad type" -- "$BIN" model demo --out "$work/x.gguf" --type q3_k
expect_exit 2 "demo bad shape" -- "$BIN" model demo --out "$work/x.gguf" --shape huge
expect_exit 2 "demo bad seed" -- "$BIN" model demo --out "$work/x.gguf" --seed abc
expect_exit 2 "demo unknown flag" -- "$BIN" model demo --out "$work/x.gguf" --bogus
expect_exit 2 "info without file" -- "$BIN" model info
expect_exit 2 "info two files" -- "$BIN" model info a b
[ -e "$work/x.gguf" ] && fail "a rejected demo wrote a file"

# Bad files: exit 1, one line, no crash.
head -c 4096 /dev/urandom >"$work/garbage.bin"
expect_exit 1 "info garbage" -- "$BIN" model info "$work/garbage.bin"
[ "$(wc -l <"$work/err")" -eq 1 ] || fail "info garbage: message is not one line"
expect_exit 1 "info missing" -- "$BIN" model info "$work/does-not-exist.gguf"
head -c 100000 "$work/qwen2-f32.gguf" >"$work/truncated.gguf"
expect_exit 1 "info truncated" -- "$BIN" model info "$work/truncated.gguf"
: >"$work/empty.gguf"
expect_exit 1 "info empty" -- "$BIN" model info "$work/empty.gguf"
expect_exit 1 "demo into missing dir" -- "$BIN" model demo --out "$work/no/such/dir.gguf"

if [ "$failed" -ne 0 ]; then
  echo "model_cli_test: FAILED" >&2
  exit 1
fi
echo "model_cli_test: ok"
