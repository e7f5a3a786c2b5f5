#!/usr/bin/env bash
# Installs the Debian packages deepgate needs to build and test, when missing.
# Sourced by run.sh and test.sh. As root it uses apt; otherwise it only reports what is missing.
DEEPGATE_PACKAGES=(g++ cmake make pkg-config libgtest-dev libgmock-dev clang libclang-rt-14-dev python3
  libfcgi-dev nginx libjsoncpp-dev libsystemd-dev openssl curl libssl-dev libsqlite3-dev
  libmaxminddb-dev libmaxmind-db-writer-perl systemd-journal-remote util-linux
  wrk debhelper dpkg-dev lintian)  # wrk: bench/serve_bench.sh. debhelper, dpkg-dev, lintian: the .deb (debian_package_test). The OpenAI SDK test also wants Node 20+ and npm (it skips without).
# chromium: the web console's browser test (tests/integration/console_test.sh, with npm puppeteer-core).
DEEPGATE_PACKAGES+=(chromium)
# libqrencode-dev: `deepgate admin totp enroll` draws the otpauth:// QR code in the terminal.
DEEPGATE_PACKAGES+=(libqrencode-dev)
# libpq-dev: the PostgreSQL key store (fcgi/store/); postgresql: its tests start a real server.
DEEPGATE_PACKAGES+=(libpq-dev postgresql)
# redis-server, libhiredis-dev: the Redis limits and cache (fcgi/redis/; unit tests and redis_test.sh start their own server).
DEEPGATE_PACKAGES+=(redis-server libhiredis-dev)

deepgate_install_deps() {
  local missing=()
  for p in "${DEEPGATE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "deepgate: missing packages: ${missing[*]} (run as root to install them)" >&2
    return 1
  fi
  echo "deepgate: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

deepgate_build() {
  local jobs
  jobs=$(nproc)
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$jobs"
}
