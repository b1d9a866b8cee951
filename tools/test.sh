#!/usr/bin/env bash
# Builds Stepway and runs every test: unit tests of each module, the layering check, and the
# conformance suites and the integration tests (the server driven by the aws CLI and boto3).
# Installs the Debian packages it needs first.
#   bash tools/test.sh            # release build in build/release
#   PRESET=asan bash tools/test.sh  # the same under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
# The integration tests drive the server with the aws CLI and boto3: install them when missing.
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
if ! command -v aws >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq awscli
fi
if ! python3 -c 'import boto3' >/dev/null 2>&1 && ! /usr/bin/python3 -c 'import boto3' >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-boto3
fi
preset="${PRESET:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" --output-on-failure
