#!/usr/bin/env python3
"""Serves Python Lambda handlers over the AWS Lambda Invoke REST API.

Each module NAME.py in --dir that defines lambda_handler(event, context) is the
function NAME, invoked with POST /2015-03-31/functions/NAME/invocations. Answers
take the shapes the Lambda service and its Python runtime give, so stepflow
treats this host as it treats AWS Lambda or `sam local start-lambda`:

  200 + the handler's result as JSON;
  200 + X-Amz-Function-Error: Unhandled + {"errorMessage", "errorType",
        "requestId", "stackTrace"} when the handler raises;
  404 + x-amzn-ErrorType: ResourceNotFoundException for an unknown function;
  400 + InvalidRequestContentException for a body that is not JSON.

A module is imported on its first invocation and kept, like a warm Lambda
container: module-level state survives between invocations.
"""

import argparse
import importlib.util
import json
import os
import re
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
# Lambda's function name pattern; the name may also come as a full or partial ARN.
FUNCTION_REF = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:)?(?:[a-z]{2}(?:-gov)?-[a-z]+-\d:)?(?:\d{12}:)?"
    r"(?:function:)?([a-zA-Z0-9_.-]+)(?::(?:\$LATEST|[a-zA-Z0-9_-]+))?$")


class Context:
    """The context object the Lambda Python runtime passes to a handler."""

    def __init__(self, function_name, arn, request_id, timeout_s, memory_mb):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = str(memory_mb)
        self.aws_request_id = request_id
        self.log_group_name = "/aws/lambda/" + function_name
        self.log_stream_name = time.strftime("%Y/%m/%d") + "/[$LATEST]" + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Functions:
    """Loads handler modules from a directory on first use, once each."""

    def __init__(self, directory):
        self.directory = directory
        self.modules = {}
        self.lock = threading.Lock()

    def path(self, name):
        return os.path.join(self.directory, name + ".py")

    def exists(self, name):
        return os.path.isfile(self.path(name))

    def handler(self, name):
        """Returns lambda_handler of module `name`; raises what Lambda reports."""
        with self.lock:
            module = self.modules.get(name)
            if module is None:
                try:
                    spec = importlib.util.spec_from_file_location(name, self.path(name))
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                except Exception as e:
                    raise RuntimeFault("Runtime.ImportModuleError",
                                       f"Unable to import module '{name}': {e}") from e
                self.modules[name] = module
        handler = getattr(module, "lambda_handler", None)
        if not callable(handler):
            raise RuntimeFault("Runtime.HandlerNotFound",
                               f"Handler 'lambda_handler' missing on module '{name}'")
        return handler


class RuntimeFault(Exception):
    """A failure of the runtime rather than of the handler: Lambda names it Runtime.*."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def make_handler_class(functions, args):
    class InvokeHandler(BaseHTTPRequestHandler):
        # HTTP/1.1: keep-alive, so the engine's pooled connections are reused.
        protocol_version = "HTTP/1.1"
        server_version = "stepflow-function-host"

        def log_message(self, fmt, *log_args):
            if not args.quiet:
                super().log_message(fmt, *log_args)

        def send_json(self, status, body, headers=()):
            self.send_bytes(status, json.dumps(body).encode(), headers)

        def send_bytes(self, status, data, headers):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def send_service_error(self, status, error_type, message):
            self.send_json(status, {"Type": "User", "Message": message},
                           [("x-amzn-ErrorType", error_type), ("X-Amzn-RequestId", str(uuid.uuid4()))])

        def do_GET(self):
            self.read_body()
            self.send_service_error(404, "UnknownOperationException", "Unknown operation")

        def read_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def do_POST(self):
            raw = self.read_body()
            match = INVOKE_PATH.match(urlsplit(self.path).path)
            if not match:
                return self.send_service_error(404, "UnknownOperationException", "Unknown operation")
            ref = FUNCTION_REF.match(unquote(match.group(1)))
            name = ref.group(1) if ref else None
            arn = f"arn:aws:lambda:{args.region}:{args.account}:function:{name}"
            if name is None or not functions.exists(name):
                return self.send_service_error(404, "ResourceNotFoundException",
                                               f"Function not found: {arn if name else match.group(1)}")
            try:
                event = json.loads(raw) if raw else {}
            except ValueError as e:
                return self.send_service_error(400, "InvalidRequestContentException",
                                               f"Could not parse request body into json: {e}")
            request_id = str(uuid.uuid4())
            headers = [("X-Amzn-RequestId", request_id), ("X-Amz-Executed-Version", "$LATEST")]
            try:
                handler = functions.handler(name)
                context = Context(name, arn, request_id, args.timeout, args.memory)
                result = handler(event, context)
            except RuntimeFault as e:
                return self.send_function_error(e.error_type, str(e), [], request_id, headers)
            except Exception as e:
                # As the Python runtime reports it: the frames below the runtime's own.
                frames = traceback.extract_tb(e.__traceback__)[1:]
                return self.send_function_error(type(e).__name__, str(e), traceback.format_list(frames),
                                                request_id, headers)
            try:
                body = json.dumps(result)
            except (TypeError, ValueError) as e:
                return self.send_function_error("Runtime.MarshalError", f"Unable to marshal response: {e}", [],
                                                request_id, headers)
            self.send_bytes(200, body.encode(), headers)

        def send_function_error(self, error_type, message, stack, request_id, headers):
            self.send_json(200, {"errorMessage": message, "errorType": error_type, "requestId": request_id,
                                 "stackTrace": stack},
                           [("X-Amz-Function-Error", "Unhandled")] + headers)

    return InvokeHandler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="directory of NAME.py handler modules")
    parser.add_argument("--port", type=int, default=3001, help="0 picks a free port (default 3001)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="seconds get_remaining_time_in_millis counts down from (Lambda's default 3)")
    parser.add_argument("--memory", type=int, default=128, help="memory_limit_in_mb to report")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account", default="000000000000")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args()
    if not os.path.isdir(args.dir):
        parser.error(f"--dir {args.dir}: not a directory")
    directory = os.path.abspath(args.dir)
    # Handlers may import helper modules that sit beside them.
    sys.path.insert(0, directory)
    server = ThreadingHTTPServer((args.host, args.port), make_handler_class(Functions(directory), args))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
