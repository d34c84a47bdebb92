#!/usr/bin/env bash
# Installs what stepflow needs to build and test on Debian 12 (run as root).
set -euo pipefail
packages=(build-essential cmake pkg-config ccache python3
  rapidjson-dev libsqlite3-dev libboost-dev libcpp-httplib-dev libspdlog-dev doctest-dev libssl-dev
  libpcre2-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi

# --- samples (samples/, tests/samples) -----------------------------------------
# Pillow for samples/image-pipeline; it installs for Debian's /usr/bin/python3.
if ! dpkg-query -W -f='${Status}' python3-pil 2>/dev/null | grep -q "install ok installed"; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-pil
fi

# ---- stepflow serve integration tests (tests/integration/serve_test.py): the AWS CLI
# and the AWS SDK for JavaScript v3.
if ! dpkg-query -W -f='${Status}' awscli 2>/dev/null | grep -q "install ok installed"; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq awscli
fi
command -v npm >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq nodejs npm; }
sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/integration/sdk"
[ -d "$sdk_dir/node_modules/@aws-sdk/client-sfn" ] || (cd "$sdk_dir" && npm ci --no-audit --no-fund --silent)
