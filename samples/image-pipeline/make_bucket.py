#!/usr/bin/env python3
"""Fills the sample's local "bucket" with images drawn by Pillow, and one corrupt file.

usage: make_bucket.py [OUT_DIR]   (default: bucket/ beside this script)
Writes OUT_DIR/photos/{sunset.png, portrait.jpg, banner.png, corrupt.jpg}.
"""

import os
import sys

from PIL import Image, ImageDraw


def gradient(size, top, bottom):
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(size[1]):
        t = y / max(1, size[1] - 1)
        draw.line([(0, y), (size[0], y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    return image


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "bucket")
    photos = os.path.join(out, "photos")
    os.makedirs(photos, exist_ok=True)

    sunset = gradient((640, 480), (255, 140, 0), (80, 0, 120))
    ImageDraw.Draw(sunset).ellipse([260, 300, 380, 420], fill=(255, 220, 80))
    sunset.save(os.path.join(photos, "sunset.png"))

    portrait = gradient((300, 400), (200, 230, 255), (40, 60, 90))
    ImageDraw.Draw(portrait).ellipse([90, 80, 210, 220], fill=(240, 200, 170))
    portrait.save(os.path.join(photos, "portrait.jpg"), quality=85)

    banner = gradient((1200, 300), (20, 120, 60), (200, 255, 200))
    banner.save(os.path.join(photos, "banner.png"))

    # Named like a JPEG but an error page: Pillow cannot identify it, so Catch takes it.
    with open(os.path.join(photos, "corrupt.jpg"), "wb") as f:
        f.write(b"<html>403 Forbidden</html>\n")
    print(f"wrote 4 objects to {photos}")


if __name__ == "__main__":
    main()
