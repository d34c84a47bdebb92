#!/usr/bin/env bash
# StartExecution throughput of `stepflow serve` with a durable SQLite store, over
# keep-alive connections on loopback; counts executions started and completed.
# usage: [SERVE_DB=:memory:] tests/bench/serve_bench.sh BUILD_DIR [--connections N --executions N --states N]
set -euo pipefail
build=${1:?usage: serve_bench.sh BUILD_DIR [args]}
shift
dir=$(mktemp -d)
log=$dir/serve.log
"$build/server/stepflow" serve --port 0 --db "${SERVE_DB:-$dir/bench.db}" > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
port=
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat "$log"; exit 1; }
"$build/tests/bench/serve_bench" --port "$port" "$@"
