#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: unit tests under ASan+UBSan,
# then every suite (unit, conformance, JSONata) on an optimised build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tests/setup.sh"
jobs=${JOBS:-2}

cmake -S "$root" -B "$root/build-asan" -DSTEPFLOW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$root/build-asan" -j"$jobs"
(cd "$root/build-asan" && ctest -L unit --output-on-failure)

cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"$jobs"
(cd "$root/build" && ctest --output-on-failure)
