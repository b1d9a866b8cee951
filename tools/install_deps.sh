#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing Stepway need, when they are missing.
# Boost 1.81 comes from its versioned packages: Debian's default Boost 1.74 lacks Boost.JSON.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libexpected-dev libfmt-dev libcli11-dev libpcre2-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
  libssh-dev libgpgme-dev libyaml-cpp-dev libmimalloc-dev
  python3 openssl openssh-client gnupg
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
