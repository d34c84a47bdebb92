#!/usr/bin/env python3
"""Runs one sample of samples/ end to end and checks what it produces.

usage: run_sample.py STEPFLOW_BINARY SAMPLES_DIR NAME

Starts samples/function_host/host.py on the sample's functions/ (when it has
any), runs the workflow with `stepflow run --lambda-endpoint` (the callback
sample: through `stepflow serve`), and compares the output with the sample's
expected.json. Exits 0 on success, 1 on a mismatch, 77 when the sample needs
something this build does not have (CTest's SKIP_RETURN_CODE).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
# image-pipeline's thumbnailDir in input.json and expected.json; the test uses a temp dir.
SAMPLE_THUMBNAIL_DIR = "/tmp/stepflow-thumbnails"


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def replace_strings(value, old, new):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [replace_strings(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: replace_strings(v, old, new) for k, v in value.items()}
    return value


class FunctionHost:
    """samples/function_host/host.py on a free port, stopped on exit."""

    def __init__(self, samples, functions_dir, env=None):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(samples, "function_host", "host.py"), "--dir", functions_dir,
             "--port", "0", "--quiet"],
            stdout=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))
        line = self.process.stdout.readline().strip()
        check(line.startswith("listening on http://"), f"function host did not start: {line!r}")
        self.url = line.split()[-1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def stepflow_run(stepflow, definition, input_value, endpoint):
    """Runs `stepflow run`; returns (result JSON, history lines)."""
    # :memory: keeps test runs out of the user's default database.
    cmd = [stepflow, "run", definition, "--db", ":memory:", "--input", json.dumps(input_value), "--result-json",
           "--history"]
    if endpoint:
        cmd += ["--lambda-endpoint", endpoint]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check(proc.returncode in (0, 1), f"stepflow run exited {proc.returncode}: {proc.stderr}")
    return json.loads(proc.stdout), proc.stderr.splitlines()


def expect_output(name, result, expected):
    check(result["status"] == "SUCCEEDED",
          f"{name}: {result['status']} {result.get('error')}: {result.get('cause')}")
    check(result["output"] == expected,
          f"{name}: output differs\n got:      {json.dumps(result['output'], sort_keys=True)}\n"
          f" expected: {json.dumps(expected, sort_keys=True)}")


def history_errors(history, event_type):
    """The `error` of each `event_type` event in `stepflow run --history` lines, in order."""
    errors = []
    for line in history:
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] == event_type:
            # As AWS nests them: {"lambdaFunctionFailedEventDetails": {"error": ...}}
            details = json.loads(parts[3])
            errors.extend(d.get("error") for k, d in details.items() if k.endswith("EventDetails"))
    return errors


def run_plain(stepflow, samples, name):
    """A sample whose functions need nothing but the host."""
    sample = os.path.join(samples, name)
    functions = os.path.join(sample, "functions")
    input_value = load_json(os.path.join(sample, "input.json"))
    if os.path.isdir(functions):
        with FunctionHost(samples, functions) as host:
            result, history = stepflow_run(stepflow, os.path.join(sample, "definition.asl.json"), input_value,
                                           host.url)
    else:
        result, history = stepflow_run(stepflow, os.path.join(sample, "definition.asl.json"), input_value, None)
    expect_output(name, result, load_json(os.path.join(sample, "expected.json")))
    return history


def run_retry_catch(stepflow, samples):
    history = run_plain(stepflow, samples, "retry-catch")
    failed = history_errors(history, "LambdaFunctionFailed")
    # Two timeouts of the quote, retried; one decline of the card, caught (its
    # TransientError retrier does not match CardDeclined).
    check(failed == ["TransientError", "TransientError", "CardDeclined"],
          f"retry-catch: function failures in history {failed}")


def run_image_pipeline(stepflow, samples):
    from PIL import Image  # Debian's python3-pil (tests/setup.sh)

    sample = os.path.join(samples, "image-pipeline")
    with tempfile.TemporaryDirectory(prefix="stepflow-images-") as tmp:
        bucket = os.path.join(tmp, "bucket")
        thumbnails = os.path.join(tmp, "thumbnails")
        subprocess.run([sys.executable, os.path.join(sample, "make_bucket.py"), bucket], check=True,
                       stdout=subprocess.DEVNULL)
        input_value = load_json(os.path.join(sample, "input.json"))
        input_value["thumbnailDir"] = thumbnails
        with FunctionHost(samples, os.path.join(sample, "functions"), {"BUCKET_ROOT": bucket}) as host:
            result, history = stepflow_run(stepflow, os.path.join(sample, "definition.asl.json"), input_value,
                                           host.url)
        expected = replace_strings(load_json(os.path.join(sample, "expected.json")), SAMPLE_THUMBNAIL_DIR,
                                   thumbnails)
        expect_output("image-pipeline", result, expected)
        for thumb in expected["thumbnails"]:
            with Image.open(thumb["path"]) as image:
                check(image.size == (thumb["width"], thumb["height"]),
                      f"{thumb['path']} is {image.size}, expected {thumb['width']}x{thumb['height']}")
                check(max(image.size) == input_value["maxSize"], f"{thumb['path']} is not fitted to maxSize")
        with open(expected["deadLetters"]) as f:
            letters = [json.loads(line) for line in f]
        check([(d["key"], d["error"]) for d in letters] == [("corrupt.jpg", "UnidentifiedImageError")],
              f"image-pipeline: dead letters {letters}")
        check("cannot identify image file" in letters[0]["message"], f"dead letter message {letters[0]}")
        failed = sorted(history_errors(history, "TaskFailed"))  # lambda:invoke tasks
        # portrait.jpg throttled once and retried; corrupt.jpg failed once and caught.
        check(failed == ["SlowDown", "UnidentifiedImageError"], f"image-pipeline: function failures {failed}")
        check(not os.path.exists(os.path.join(thumbnails, "photos", "corrupt.jpg")), "a thumbnail of corrupt.jpg")


def sfn_call(endpoint, action, body):
    request = urllib.request.Request(
        endpoint + "/", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + action})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_callback(stepflow, samples):
    probe = subprocess.run([stepflow, "serve", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("SKIP: `stepflow serve` is not available in this build (`stepflow serve --help` exited "
              f"{probe.returncode}); the callback sample needs its SendTaskSuccess API.")
        return SKIP
    sample = os.path.join(samples, "callback")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="stepflow-callback-") as tmp, \
            FunctionHost(samples, os.path.join(sample, "functions"), {"AWS_ENDPOINT_URL_SFN": endpoint}) as host:
        server = subprocess.Popen([stepflow, "serve", "--port", str(port), "--lambda-endpoint", host.url,
                                   "--db", os.path.join(tmp, "stepflow.db")])
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    sfn_call(endpoint, "ListStateMachines", {})
                    break
                except (urllib.error.URLError, ConnectionError):
                    check(server.poll() is None, f"stepflow serve exited {server.returncode}")
                    check(time.monotonic() < deadline, "stepflow serve did not answer within 20 s")
                    time.sleep(0.2)
            with open(os.path.join(sample, "definition.asl.json")) as f:
                machine = sfn_call(endpoint, "CreateStateMachine", {
                    "name": "callback", "definition": f.read(),
                    "roleArn": "arn:aws:iam::000000000000:role/stepflow"})["stateMachineArn"]
            with open(os.path.join(sample, "input.json")) as f:
                execution = sfn_call(endpoint, "StartExecution",
                                     {"stateMachineArn": machine, "input": f.read()})["executionArn"]
            deadline = time.monotonic() + 30
            while True:
                described = sfn_call(endpoint, "DescribeExecution", {"executionArn": execution})
                if described["status"] != "RUNNING":
                    break
                check(time.monotonic() < deadline, "the callback execution is still RUNNING after 30 s")
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=10)
    expect_output("callback", {"status": described["status"], "output": json.loads(described.get("output", "null")),
                               "error": described.get("error"), "cause": described.get("cause")},
                  load_json(os.path.join(sample, "expected.json")))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    stepflow, samples, name = sys.argv[1:]
    runners = {
        "order-pipeline": lambda: run_plain(stepflow, samples, "order-pipeline"),
        "retry-catch": lambda: run_retry_catch(stepflow, samples),
        "image-pipeline": lambda: run_image_pipeline(stepflow, samples),
        "callback": lambda: run_callback(stepflow, samples),
    }
    if name not in runners:
        sys.exit(f"unknown sample {name!r}; one of {', '.join(runners)}")
    try:
        if runners[name]() == SKIP:
            return SKIP
    except Failed as e:
        print(f"FAIL: {e}")
        return 1
    print(f"sample {name}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
