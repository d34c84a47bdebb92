#!/usr/bin/env bash
# Sets up stepflow on Debian 12, builds it and runs a sample workflow end to end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tests/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"${JOBS:-2}" --target stepflow
sample="$root/samples/order-pipeline"
echo "== stepflow run samples/order-pipeline/definition.asl.json"
"$root/build/server/stepflow" run "$sample/definition.asl.json" --input-file "$sample/input.json"
