#!/usr/bin/env python3
"""Runs the JSONata conformance suite (../shared/jsonata/check.py) and fails when the
pass rate drops below a threshold, so the CTest entry guards against regressions
without requiring every case to pass.

    jsonata_threshold.py --min-rate 0.999 CHECK_PY ARGS...
"""

import os
import re
import subprocess
import sys


def main(argv):
    if len(argv) < 4 or argv[1] != "--min-rate":
        print("usage: jsonata_threshold.py --min-rate RATE CHECK_PY [check.py args...]", file=sys.stderr)
        return 2
    min_rate = float(argv[2])
    cmd = [sys.executable] + argv[3:]
    env = dict(os.environ, PYTHONIOENCODING="utf-8:backslashreplace")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = proc.stdout.decode("utf-8", "replace")
    match = None
    for line in out.splitlines():
        m = re.match(r"^(\d+) passed, (\d+) failed", line)
        if m:
            match = m
    if not match:
        print(out)
        print("jsonata_threshold: no summary line from check.py", file=sys.stderr)
        return 1
    passed, failed = int(match.group(1)), int(match.group(2))
    total = passed + failed
    rate = passed / total if total else 0.0
    if failed:
        print("\n".join(l for l in out.splitlines() if l.startswith("FAIL")))
    print("%d passed, %d failed (%.2f%%; minimum %.2f%%)" % (passed, failed, 100 * rate, 100 * min_rate))
    return 0 if rate >= min_rate else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
