#!/usr/bin/env bash
# Builds Stepway (release) and starts the server on 127.0.0.1:8083 with its data (SQLite) in
# ./stepway-data. Extra arguments go to `stepway serve` (see `stepway serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec ./build/release/stepway serve "$@"
