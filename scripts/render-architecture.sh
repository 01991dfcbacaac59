#!/usr/bin/env bash
# Renders docs/images/modules.dot to docs/images/modules.svg (needs Graphviz: apt-get install graphviz).
set -euo pipefail
cd "$(dirname "$0")/.."
dot -Tsvg docs/images/modules.dot -o docs/images/modules.svg
echo "wrote docs/images/modules.svg"
