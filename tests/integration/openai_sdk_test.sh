#!/usr/bin/env bash
# The official OpenAI Node SDK (pinned in node/package-lock.json), unmodified, against a stack
# through nginx + TLS: models, chat whole and streamed, typed errors (node/sdk_check.mjs).
# The SDK is installed with `npm ci` into the build tree (build/node-sdk), once per lockfile;
# no Node or no registry is a loud SKIP (exit 77), not a failure.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

command -v node >/dev/null && command -v npm >/dev/null || dg_it_skip "node/npm are not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || dg_it_skip "node $node_major is too old (the pinned SDK wants 20+)"

# Outside the source tree; reused while the lockfile is unchanged.
sdk=${DEEPGATE_NODE_SDK_DIR:-$(cd "$DG_BIN/.." && pwd)/node-sdk}
dg_it_npm_ci "$here/node" "$sdk" "the OpenAI SDK check" openai
# ESM resolves 'openai' from the script's own directory: run a copy beside node_modules.
cp "$here/node/sdk_check.mjs" "$sdk/sdk_check.mjs"
echo "openai SDK $(node -p "require('$sdk/node_modules/openai/package.json').version"), node $(node --version)"

dg_it_start "" 1048576
# Trust the stack's self-signed cert as a CA: verification (chain and 127.0.0.1 SAN) stays on.
NODE_EXTRA_CA_CERTS=$PREFIX/conf/cert.pem timeout 120 node "$sdk/sdk_check.mjs" "$URL" deepgate-demo \
  || DG_IT_FAILS=$((DG_IT_FAILS + 1))
dg_it_finish
