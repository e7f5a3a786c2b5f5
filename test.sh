#!/usr/bin/env bash
# Runs every test: installs missing Debian packages (as root), builds, runs CTest.
# Test data from other projects is read from ../shared/data; tests that need it skip loudly
# when it is absent.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install-deps.sh
deepgate_install_deps
deepgate_build
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 1500
