#!/usr/bin/env bash
# Runs jsonata_bench (stepflow's native JSONata) and the reference, npm jsonata
# 2.0.6 under node, on the same workload, one after the other, and prints per
# expression: stepflow evals/s, reference evals/s, their ratio, whether the two
# results agree, and the median ratio. The target is a ratio of at least 5.
# Builds nothing; installs the npm package on first use.
#
#   tests/bench/jsonata_bench.sh path/to/jsonata_bench [--min-seconds S] [--rounds N] [--only NAME]
#
# The npm package goes to $JSONATA_REF_DIR, default jsonata-reference/ beside the
# binary (inside the build tree). Exit status 1 when a result differs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 || ! -x "$1" ]]; then
  echo "usage: jsonata_bench.sh path/to/jsonata_bench [--min-seconds S] [--rounds N] [--only NAME]" >&2
  echo "(build it with: cmake --build build --target jsonata_bench)" >&2
  exit 2
fi
bench="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
ref_dir="${JSONATA_REF_DIR:-$(dirname "$bench")/jsonata-reference}"
version=2.0.6

command -v node >/dev/null || { echo "jsonata_bench.sh: node not found" >&2; exit 2; }
if [[ "$(node -p "try{require('$ref_dir/node_modules/jsonata/package.json').version}catch(e){''}")" != "$version" ]]; then
  echo "installing jsonata@$version into $ref_dir" >&2
  mkdir -p "$ref_dir"
  npm install --silent --no-audit --no-fund --prefix "$ref_dir" "jsonata@$version" >&2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bench" --workload "$@" >"$tmp/workload.json"
echo "stepflow: $bench" >&2
"$bench" --tsv "$@" >"$tmp/stepflow.tsv"
echo "reference: node $(node --version), jsonata $version" >&2
node "$here/jsonata_reference.js" "$tmp/workload.json" "$ref_dir" >"$tmp/reference.tsv"

python3 - "$tmp/stepflow.tsv" "$tmp/reference.tsv" "$tmp/workload.json" <<'EOF'
import json, statistics, sys

def load(path):
    rows = {}
    for line in open(path):
        name, rate, result = line.rstrip("\n").split("\t", 2)
        rows[name] = (float(rate), None if result == "undefined" else json.loads(result))
    return rows

ours, ref = load(sys.argv[1]), load(sys.argv[2])
workload = json.load(open(sys.argv[3]))
target = 5.0
print(f"{'expression':<16} {'stepflow/s':>12} {'reference/s':>12} {'ratio':>7}  result")
ratios, differ = [], False
for case in workload["cases"]:
    name = case["name"]
    (r_ours, out_ours), (r_ref, out_ref) = ours[name], ref[name]
    ratio = r_ours / r_ref
    ratios.append(ratio)
    same = out_ours == out_ref
    differ |= not same
    note = "same" if same else "DIFFERS"
    if ratio < target:
        note += f"  below {target:g}x"
    print(f"{name:<16} {r_ours:>12.0f} {r_ref:>12.0f} {ratio:>6.2f}x  {note}")
    if not same:
        print(f"    stepflow:  {json.dumps(out_ours)[:200]}")
        print(f"    reference: {json.dumps(out_ref)[:200]}")
print(f"median ratio: {statistics.median(ratios):.2f}x (target >= {target:g}x; "
      f"median of {workload['rounds']} rounds of >= {workload['min_seconds']:g} s each side)")
sys.exit(1 if differ else 0)
EOF
