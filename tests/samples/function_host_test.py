#!/usr/bin/env python3
"""Checks samples/function_host/host.py against the Lambda Invoke API's answers.

usage: function_host_test.py SAMPLES_DIR
"""

import http.client
import json
import os
import subprocess
import sys
import tempfile

HANDLERS = {
    "echo.py": '''
def lambda_handler(event, context):
    return {"event": event, "function_name": context.function_name, "arn": context.invoked_function_arn,
            "request_id": context.aws_request_id, "remaining": context.get_remaining_time_in_millis(),
            "memory": context.memory_limit_in_mb, "version": context.function_version}
''',
    "boom.py": '''
class PaymentRejected(Exception):
    pass

def lambda_handler(event, context):
    raise PaymentRejected("no funds for " + event["who"])
''',
    "counter.py": '''
calls = 0

def lambda_handler(event, context):
    global calls
    calls += 1
    return calls
''',
    "unserializable.py": "def lambda_handler(event, context):\n    return {1, 2}\n",
    "no_handler.py": "def handler(event, context):\n    return 1\n",
    "bad_import.py": "import module_that_is_not_there\n",
}

failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def main():
    samples = sys.argv[1]
    with tempfile.TemporaryDirectory() as functions:
        for name, code in HANDLERS.items():
            with open(os.path.join(functions, name), "w") as f:
                f.write(code)
        host = subprocess.Popen([sys.executable, os.path.join(samples, "function_host", "host.py"), "--dir",
                                 functions, "--port", "0", "--quiet", "--timeout", "5"],
                                stdout=subprocess.PIPE, text=True)
        try:
            line = host.stdout.readline().strip()
            expect(line.startswith("listening on http://127.0.0.1:"), f"first line {line!r}")
            port = int(line.rsplit(":", 1)[1])
            check(port)
        finally:
            host.terminate()
            host.wait(timeout=10)
    print(f"function host: {len(failures)} checks failed" if failures else "function host: ok")
    return 1 if failures else 0


def check(port):
    # One connection for every request: the host keeps it alive (HTTP/1.1).
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def invoke(name, body):
        conn.request("POST", f"/2015-03-31/functions/{name}/invocations", body=body,
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.headers, json.loads(response.read())

    status, headers, body = invoke("echo", json.dumps({"a": [1, 2]}))
    expect(status == 200 and "X-Amz-Function-Error" not in headers, f"echo: {status} {dict(headers)}")
    expect(body["event"] == {"a": [1, 2]} and body["function_name"] == "echo", f"echo body {body}")
    expect(body["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo", f"echo arn {body['arn']}")
    expect(body["request_id"] == headers["X-Amzn-RequestId"], "context.aws_request_id is the response's request id")
    expect(0 < body["remaining"] <= 5000 and body["memory"] == "128" and body["version"] == "$LATEST",
           f"echo context {body}")

    # A qualified ARN names the same function, as Lambda accepts it.
    status, _, body = invoke("arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST", "{}")
    expect(status == 200 and body["function_name"] == "echo", f"ARN invocation: {status} {body}")

    status, headers, body = invoke("boom", json.dumps({"who": "ann"}))
    expect(status == 200 and headers.get("X-Amz-Function-Error") == "Unhandled", f"boom: {status} {dict(headers)}")
    expect(body["errorType"] == "PaymentRejected" and body["errorMessage"] == "no funds for ann",
           f"boom body {body}")
    trace = body.get("stackTrace")
    expect(isinstance(trace, list) and len(trace) == 1 and "boom.py" in trace[0] and "in lambda_handler" in trace[0],
           f"boom stackTrace holds the handler's frame only: {trace}")

    status, _, body = invoke("counter", "{}")
    status, _, body = invoke("counter", "{}")
    expect(body == 2, f"a module stays loaded between invocations: counter said {body}")

    status, headers, body = invoke("missing", "{}")
    expect(status == 404 and headers.get("x-amzn-ErrorType") == "ResourceNotFoundException", f"missing: {status}")
    expect(body == {"Type": "User",
                    "Message": "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing"},
           f"missing body {body}")

    status, headers, body = invoke("echo", "{not json")
    expect(status == 400 and headers.get("x-amzn-ErrorType") == "InvalidRequestContentException",
           f"bad JSON: {status} {body}")

    for name, error_type in [("unserializable", "Runtime.MarshalError"), ("no_handler", "Runtime.HandlerNotFound"),
                             ("bad_import", "Runtime.ImportModuleError")]:
        status, headers, body = invoke(name, "{}")
        expect(status == 200 and headers.get("X-Amz-Function-Error") == "Unhandled" and
               body["errorType"] == error_type, f"{name}: {status} {body}")


if __name__ == "__main__":
    sys.exit(main())
