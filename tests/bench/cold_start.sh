#!/usr/bin/env bash
# Measures `stepflow run` cold start: wall time of a whole process running a
# trivial one-Pass machine, RUNS times (default 50), after one untimed warm-up.
# Prints the median (and min / p90) in ms. Uses hyperfine when installed and
# HYPERFINE=1, otherwise python3's time.perf_counter.
#
#   tests/bench/cold_start.sh [path/to/stepflow] [runs]
#
# Default binary: build/server/stepflow under the source tree.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stepflow="${1:-$here/../../build/server/stepflow}"
runs="${2:-50}"
if [[ ! -x "$stepflow" ]]; then
  echo "cold_start.sh: no stepflow binary at $stepflow (build the 'stepflow' target or pass its path)" >&2
  exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
machine="$tmp/one-pass.asl.json"
cat >"$machine" <<'EOF'
{"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Result": {"ok": true}, "End": true}}}
EOF

# One untimed run that must succeed, so we time a working command.
if ! out="$("$stepflow" run "$machine" --input '{}' 2>&1)"; then
  echo "cold_start.sh: stepflow run failed:" >&2
  echo "$out" >&2
  exit 1
fi

if [[ "${HYPERFINE:-0}" == 1 ]] && command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 --runs "$runs" "$stepflow run $machine --input {}"
  exit 0
fi

python3 - "$stepflow" "$machine" "$runs" <<'EOF'
import statistics, subprocess, sys, time

stepflow, machine, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = [stepflow, "run", machine, "--input", "{}"]
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - start) * 1e3)
def measure(cmd):
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append((time.perf_counter() - start) * 1e3)
    return sorted(out)

baseline = measure(["/bin/true"])  # process spawn cost on this machine, for comparison
times.sort()
p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
print(f"stepflow run cold start (one Pass state, {runs} runs): median {statistics.median(times):.2f} ms, "
      f"min {times[0]:.2f} ms, p90 {p90:.2f} ms (baseline /bin/true: median {statistics.median(baseline):.2f} ms)")
EOF
