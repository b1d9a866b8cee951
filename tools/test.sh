#!/usr/bin/env bash
# Builds Stepway and runs every test: unit tests of each module, the layering check, and the
# conformance suites. Installs the Debian packages it needs first.
#   bash tools/test.sh            # release build in build/release
#   PRESET=asan bash tools/test.sh  # the same under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
preset="${PRESET:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" --output-on-failure
