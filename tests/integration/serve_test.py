#!/usr/bin/env python3
"""End-to-end tests of `stepflow serve` through the real AWS CLI, the AWS SDK for
JavaScript v3, and raw hostile HTTP. Loopback only; every wait is bounded.

usage: serve_test.py STEPFLOW_BINARY SUITE   (SUITE: cli, sdk, hostile, sigv4, restart, concurrency)
"""

import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.join(HERE, "sdk")
ROLE = "arn:aws:iam::000000000000:role/stepflow"

PASS_CHAIN = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "End": True},
    },
}
LONG_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
SHORT_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "Next": "P"},
                                          "P": {"Type": "Pass", "End": True}}}
CALLBACK = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "callback",
                           "Payload": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
            "End": True,
        }
    },
}


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_for(what, fn, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure("timed out waiting for " + what)
        time.sleep(interval)


class FunctionServer:
    """A Lambda Invoke API endpoint on 127.0.0.1 that records each payload."""

    def __init__(self):
        self.payloads = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.payloads.append(json.loads(body or b"null"))
                reply = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


class Server:
    """`stepflow serve` on a free loopback port."""

    def __init__(self, binary, workdir, extra=(), db=None):
        self.log_path = os.path.join(workdir, "serve-%d.log" % time.monotonic_ns())
        self.log = open(self.log_path, "w+")
        args = [binary, "serve", "--port", "0", "--db", db or os.path.join(workdir, "stepflow.db")] + list(extra)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, cwd=workdir)
        match = wait_for("the server to listen (log: %s)" % self.log_path, self._listening, timeout=30)
        self.port = int(match.group(1))
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def _listening(self):
        if self.proc.poll() is not None:
            raise Failure("stepflow serve exited with %s:\n%s" % (self.proc.returncode, self.text()))
        # Text or JSON log format.
        return re.search(r'listening"?,?"? ?address"?[=:]"?127\.0\.0\.1:(\d+)', self.text())

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("stepflow serve did not stop within 30 s of %s" % sig)

    def post(self, target, body, content_type="application/x-amz-json-1.0", headers=None, timeout=30):
        """One raw request; returns (status, parsed JSON body or raw bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Content-Type": content_type}
        if target is not None:
            h["X-Amz-Target"] = "AWSStepFunctions." + target
        h.update(headers or {})
        conn.request("POST", "/", body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data

    def call(self, action, members):
        status, body = self.post(action, json.dumps(members))
        check(status == 200, "%s answered %s: %s" % (action, status, body))
        return body

    def get(self, path):
        with urllib.request.urlopen(self.endpoint + path, timeout=10) as r:
            return r.status, r.read().decode()


def aws_binary():
    # Debian's awscli package first: the reference client this project installs.
    return "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")


class Cli:
    def __init__(self, endpoint, workdir, key_id="test", secret="test"):
        self.endpoint = endpoint
        self.env = dict(os.environ)
        self.env.update({
            "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard",
            "AWS_CONFIG_FILE": os.path.join(workdir, "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(workdir, "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true", "HOME": workdir,
        })
        self.env.pop("AWS_SESSION_TOKEN", None)
        self.env.pop("AWS_PROFILE", None)

    def run(self, *args):
        """Returns (parsed JSON output, None) or (None, AWS error code)."""
        cmd = [aws_binary(), "stepfunctions"] + list(args) + ["--endpoint-url", self.endpoint, "--output", "json"]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=60)
        if p.returncode == 0:
            return (json.loads(p.stdout) if p.stdout.strip() else {}), None
        m = re.search(r"An error occurred \(([A-Za-z]+)\)", p.stderr)
        if not m:
            raise Failure("aws %s failed without an AWS error: %s" % (" ".join(args), p.stderr))
        return None, m.group(1)

    def has(self, command):
        p = subprocess.run([aws_binary(), "stepfunctions", command, "help"], env=self.env, capture_output=True,
                           text=True, timeout=60)
        return "Invalid choice" not in p.stderr

    def ok(self, *args):
        out, err = self.run(*args)
        check(err is None, "aws %s failed with %s" % (args[0], err))
        return out

    def error(self, expected, *args):
        out, err = self.run(*args)
        check(err == expected, "aws %s: expected %s, got %s (%s)" % (args[0], expected, err, out))


def describe_until_done(cli, arn, timeout=30):
    def done():
        d = cli.ok("describe-execution", "--execution-arn", arn)
        return d if d["status"] != "RUNNING" else None
    return wait_for("%s to finish" % arn, done, timeout=timeout)


# ---- suites

def suite_cli(binary, workdir):
    functions = FunctionServer()
    server = Server(binary, workdir, ["--lambda-endpoint", functions.url])
    try:
        cli = Cli(server.endpoint, workdir)
        definition = json.dumps(PASS_CHAIN)
        created = cli.ok("create-state-machine", "--name", "chain", "--definition", definition, "--role-arn", ROLE)
        arn = created["stateMachineArn"]
        check(arn == "arn:aws:states:us-east-1:000000000000:stateMachine:chain", arn)
        check(isinstance(created["creationDate"], (int, float)) or "creationDate" in created, created)
        again = cli.ok("create-state-machine", "--name", "chain", "--definition", definition, "--role-arn", ROLE)
        check(again["stateMachineArn"] == arn, "idempotent create")
        cli.error("StateMachineAlreadyExists", "create-state-machine", "--name", "chain",
                  "--definition", json.dumps(LONG_WAIT), "--role-arn", ROLE)
        bad = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})
        cli.error("InvalidDefinition", "create-state-machine", "--name", "bad", "--definition", bad,
                  "--role-arn", ROLE)
        cli.error("InvalidName", "create-state-machine", "--name", "bad name", "--definition", definition,
                  "--role-arn", ROLE)
        # Debian 12's awscli (2.9) predates ValidateStateMachineDefinition: then the raw call.
        if cli.has("validate-state-machine-definition"):
            validated = cli.ok("validate-state-machine-definition", "--definition", bad)
            check(cli.ok("validate-state-machine-definition", "--definition", definition)["result"] == "OK", "OK")
        else:
            validated = server.call("ValidateStateMachineDefinition", {"definition": bad})
            check(server.call("ValidateStateMachineDefinition", {"definition": definition})["result"] == "OK", "OK")
        check(validated["result"] == "FAIL", validated)
        diag = validated["diagnostics"][0]
        check(diag["severity"] == "ERROR" and diag["code"] == "MISSING_TRANSITION_TARGET"
              and diag["location"] == "/States/A/Next" and diag["message"], diag)
        described = cli.ok("describe-state-machine", "--state-machine-arn", arn)
        check(described["name"] == "chain" and json.loads(described["definition"]) == PASS_CHAIN
              and described["status"] == "ACTIVE" and described["type"] == "STANDARD", described)
        listed = cli.ok("list-state-machines")
        check([m["name"] for m in listed["stateMachines"]] == ["chain"], listed)

        # Executions: start, describe, list with pages, history in both orders.
        arns = []
        for i in range(5):
            out = cli.ok("start-execution", "--state-machine-arn", arn, "--name", "run-%d" % i,
                         "--input", json.dumps({"i": i}))
            check(out["executionArn"].endswith(":execution:chain:run-%d" % i), out)
            check("startDate" in out, out)
            arns.append(out["executionArn"])
        for i, e in enumerate(arns):
            d = describe_until_done(cli, e)
            check(d["status"] == "SUCCEEDED", d)
            check(json.loads(d["output"]) == {"i": i, "a": {"x": 1}}, d)
        cli.error("ExecutionAlreadyExists", "start-execution", "--state-machine-arn", arn, "--name", "run-0",
                  "--input", '{"i": 0}')
        paged = cli.ok("list-executions", "--state-machine-arn", arn, "--page-size", "2")
        check(sorted(x["executionArn"] for x in paged["executions"]) == sorted(arns), paged)
        first = cli.ok("list-executions", "--state-machine-arn", arn, "--max-items", "2")
        check(len(first["executions"]) == 2 and first.get("NextToken"), first)
        rest = cli.ok("list-executions", "--state-machine-arn", arn, "--starting-token", first["NextToken"])
        check(len(rest["executions"]) == 3, rest)
        check(cli.ok("list-executions", "--state-machine-arn", arn, "--status-filter", "RUNNING")["executions"] == [],
              "no running")

        history = cli.ok("get-execution-history", "--execution-arn", arns[0])["events"]
        types = [e["type"] for e in history]
        check(types == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered",
                        "PassStateExited", "ExecutionSucceeded"], types)
        check([e["id"] for e in history] == list(range(1, 7)), history)
        check(history[0]["previousEventId"] == 0 and "timestamp" in history[0], history[0])
        check(json.loads(history[0]["executionStartedEventDetails"]["input"]) == {"i": 0}, history[0])
        check(history[1]["stateEnteredEventDetails"]["name"] == "A", history[1])
        reverse = cli.ok("get-execution-history", "--execution-arn", arns[0], "--reverse-order",
                         "--page-size", "4")["events"]
        check([e["id"] for e in reverse] == list(range(6, 0, -1)), reverse)
        no_data = cli.ok("get-execution-history", "--execution-arn", arns[0], "--no-include-execution-data")["events"]
        check("input" not in no_data[0]["executionStartedEventDetails"], no_data[0])
        sm = cli.ok("describe-state-machine-for-execution", "--execution-arn", arns[0])
        check(json.loads(sm["definition"]) == PASS_CHAIN, sm)

        # Stop one.
        waits = cli.ok("create-state-machine", "--name", "waits", "--definition", json.dumps(LONG_WAIT),
                       "--role-arn", ROLE)["stateMachineArn"]
        running = cli.ok("start-execution", "--state-machine-arn", waits, "--name", "nap", "--input", "{}")["executionArn"]
        check(cli.ok("describe-execution", "--execution-arn", running)["status"] == "RUNNING", "running")
        # Idempotent while it runs, as on AWS; another input is a conflict.
        again = cli.ok("start-execution", "--state-machine-arn", waits, "--name", "nap", "--input", "{}")
        check(again["executionArn"] == running, "idempotent start")
        cli.error("ExecutionAlreadyExists", "start-execution", "--state-machine-arn", waits, "--name", "nap",
                  "--input", '{"i": 99}')
        stopped = cli.ok("stop-execution", "--execution-arn", running, "--error", "Operator", "--cause", "test")
        check("stopDate" in stopped, stopped)
        d = describe_until_done(cli, running)
        check(d["status"] == "ABORTED", d)

        # A callback task: the function receives the token, send-task-success completes it.
        callback = cli.ok("create-state-machine", "--name", "callback", "--definition", json.dumps(CALLBACK),
                          "--role-arn", ROLE)["stateMachineArn"]
        tokens = {}
        for order in ("ok", "bad"):
            e = cli.ok("start-execution", "--state-machine-arn", callback, "--name", order,
                       "--input", json.dumps({"order": order}))["executionArn"]
            payload = wait_for("the callback function to get the %s token" % order,
                               lambda: next((p for p in functions.payloads if p and p.get("order") == order), None))
            tokens[order] = (e, payload["token"])
        cli.ok("send-task-heartbeat", "--task-token", tokens["ok"][1])
        cli.ok("send-task-success", "--task-token", tokens["ok"][1], "--task-output", '{"approved": true}')
        d = describe_until_done(cli, tokens["ok"][0])
        check(d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"approved": True}, d)
        cli.ok("send-task-failure", "--task-token", tokens["bad"][1], "--error", "Rejected", "--cause", "no")
        d = describe_until_done(cli, tokens["bad"][0])
        check(d["status"] == "FAILED" and d.get("error") == "Rejected", d)
        cli.error("TaskTimedOut", "send-task-success", "--task-token", tokens["ok"][1], "--task-output", "{}")
        cli.error("InvalidToken", "send-task-success", "--task-token", "not-a-token", "--task-output", "{}")
        cli.error("InvalidOutput", "send-task-success", "--task-token", "not-a-token", "--task-output", "{")

        # The main failure cases.
        missing = arn.replace(":chain", ":missing")
        cli.error("StateMachineDoesNotExist", "describe-state-machine", "--state-machine-arn", missing)
        cli.error("StateMachineDoesNotExist", "start-execution", "--state-machine-arn", missing)
        cli.error("ExecutionDoesNotExist", "describe-execution", "--execution-arn", arns[0] + "x")
        cli.error("InvalidArn", "describe-execution", "--execution-arn", "arn:aws:states:us-east-1:1:nope")
        cli.error("InvalidArn", "describe-state-machine", "--state-machine-arn", "not-an-arn")
        cli.error("InvalidName", "start-execution", "--state-machine-arn", arn, "--name", "a:b")
        cli.error("InvalidExecutionInput", "start-execution", "--state-machine-arn", arn, "--input", "{nope")
        # (The CLI sends start-sync-execution to host "sync-" + the endpoint's host: the SDK suite covers it.)
        status, body = server.post("StartSyncExecution", json.dumps({"stateMachineArn": arn}))
        check(status == 400 and body["__type"] == "StateMachineTypeNotSupported", body)

        # Update keeps running executions on their revision; delete removes the machine.
        cli.ok("update-state-machine", "--state-machine-arn", arn, "--definition", json.dumps(SHORT_WAIT))
        check(json.loads(cli.ok("describe-state-machine", "--state-machine-arn", arn)["definition"]) == SHORT_WAIT,
              "updated")
        check(json.loads(cli.ok("describe-state-machine-for-execution", "--execution-arn", arns[0])["definition"])
              == PASS_CHAIN, "execution keeps its revision")
        cli.ok("delete-state-machine", "--state-machine-arn", arn)
        cli.error("StateMachineDoesNotExist", "describe-state-machine", "--state-machine-arn", arn)

        # Metrics saw it all.
        status, metrics = server.get("/metrics")
        check(status == 200, "metrics")
        check('stepflow_executions_started_total{state_machine="chain"} 5' in metrics, metrics)
        check('stepflow_executions_finished_total{state_machine="chain",status="SUCCEEDED"} 5' in metrics, metrics)
        check('stepflow_executions_finished_total{state_machine="callback",status="FAILED"} 1' in metrics, metrics)
        check(re.search(r"^stepflow_state_transitions_total [1-9]", metrics, re.M), metrics)
        check("stepflow_storage_commit_seconds_bucket" in metrics, metrics)
        check(re.search(r"^stepflow_sqlite_transactions_total [1-9]", metrics, re.M), metrics)
        check('stepflow_sqlite_wal_checkpoints_total{by="writer"} 0' in metrics, metrics)
        check(server.get("/healthz")[0] == 200, "healthz")
        check(server.stop() == 0, "exit status 0 after SIGTERM")
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)
        functions.close()


def suite_sdk(binary, workdir):
    if not os.path.isdir(os.path.join(SDK_DIR, "node_modules", "@aws-sdk", "client-sfn")):
        raise Failure("the AWS SDK for JavaScript is not installed: run tests/setup.sh "
                      "(npm ci in tests/integration/sdk)")
    server = Server(binary, workdir, db=":memory:")
    try:
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
                   HOME=workdir, AWS_CONFIG_FILE=os.path.join(workdir, "none"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(workdir, "none"))
        p = subprocess.run(["node", os.path.join(SDK_DIR, "sfn_sdk_test.mjs"), server.endpoint,
                            json.dumps(PASS_CHAIN), json.dumps(LONG_WAIT)],
                           env=env, capture_output=True, text=True, timeout=120)
        sys.stdout.write(p.stdout)
        check(p.returncode == 0, "the SDK test failed:\n" + p.stdout + p.stderr)
    finally:
        server.stop()


def suite_hostile(binary, workdir):
    server = Server(binary, workdir, db=":memory:")
    try:
        def alive():
            status, body = server.post("ListStateMachines", "{}")
            check(status == 200 and body == {"stateMachines": []}, "server still serving: %s %s" % (status, body))

        def expect(status_body, status, error_type, what):
            got_status, body = status_body
            check(got_status == status and isinstance(body, dict) and body.get("__type") == error_type
                  and isinstance(body.get("message"), str),
                  "%s: expected %s %s, got %s %r" % (what, status, error_type, got_status, body))
            alive()

        expect(server.post("ListStateMachines", "{}", content_type="text/plain"), 400, "SerializationException",
               "wrong content type")
        expect(server.post("ListStateMachines", '{"maxResults": 1'), 400, "SerializationException",
               "truncated JSON")
        expect(server.post("ListStateMachines", "\xff\xfe"), 400, "SerializationException", "not UTF-8")
        expect(server.post("ListStateMachines", "[" * 100000 + "]" * 100000), 400, "SerializationException",
               "deep nesting")
        expect(server.post("DropAllTables", "{}"), 400, "UnknownOperationException", "unknown action")
        expect(server.post(None, "{}"), 400, "UnknownOperationException", "no X-Amz-Target")
        expect(server.post("DescribeExecution", '{"executionArn": "arn:aws:states:us-east-1:x"}'), 400,
               "InvalidArn", "bad ARN")
        expect(server.post("DescribeExecution", '{"executionArn": 42}'), 400, "SerializationException",
               "ARN of the wrong type")
        expect(server.post("StartExecution", "{}"), 400, "ValidationException", "missing member")
        expect(server.post("DescribeExecution", json.dumps({"executionArn": "a" * 5000})), 400,
               "ValidationException", "overlong ARN")

        # 100 MB announced: refused from the headers, before the body is read.
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
                  b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 104857600\r\n\r\n" + b"{" * 65536)
        raw = b""
        try:
            while b"\r\n\r\n" not in raw or not raw.rstrip().endswith(b"}"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                raw += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        check(raw.startswith(b"HTTP/1.1 413"), "100 MB body: %r" % raw[:200])
        check(b'"__type":"ValidationException"' in raw, "100 MB body shape: %r" % raw[-300:])
        alive()

        # A 3 MB body sent in full: same answer.
        expect(server.post("ListStateMachines", "{" + " " * (3 * 1024 * 1024) + "}"), 413, "ValidationException",
               "3 MB body")

        # Garbage instead of HTTP, then a half request closed early.
        for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100, b"POST / HTTP/1.1\r\nContent-Le"):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                pass
            s.close()
            alive()
        status, _ = server.get("/healthz")
        check(status == 200, "healthz")
        check(server.stop() == 0, "exit status 0 after SIGTERM")
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)

    # `stepflow serve` runs the program stepflow-serve beside stepflow: a stepflow
    # copied without it says what is missing.
    alone = os.path.join(workdir, "alone")
    os.mkdir(alone)
    shutil.copy(binary, os.path.join(alone, "stepflow"))
    r = subprocess.run([os.path.join(alone, "stepflow"), "serve", "--port", "0"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 2 and os.path.join(alone, "stepflow-serve") in r.stderr
          and "installed beside stepflow" in r.stderr,
          "stepflow serve without stepflow-serve: exit %s, %r" % (r.returncode, r.stderr))


def suite_sigv4(binary, workdir):
    config = os.path.join(workdir, "serve.json")
    with open(config, "w") as f:
        json.dump({"region": "us-east-1", "account_id": "123456789012", "log_format": "json",
                   "access_keys": [{"access_key_id": "AKIASTEPFLOWTEST", "secret_access_key": "s3cr3t/Key+1"}]}, f)
    server = Server(binary, workdir, ["--config", config], db=":memory:")
    try:
        for line in server.text().splitlines():
            json.loads(line)  # every log line is a JSON object
        good = Cli(server.endpoint, workdir, "AKIASTEPFLOWTEST", "s3cr3t/Key+1")
        created = good.ok("create-state-machine", "--name", "signed", "--definition", json.dumps(PASS_CHAIN),
                          "--role-arn", "arn:aws:iam::123456789012:role/r")
        check(created["stateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:signed", created)
        e = good.ok("start-execution", "--state-machine-arn", created["stateMachineArn"],
                    "--input", '{"text": "with spaces & symbols ü"}')["executionArn"]
        check(describe_until_done(good, e)["status"] == "SUCCEEDED", "signed execution")
        Cli(server.endpoint, workdir, "AKIASTEPFLOWTEST", "wrong").error("InvalidSignatureException",
                                                                          "list-state-machines")
        Cli(server.endpoint, workdir, "AKIAUNKNOWN", "s3cr3t/Key+1").error("UnrecognizedClientException",
                                                                           "list-state-machines")
        status, body = server.post("ListStateMachines", "{}")
        check(status == 403 and body.get("__type") == "MissingAuthenticationTokenException", (status, body))
        status, body = server.post("ListStateMachines", "{}", headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIASTEPFLOWTEST/20200101/us-east-1/states/aws4_request, "
                             "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
            "X-Amz-Date": "20200101T000000Z"})
        check(status == 400 and body.get("__type") == "InvalidSignatureException", (status, body))
        check(len(good.ok("list-state-machines")["stateMachines"]) == 1, "still serving")
        check(server.stop() == 0, "exit status 0")
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)

    # Not on loopback and no keys: refuses to start (nothing is bound).
    p = subprocess.run([binary, "serve", "--host", "0.0.0.0", "--port", "0", "--db", ":memory:"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "refusing" in p.stderr, "non-loopback without auth: %s %s" % (p.returncode, p.stderr))

    # A config file with a typo is refused, naming the member.
    with open(config, "w") as f:
        json.dump({"regoin": "eu-west-1"}, f)
    p = subprocess.run([binary, "serve", "--port", "0", "--db", ":memory:", "--config", config],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "unknown member 'regoin'" in p.stderr, "bad config: %s %s" % (p.returncode, p.stderr))


def suite_restart(binary, workdir):
    db = os.path.join(workdir, "restart.db")
    server = Server(binary, workdir, db=db)
    try:
        cli = Cli(server.endpoint, workdir)
        four_seconds = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 4, "Next": "P"},
                                                    "P": {"Type": "Pass", "End": True}}}
        arn = cli.ok("create-state-machine", "--name", "naps", "--definition", json.dumps(four_seconds),
                     "--role-arn", ROLE)["stateMachineArn"]
        # Raw calls: quick enough that all three are still in their 4 s Wait at the SIGINT.
        started = [server.call("StartExecution", {"stateMachineArn": arn, "name": "n%d" % i,
                                                  "input": '{"n": %d}' % i})["executionArn"] for i in range(3)]
        # A request in flight at the SIGINT is answered before the server exits.
        one_second = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}
        express = server.call("CreateStateMachine", {"name": "sync-nap", "definition": json.dumps(one_second),
                                                     "roleArn": ROLE, "type": "EXPRESS"})["stateMachineArn"]
        answer = {}

        def sync_start():
            answer["reply"] = server.post("StartSyncExecution", json.dumps({"stateMachineArn": express}))

        caller = threading.Thread(target=sync_start)
        caller.start()
        time.sleep(0.5)
        check(server.stop(signal.SIGINT) == 0, "exit status 0 after SIGINT")
        caller.join(timeout=30)
        status, body = answer.get("reply", (None, None))
        check(status == 200 and body.get("status") == "SUCCEEDED", "in-flight request drained: %s %s" % (status, body))
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)
    server = Server(binary, workdir, db=db)
    try:
        check("resumed_executions=3" in server.text(), server.text())
        cli = Cli(server.endpoint, workdir)
        for i, e in enumerate(started):
            d = describe_until_done(cli, e)
            check(d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"n": i}, d)
        check(cli.ok("describe-state-machine", "--state-machine-arn", arn)["name"] == "naps", "machine persisted")
        check(server.stop() == 0, "exit status 0")
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)


def suite_concurrency(binary, workdir):
    """8 keep-alive connections start 2,000 executions at once; all of them complete."""
    server = Server(binary, workdir)
    try:
        arn = server.call("CreateStateMachine", {"name": "many", "definition": json.dumps(PASS_CHAIN),
                                                 "roleArn": ROLE})["stateMachineArn"]
        failures = []

        def starter(t):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                for i in range(250):
                    conn.request("POST", "/", body=json.dumps({"stateMachineArn": arn, "name": "c%d-%d" % (t, i)}),
                                 headers={"X-Amz-Target": "AWSStepFunctions.StartExecution",
                                          "Content-Type": "application/x-amz-json-1.0"})
                    resp = conn.getresponse()
                    body = resp.read()
                    if resp.status != 200:
                        failures.append((resp.status, body))
            except (OSError, http.client.HTTPException) as e:
                failures.append(repr(e))
            finally:
                conn.close()

        threads = [threading.Thread(target=starter, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        check(not failures, "concurrent starts failed: %s" % failures[:3])
        done = 'stepflow_executions_finished_total{state_machine="many",status="SUCCEEDED"} 2000'
        try:
            wait_for("2,000 executions to succeed", lambda: done in server.get("/metrics")[1], timeout=60)
        except Failure:
            running = server.call("ListExecutions", {"stateMachineArn": arn, "statusFilter": "RUNNING"})
            raise Failure("not all 2,000 executions succeeded; still RUNNING: %d+, metrics: %s" % (
                len(running["executions"]),
                re.findall(r"stepflow_executions_finished_total\{[^}]*\} \d+", server.get("/metrics")[1])))
        check(server.stop() == 0, "exit status 0")
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)


SUITES = {"cli": suite_cli, "sdk": suite_sdk, "hostile": suite_hostile, "sigv4": suite_sigv4,
          "restart": suite_restart, "concurrency": suite_concurrency}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SUITES:
        sys.exit(__doc__)
    binary, suite = os.path.abspath(sys.argv[1]), sys.argv[2]
    if suite in ("cli", "sigv4", "restart") and aws_binary() is None:
        sys.exit("the AWS CLI is not installed: run tests/setup.sh")
    workdir = tempfile.mkdtemp(prefix="stepflow-serve-")
    try:
        SUITES[suite](binary, workdir)
    except Failure as e:
        print("FAILED serve %s: %s" % (suite, e))
        print("workdir kept: " + workdir)
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)
    print("serve %s: 1 passed, 0 failed" % suite)


if __name__ == "__main__":
    main()
