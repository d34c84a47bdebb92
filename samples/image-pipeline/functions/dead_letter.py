"""Records an object that could not be processed, one JSON line per failure."""

import json
import os


def lambda_handler(event, context):
    error = event["error"]
    try:
        message = json.loads(error["Cause"])["errorMessage"]
    except (ValueError, KeyError, TypeError):
        message = error.get("Cause", "")  # not a function's error document (a timeout, a transport fault)
    record = {"bucket": event["bucket"], "key": event["key"], "error": error["Error"], "message": message}
    os.makedirs(event["deadLetterDir"], exist_ok=True)
    path = os.path.join(event["deadLetterDir"], "dead-letters.jsonl")
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")
    return dict(record, recordedIn=path)
