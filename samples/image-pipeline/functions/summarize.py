"""Sums up the Map's results: thumbnails made and objects that failed."""


def lambda_handler(event, context):
    made = [r["result"] for r in event["results"] if r["ok"]]
    failed = [r["result"] for r in event["results"] if not r["ok"]]
    return {
        "thumbnailDir": event["thumbnailDir"],
        "thumbnailCount": len(made),
        "thumbnails": [{"path": t["thumbnail"], "width": t["width"], "height": t["height"]} for t in made],
        # The messages (with paths) are in the dead-letter file.
        "failures": [{"key": f["bucket"] + "/" + f["key"], "error": f["error"]} for f in failed],
        "deadLetters": failed[0]["recordedIn"] if failed else None,
    }
