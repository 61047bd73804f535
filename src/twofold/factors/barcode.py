"""QR images of otpauth key URIs, for authenticator apps to scan (rendered with segno)."""

from __future__ import annotations

import io
from typing import Literal

import segno

SCALE = {"svg": 4, "png": 5}
"""Pixels (or SVG units) per module: a typical 57-module code becomes ~300 px wide."""
BORDER = 4
"""The quiet zone ISO/IEC 18004 requires, in modules."""


def render_barcode(uri: str, *, fmt: Literal["svg", "png"]) -> bytes:
    """Error correction M (15%): survives a glare or a smudge without growing the code much."""
    qr = segno.make_qr(uri, error="m", boost_error=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind=fmt, scale=SCALE[fmt], border=BORDER)
    return buffer.getvalue()
