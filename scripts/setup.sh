#!/usr/bin/env bash
# Installs the system libraries framechain links against and the tools its tests use, then builds.
set -euo pipefail
if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq libsqlite3-dev libssl-dev zlib1g-dev pkg-config python3 sqlite3 >/dev/null
fi
swift build
