"""Asks for an approval and answers the waiting task later, from another thread.

The function returns at once; the execution stays in RequestApproval until
someone calls SendTaskSuccess with the task token. Here a background thread
plays the approver: after `approveAfterSeconds` it calls the Step Functions API
(stepflow serve) at $AWS_ENDPOINT_URL_SFN, the variable the AWS SDKs read for
the Step Functions endpoint.
"""

import json
import os
import threading
import time
import urllib.request

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:8083")


def send_task_success(token, output):
    request = urllib.request.Request(
        ENDPOINT.rstrip("/") + "/",
        data=json.dumps({"taskToken": token, "output": json.dumps(output)}).encode(),
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": "AWSStepFunctions.SendTaskSuccess"},
        method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def approve_later(token, order_id, delay):
    time.sleep(delay)
    try:
        send_task_success(token, {"approved": True, "approver": "approvals-bot", "orderId": order_id})
        print(f"approved {order_id}", flush=True)
    except Exception as e:  # a thread's failure is only visible in the host's log
        print(f"could not approve {order_id}: {e}", flush=True)


def lambda_handler(event, context):
    threading.Thread(target=approve_later,
                     args=(event["taskToken"], event["orderId"], event.get("approveAfterSeconds", 1)),
                     daemon=True).start()
    return {"requested": True}
