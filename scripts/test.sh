#!/usr/bin/env bash
# Builds the framechain binary (the process-level tests run it) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
swift test "$@"
