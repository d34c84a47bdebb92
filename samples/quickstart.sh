#!/usr/bin/env bash
# Sets up stepflow on Debian 12, builds it and runs the image-pipeline sample end
# to end: an S3-style event fans out with Map to a Python function that makes
# thumbnails with Pillow; Retry, Catch to a dead-letter step, and a summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tests/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"${JOBS:-2}" --target stepflow

sample="$root/samples/image-pipeline"
python=/usr/bin/python3  # Debian's interpreter: the one python3-pil installs for
thumbnails=${THUMBNAIL_DIR:-/tmp/stepflow-thumbnails}
"$python" "$sample/make_bucket.py"
rm -f "$thumbnails/dead-letters.jsonl"

log=$(mktemp)
"$python" "$root/samples/function_host/host.py" --dir "$sample/functions" --port 0 --quiet >"$log" &
host_pid=$!
trap 'kill "$host_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$log" && break
  kill -0 "$host_pid" 2>/dev/null || { echo "the function host did not start" >&2; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$log")
[ -n "$url" ] || { echo "the function host did not start within 10 s" >&2; exit 1; }

input=$("$python" -c 'import json, sys
event = json.load(open(sys.argv[1]))
event["thumbnailDir"] = sys.argv[2]
print(json.dumps(event))' "$sample/input.json" "$thumbnails")
echo "== stepflow run samples/image-pipeline/definition.asl.json --lambda-endpoint $url"
"$root/build/server/stepflow" run "$sample/definition.asl.json" --input "$input" --lambda-endpoint "$url"
echo "Thumbnails are in $thumbnails/photos; objects that failed are listed in $thumbnails/dead-letters.jsonl"
