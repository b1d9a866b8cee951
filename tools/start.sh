#!/usr/bin/env bash
# Builds Stepway (release) and runs it. Until `stepway serve` exists, this runs the example
# state machine in examples/ with `stepway run` and prints its output.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec ./build/release/stepway run examples/hello.asl.json --input @examples/hello.input.json --history "$@"
