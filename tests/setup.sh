#!/usr/bin/env bash
# Installs what stepflow needs to build and test on Debian 12 (run as root).
set -euo pipefail
packages=(build-essential cmake pkg-config ccache python3
  rapidjson-dev libsqlite3-dev libboost-dev libcpp-httplib-dev libspdlog-dev doctest-dev libssl-dev
  libpcre2-dev
  # mimalloc, the allocator the stepflow program links
  libmimalloc-dev
  # samples/image-pipeline: Pillow for Debian's /usr/bin/python3
  python3-pil
  # stepflow serve's integration tests drive it with the AWS CLI
  awscli)
# ... and with the AWS SDK for JavaScript, which needs node and npm.
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi

sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/integration/sdk"
[ -d "$sdk_dir/node_modules/@aws-sdk/client-sfn" ] || (cd "$sdk_dir" && npm ci --no-audit --no-fund --silent)
