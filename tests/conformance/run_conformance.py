#!/usr/bin/env python3
"""Runs ../shared/conformance/check.py against `stepflow run` and judges the result.

Every case must pass except those named in known_failures.txt (one name per line, with
the reason after '#'). A listed case that now passes is reported so the list shrinks.
"""
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))


def main():
    binary, shared = sys.argv[1], sys.argv[2]
    known = {}
    with open(os.path.join(here, "known_failures.txt")) as f:
        for line in f:
            name, _, reason = line.partition("#")
            if name.strip():
                known[name.strip()] = reason.strip()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as report_file:
        report_path = report_file.name
    cmd = [sys.executable, os.path.join(shared, "conformance", "check.py"), "--jobs", "2", "--timeout", "30",
           "--json-report", report_path,
           "--cmd", binary + " run {definition} --input-file {input} --lambda-endpoint {functions} --result-json",
           os.path.join(shared, "conformance", "cases")]
    # The runs share one database (stepflow run's default store), kept out of $HOME.
    with tempfile.TemporaryDirectory() as db_dir:
        env = dict(os.environ, STEPFLOW_DB=os.path.join(db_dir, "conformance.db"))
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False, env=env)
    with open(report_path) as f:
        report = json.load(f)
    os.unlink(report_path)
    unexpected, fixed = [], []
    for case in report["cases"]:
        if case["result"] == "fail" and case["name"] not in known:
            unexpected.append(case)
        elif case["result"] == "pass" and case["name"] in known:
            fixed.append(case["name"])
    for case in unexpected:
        print("FAIL %s: %s" % (case["name"], (case.get("reason") or "")[:300]))
    for name in fixed:
        print("now passes (remove from known_failures.txt): %s" % name)
    print("conformance: %d passed, %d failed (%d known, listed in known_failures.txt)"
          % (report["passed"], report["failed"], report["failed"] - len(unexpected)))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
