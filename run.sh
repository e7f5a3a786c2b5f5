#!/usr/bin/env bash
# Builds deepgate and runs a chat generation on the embedded demo model (a small random-weight
# GGUF generated on first run under ./.deepgate-local/). DEEPGATE_MODEL=/path/to/model.gguf
# uses a real model instead. Extra arguments go to `deepgate generate`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install-deps.sh
deepgate_install_deps
deepgate_build
state=.deepgate-local
mkdir -p "$state"
model=${DEEPGATE_MODEL:-$state/demo.gguf}
if [ -z "${DEEPGATE_MODEL:-}" ] && [ ! -f "$model" ]; then
  echo "deepgate: generating the demo model at $model" >&2
  build/bin/deepgate model demo --out "$model" --shape tiny --type q8_0
fi
build/bin/deepgate model info "$model"
exec build/bin/deepgate generate -m "$model" --chat -p "${DEEPGATE_PROMPT:-Hello! Who are you?}" -n 48 "$@"
