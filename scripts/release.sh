#!/usr/bin/env bash
# Builds dist/framechain: a release binary with the Swift runtime, Foundation and every Swift package
# linked in statically (--static-swift-stdlib), so it runs on a machine with no Swift toolchain. It still
# links the system's libsqlite3, libcrypto (OpenSSL 3) and zlib dynamically: Debian's libsqlite3-0, libssl3
# and zlib1g, present on any Debian or Ubuntu install.
#
# Then it checks the result: no Swift library among its dynamic dependencies, and `--version` plus a run of
# the example storyboard succeed with the toolchain's directory hidden (an empty tmpfs mounted over it in a
# private mount namespace; needs root or unprivileged user namespaces, else that step is skipped with a
# note). Usage: scripts/release.sh [--no-check]
set -euo pipefail
cd "$(dirname "$0")/.."

flags=(-c release --static-swift-stdlib -Xlinker --version-script="$PWD/scripts/release-exports.map")
swift build "${flags[@]}" --product framechain
mkdir -p dist
install -m 0755 "$(swift build "${flags[@]}" --show-bin-path)/framechain" dist/framechain
strip dist/framechain
echo "built dist/framechain ($(du -h dist/framechain | cut -f1))"

[[ "${1:-}" == "--no-check" ]] && exit 0

echo "dynamic dependencies:"
ldd dist/framechain | sed 's/^/  /'
if ldd dist/framechain | grep -Eq 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libicu'; then
    echo "error: dist/framechain still links a Swift runtime library dynamically" >&2
    exit 1
fi

toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
check="$(mktemp -d)"
trap 'rm -rf "$check"' EXIT
cp dist/framechain fixtures/plans/perfume-ad.json "$check/"
mkdir -p "$check/images" && cp fixtures/images/bottle.png "$check/images/" 2>/dev/null || true
cp -r fixtures "$check/fixtures"
hidden_run() {
    unshare --mount --map-root-user sh -c "mount -t tmpfs none '$toolchain' && cd '$check' && $1" 2>&1 ||
        unshare --mount sh -c "mount -t tmpfs none '$toolchain' && cd '$check' && $1" 2>&1
}
if ! unshare --mount --map-root-user true 2>/dev/null && ! unshare --mount true 2>/dev/null; then
    echo "note: cannot create a mount namespace here; skipped running with $toolchain hidden"
    exit 0
fi
echo "with $toolchain hidden:"
hidden_run "ls '$toolchain' | wc -l | sed 's/^/  entries in the toolchain directory: /'; ./framechain --version"
hidden_run "./framechain run --store ./store fixtures/plans/perfume-ad.json --out out >/dev/null && ls out | wc -l" |
    tee "$check/result"
[[ "$(tail -1 "$check/result")" -ge 13 ]] || { echo "error: the example run did not write its 12 images and manifest" >&2; exit 1; }
echo "ok: dist/framechain runs without the Swift toolchain"
