"""A quote service that times out the first `failTimes` calls for each order."""

import threading

# Module state survives between invocations, as in a warm Lambda container.
_attempts = {}
_lock = threading.Lock()


class TransientError(Exception):
    """The errorType stepflow sees; the state's Retry names it."""


def lambda_handler(event, context):
    # Counted per execution too, so a second run of the sample fails again.
    key = (event.get("executionId"), event["orderId"])
    with _lock:
        _attempts[key] = _attempts.get(key, 0) + 1
        attempt = _attempts[key]
    if attempt <= event.get("failTimes", 0):
        raise TransientError(f"quote service timed out (attempt {attempt})")
    return {"amount": 42.5, "currency": "EUR", "attempts": attempt}
