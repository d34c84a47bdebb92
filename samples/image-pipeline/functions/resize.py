"""Makes a thumbnail of one image of the local "bucket" with Pillow.

The bucket is a directory: object KEY of bucket NAME is $BUCKET_ROOT/NAME/KEY
($BUCKET_ROOT defaults to the sample's bucket/ directory), as a function would
read it from S3.
"""

import os

from PIL import Image

BUCKET_ROOT = os.environ.get("BUCKET_ROOT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bucket"))


class SlowDown(Exception):
    """S3's throttling error: the caller should retry later."""


def lambda_handler(event, context):
    bucket, key = event["bucket"], event["key"]
    if event.get("throttled") and event.get("attempt", 0) == 0:
        raise SlowDown(f"simulated throttling of GetObject {bucket}/{key}; retry later")
    # S3 keys may hold "../"; a file path built from one must not leave its directory.
    if any(part in ("", ".", "..") for part in f"{bucket}/{key}".split("/")):
        raise ValueError(f"refusing object {bucket}/{key}: not a plain relative path")
    source = os.path.join(BUCKET_ROOT, bucket, key)
    # UnidentifiedImageError or FileNotFoundError from here become the state's error.
    with Image.open(source) as image:
        original = image.size
        image.thumbnail((event["maxSize"], event["maxSize"]))
        target = os.path.join(event["thumbnailDir"], bucket, key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        image.save(target)
        return {
            "bucket": bucket,
            "key": key,
            "thumbnail": target,
            "width": image.width,
            "height": image.height,
            "original": {"width": original[0], "height": original[1]},
        }
