"""The fallback: bill the order by invoice and say why the card was not used."""

import json


def lambda_handler(event, context):
    declined = event["declinedBecause"]
    # Cause is the failed function's error document, as Lambda returned it.
    reason = json.loads(declined["Cause"])["errorMessage"]
    return {
        "method": "invoice",
        "invoice": "INV-" + event["orderId"],
        "cardError": declined["Error"],
        "cardErrorMessage": reason,
    }
