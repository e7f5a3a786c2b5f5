#!/usr/bin/env bash
# Checks `deepgate tokenize --no-special` against llama.cpp's reference vectors: for every
# vocab in $DEEPGATE_SHARED_DATA/vocab with .inp/.out, each input string (separated by
# "\n__ggml_vocab_test__\n") must give exactly the ids on the matching .out line.
set -u
DATA="${DEEPGATE_SHARED_DATA:-../shared/data}/vocab"
BIN="${DEEPGATE_BIN:-build/bin}/deepgate"

if [ ! -d "$DATA" ]; then
  echo "*** SHARED TEST DATA MISSING: $DATA — tokenizer vectors NOT checked ***" >&2
  exit 0
fi
if [ ! -x "$BIN" ]; then
  echo "FAIL: $BIN not built" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
vocabs=0
for gguf in "$DATA"/*.gguf; do
  [ -f "$gguf.inp" ] && [ -f "$gguf.out" ] || continue
  vocabs=$((vocabs + 1))
  name=$(basename "$gguf" .gguf)
  # Split .inp into one file per string (the file ends with a separator).
  python3 - "$gguf.inp" "$work/$name" <<'PY'
import sys, os
data = open(sys.argv[1], 'rb').read()
sep = b"\n__ggml_vocab_test__\n"
parts = data.split(sep)
if parts and parts[-1] == b"":
    parts.pop()
os.makedirs(sys.argv[2], exist_ok=True)
for i, p in enumerate(parts):
    open(os.path.join(sys.argv[2], "%03d" % i), 'wb').write(p)
PY
  mapfile -t expected < "$gguf.out"
  pass=0
  total=0
  for input in "$work/$name"/*; do
    i=$((10#$(basename "$input")))
    total=$((total + 1))
    want=$(echo "${expected[$i]-<missing line>}" | sed -e 's/^ *//' -e 's/ *$//' -e 's/  */ /g')
    got=$("$BIN" tokenize -m "$gguf" --no-special < "$input" 2>&1)
    if [ "$got" = "$want" ]; then
      pass=$((pass + 1))
    else
      failed=1
      printf '  %s #%d input=%q\n    want: %s\n    got:  %s\n' "$name" "$i" "$(cat "$input")" "$want" "$got" >&2
    fi
  done
  if [ "$total" -ne "${#expected[@]}" ]; then
    echo "  $name: $total inputs but ${#expected[@]} expected lines" >&2
    failed=1
  fi
  echo "$name: $pass/$total pass"
done

if [ "$vocabs" -eq 0 ]; then
  echo "*** no vocab vectors found in $DATA — tokenizer vectors NOT checked ***" >&2
fi
exit $failed
