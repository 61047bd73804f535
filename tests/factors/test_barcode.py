"""QR rendering of key URIs: the right image formats, deterministic, one image per URI."""

from __future__ import annotations

import struct
from typing import Literal

import pytest

from twofold.factors.barcode import render_barcode

URI = (
    "otpauth://totp/Acme:jane%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    "&issuer=Acme&algorithm=SHA1&digits=6&period=30"
)
OTHER_URI = URI.replace("jane", "john")


def test_svg_is_an_svg_document() -> None:
    image = render_barcode(URI, fmt="svg")

    assert image.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<svg ')
    assert image.rstrip().endswith(b"</svg>")


def test_png_has_the_png_signature_and_a_square_image() -> None:
    image = render_barcode(URI, fmt="png")

    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert image[12:16] == b"IHDR"
    width, height = struct.unpack(">II", image[16:24])
    assert width == height
    # These 124 bytes need version 8 (49 modules) at level M (6 at L, 9 at Q, 11 at H);
    # plus 4-module borders, at 5 px per module.
    assert width == (49 + 2 * 4) * 5


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_same_uri_same_image_other_uri_other_image(fmt: Literal["svg", "png"]) -> None:
    assert render_barcode(URI, fmt=fmt) == render_barcode(URI, fmt=fmt)
    assert render_barcode(URI, fmt=fmt) != render_barcode(OTHER_URI, fmt=fmt)
