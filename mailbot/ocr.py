"""OCR for pictures of paper: Tesseract with the Swedish language data (Debian: tesseract-ocr-swe).

`ocr_function()` gives what ParseContext.ocr expects, or None where Tesseract
or its Swedish data is not installed (the parser then keeps its clear
"unreadable attachment" message). OCR runs in the parse worker's child, and
never longer than the time it is given: at most half the per-mail limit.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
import time
from collections.abc import Callable

from parsers.scans import is_heic

logger = logging.getLogger(__name__)

TESSERACT = "tesseract"


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """Tesseract with Swedish installed (checked once per process)."""
    if shutil.which(TESSERACT) is None:
        return False
    try:
        done = subprocess.run([TESSERACT, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "swe" in done.stdout.split()


def tesseract(pages: list[bytes], seconds: float) -> str:
    """The text of `pages` (image files), page by page, within `seconds` in all; pages not reached are left out."""
    deadline = time.monotonic() + seconds
    texts: list[str] = []
    for page in map(_readable, pages):
        left = deadline - time.monotonic()
        if left < 1:
            logger.warning("OCR: out of time, %d page(s) not read", len(pages) - len(texts))
            break
        try:
            done = subprocess.run([TESSERACT, "stdin", "stdout", "-l", "swe", "--psm", "4"], input=page,
                                  capture_output=True, timeout=left, check=False)
        except subprocess.TimeoutExpired:
            logger.warning("OCR: a page took longer than %.0f s", left)
            break
        texts.append(done.stdout.decode("utf-8", "replace"))
    return "\n".join(texts)


def _readable(page: bytes) -> bytes:
    """A page Tesseract can read: a HEIC photo (an iPhone's) becomes a PNG; anything else as it is."""
    if not is_heic(page):
        return page
    import io

    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    with Image.open(io.BytesIO(page)) as image:
        image.thumbnail((4000, 4000))  # a phone's 12 megapixels are more than OCR needs
        out = io.BytesIO()
        image.convert("L").save(out, "PNG")
    return out.getvalue()


def ocr_function(max_seconds: float) -> Callable[[list[bytes]], str] | None:
    if not available():
        return None
    return functools.partial(_within, budget=max_seconds / 2)


def _within(pages: list[bytes], budget: float) -> str:
    return tesseract(pages, budget)
