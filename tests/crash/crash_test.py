#!/usr/bin/env python3
"""Kills a real `stepflow resume` process with SIGKILL at random moments and restarts it.

A few hundred executions mix Wait, Parallel, Map, Retry and Lambda tasks (served by a
function server on 127.0.0.1). In the end each must have finished with the output of a
crash-free run of the same executions, with contiguous history ids, the same events as
the crash-free run (no event lost or doubled), and no Wait that ended early.
"""
import collections
import http.server
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

EXECUTIONS = int(os.environ.get("CRASH_EXECUTIONS", "200"))
MAX_KILLS = int(os.environ.get("CRASH_KILLS", "8"))

DEFINITION = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "items.$": "States.ArrayRange(1, 3, 1)"},
                    "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Both"},
        "Both": {
            "Type": "Parallel", "ResultPath": "$.both", "Next": "Each",
            "Branches": [
                {"StartAt": "Echo", "States": {"Echo": {
                    "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:echo",
                    "Parameters": {"n.$": "$.n"}, "End": True}}},
                {"StartAt": "Rest", "States": {
                    "Rest": {"Type": "Wait", "Seconds": 2, "Next": "Flaky"},
                    "Flaky": {
                        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:flaky",
                        "Parameters": {"n.$": "$.n", "attempt.$": "$$.State.RetryCount"},
                        "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 3,
                                   "BackoffRate": 1}],
                        "End": True}}},
            ]},
        "Each": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.each",
            "ItemSelector": {"i.$": "$$.Map.Item.Value", "n.$": "$.n"},
            "ItemProcessor": {"StartAt": "Square", "States": {
                "Square": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:square",
                           "Next": "Breathe"},
                "Breathe": {"Type": "Wait", "Seconds": 1, "End": True}}},
            "End": True},
    },
}


class Functions(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        name = self.path.split("/")[3]
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        headers = {}
        if name == "echo":
            result = {"echo": event["n"]}
        elif name == "flaky" and event["attempt"] < 2:
            headers["X-Amz-Function-Error"] = "Unhandled"
            result = {"errorType": "Transient", "errorMessage": "try again"}
        elif name == "flaky":
            result = {"flaky": event["n"], "attempt": event["attempt"]}
        else:
            result = event["i"] * event["i"] + event["n"]
        body = json.dumps(result).encode()
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FunctionServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # every execution may connect at once

    def handle_error(self, request, client_address):
        pass  # a killed stepflow drops its connections mid-request


def start_executions(stepflow, db, definition):
    for n in range(EXECUTIONS):
        subprocess.run([stepflow, "start", definition, "--db", db, "--name", "e%03d" % n,
                        "--input", json.dumps({"n": n})], check=True, stdout=subprocess.DEVNULL)


def read_db(db):
    conn = sqlite3.connect(db)
    executions = {}
    for eid, name, status, output in conn.execute("SELECT id, name, status, output FROM executions"):
        events = conn.execute("SELECT id, previous_event_id, timestamp_ns, type, details FROM history_events "
                              "WHERE execution_id = ? ORDER BY id", (eid,)).fetchall()
        executions[name] = (status, output, events)
    conn.close()
    return executions


def check_history(name, events):
    ids = [e[0] for e in events]
    assert ids == list(range(1, len(ids) + 1)), "%s: history ids are not contiguous: %s" % (name, ids)
    by_id = {e[0]: e for e in events}
    waits = {"Nap": 1, "Rest": 2, "Breathe": 1}
    for eid, prev, ts, etype, details in events:
        if etype != "WaitStateExited":
            continue
        entered = by_id[prev]
        assert entered[3] == "WaitStateEntered", "%s: event %d follows %s" % (name, eid, entered[3])
        state = json.loads(details)["stateExitedEventDetails"]["name"]
        waited = (ts - entered[2]) / 1e9
        assert waited >= waits[state], "%s: Wait %s ended after %.3f s, before its %d s" % (
            name, state, waited, waits[state])


def main():
    stepflow = sys.argv[1]
    server = FunctionServer(("127.0.0.1", 0), Functions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    rng = random.Random(int(os.environ.get("CRASH_SEED", "0")) or None)
    with tempfile.TemporaryDirectory() as tmp:
        definition = os.path.join(tmp, "crashy.asl.json")
        with open(definition, "w") as f:
            json.dump(DEFINITION, f)
        reference, crashed = os.path.join(tmp, "reference.db"), os.path.join(tmp, "crashed.db")
        start_executions(stepflow, reference, definition)
        start_executions(stepflow, crashed, definition)

        t0 = time.time()
        subprocess.run([stepflow, "resume", "--db", reference, "--lambda-endpoint", endpoint], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        print("crash-free run: %.1f s" % (time.time() - t0))

        kills, runs = 0, 0
        deadline = time.time() + 150
        while True:
            assert time.time() < deadline, "the crashed database did not finish in time"
            runs += 1
            proc = subprocess.Popen([stepflow, "resume", "--db", crashed, "--lambda-endpoint", endpoint],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if kills < MAX_KILLS:
                try:
                    proc.wait(timeout=rng.uniform(0.05, 1.2))
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    continue
            else:
                proc.wait(timeout=120)
            err = proc.stderr.read().decode()
            assert proc.returncode == 0, "stepflow resume failed (%d): %s" % (proc.returncode, err)
            break

        ref, got = read_db(reference), read_db(crashed)
        assert len(ref) == len(got) == EXECUTIONS, (len(ref), len(got))
        for name, (status, output, events) in sorted(got.items()):
            ref_status, ref_output, ref_events = ref[name]
            assert ref_status == "SUCCEEDED", "%s: the crash-free run ended %s" % (name, ref_status)
            assert status == "SUCCEEDED", "%s: ended %s" % (name, status)
            assert json.loads(output) == json.loads(ref_output), "%s: output %s, crash-free %s" % (
                name, output, ref_output)
            check_history(name, events)
            check_history(name, ref_events)
            types = collections.Counter(e[3] for e in events)
            ref_types = collections.Counter(e[3] for e in ref_events)
            assert types == ref_types, "%s: events differ from the crash-free run: %s" % (
                name, (types - ref_types) + (ref_types - types))
        print("crash test: %d executions survived %d SIGKILLs over %d runs of stepflow resume" % (
            EXECUTIONS, kills, runs))
    server.shutdown()


if __name__ == "__main__":
    main()
