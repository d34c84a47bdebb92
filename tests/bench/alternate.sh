#!/usr/bin/env bash
# Compares engine_bench binaries on one workload by alternating them, ROUNDS
# times each, so that both see the same phases of a shared, noisy machine.
# Prints each binary's median (and min / max) of its runs' medians, and the
# median of the per-round ratios of the last binary to the first.
#
#   tests/bench/alternate.sh WORKLOAD ROUNDS path/to/engine_bench [more engine_bench ...]
#
# Each run is `engine_bench --only WORKLOAD --min-seconds 0.5`.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: alternate.sh WORKLOAD ROUNDS ENGINE_BENCH [ENGINE_BENCH ...]" >&2
  exit 2
fi
workload="$1"
rounds="$2"
shift 2
for bench in "$@"; do
  if [[ ! -x "$bench" ]]; then
    echo "alternate.sh: $bench is not an executable" >&2
    exit 2
  fi
done

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for ((round = 0; round < rounds; ++round)); do
  for bench in "$@"; do
    line="$("$bench" --only "$workload" --min-seconds 0.5 | tail -1)"
    median="$(sed -nE 's/.* median ([0-9.]+) ms\/exec.*/\1/p' <<<"$line")"
    if [[ -z "$median" ]]; then
      echo "alternate.sh: no median in the output of $bench: $line" >&2
      exit 1
    fi
    printf '%s %s %s\n' "$round" "$bench" "$median" >>"$results"
  done
done

python3 - "$results" "$@" <<'EOF'
import statistics
import sys

path, benches = sys.argv[1], sys.argv[2:]
runs = {}  # (round, bench) -> median ms
for line in open(path):
    round_, bench, median = line.split()
    runs[(int(round_), bench)] = float(median)
rounds = sorted({r for r, _ in runs})
for bench in benches:
    values = [runs[(r, bench)] for r in rounds]
    print(f"{bench}: median {statistics.median(values):.3f} ms/exec over {len(values)} runs "
          f"(min {min(values):.3f}, max {max(values):.3f})")
if len(benches) > 1:
    ratios = [runs[(r, benches[-1])] / runs[(r, benches[0])] for r in rounds]
    print(f"{benches[-1]} / {benches[0]}: median ratio {statistics.median(ratios):.3f} per round")
EOF
