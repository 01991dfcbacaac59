#!/usr/bin/env bash
# Installs the system libraries framechain links against and the tools its tests use, then builds.
#   libraries: libsqlite3-dev, libssl-dev (libcrypto), zlib1g-dev, pkg-config
#   test tools: python3 + python3-venv (the fake provider, the official replicate/openai clients in
#   .build/proxy-venv), sqlite3 (the soak's independent check), nginx + libnginx-mod-http-dav-ext (the remote
#   cache tests), ffmpeg (the clip generator), chromium (the report's <video> test), GNU time (memory checks).
# Tests whose tool is missing are skipped, unless CI=true (then they fail).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq libsqlite3-dev libssl-dev zlib1g-dev pkg-config python3 python3-venv sqlite3 \
        nginx libnginx-mod-http-dav-ext ffmpeg chromium time >/dev/null
fi
if [ ! -x .build/proxy-venv/bin/python ]; then
    python3 -m venv .build/proxy-venv
    .build/proxy-venv/bin/pip install -q --disable-pip-version-check replicate openai
fi
swift build
