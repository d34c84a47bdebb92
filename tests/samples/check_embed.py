#!/usr/bin/env python3
"""Installs stepflow into a temp prefix and builds samples/embed against it.

usage: check_embed.py BUILD_DIR SOURCE_DIR CXX_COMPILER

Checks that every installed header compiles on its own with the prefix on the
include path and includes nothing but stepflow's public headers and the
standard library (no internals, no Boost or RapidJSON), that the README's Library
example is samples/embed/main.cc, and that the program, built with
find_package(stepflow), prints samples/embed/expected.txt.
"""

import os
import re
import subprocess
import sys
import tempfile


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def readme_example(source):
    with open(os.path.join(source, "README.md")) as f:
        readme = f.read()
    section = readme.split("\n## Library\n", 1)
    if len(section) != 2:
        sys.exit("FAIL: README.md has no '## Library' section")
    block = re.search(r"```cpp\n(.*?)```", section[1], re.S)
    if not block:
        sys.exit("FAIL: the README's Library section has no ```cpp block")
    return block.group(1)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    build, source, cxx = sys.argv[1:]
    embed = os.path.join(source, "samples", "embed")
    with open(os.path.join(embed, "main.cc")) as f:
        main_cc = f.read()
    if readme_example(source) != main_cc:
        sys.exit("FAIL: the README's Library example differs from samples/embed/main.cc; keep them the same")

    with tempfile.TemporaryDirectory(prefix="stepflow-embed-") as tmp:
        prefix = os.path.join(tmp, "prefix")
        run(["cmake", "--install", build, "--prefix", prefix])
        include = os.path.join(prefix, "include")
        headers = sorted(os.path.join(d, f) for d, _, files in os.walk(include) for f in files)
        if not any(h.endswith("stepflow/engine/engine.h") for h in headers):
            sys.exit(f"FAIL: no engine.h among the installed headers {headers}")
        for header in headers:
            with open(header) as f:
                for target in re.findall(r'^\s*#\s*include\s*([<"][^>"]+[>"])', f.read(), re.M):
                    if not (re.fullmatch(r'"stepflow/[a-z_/]+\.h"', target) or re.fullmatch(r"<[a-z_]+>", target)):
                        sys.exit(f"FAIL: installed {os.path.relpath(header, include)} includes {target}")
            run([cxx, "-std=c++20", "-fsyntax-only", "-I" + include, "-x", "c++", header])
        app = os.path.join(tmp, "build")
        run(["cmake", "-S", embed, "-B", app, "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_BUILD_TYPE=Release",
             "-DCMAKE_CXX_COMPILER=" + cxx])
        run(["cmake", "--build", app])
        output = run([os.path.join(app, "embed")], timeout=60)
    with open(os.path.join(embed, "expected.txt")) as f:
        expected = f.read()
    if output != expected:
        sys.exit(f"FAIL: samples/embed printed\n{output}expected\n{expected}")
    print(f"samples/embed: ok ({len(headers)} installed headers compile alone)")


if __name__ == "__main__":
    main()
