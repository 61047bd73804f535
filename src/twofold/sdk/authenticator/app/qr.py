"""Reading an enrolment QR code from an image file, offline (zxing-cpp over Pillow: the
optional `authenticator` extra, imported only when `enrol --qr` is used)."""

from __future__ import annotations

from pathlib import Path

from twofold.sdk.authenticator.app.failure import AppError


def read_qr(image: Path) -> str:
    """The text of the first QR code in the image; an AppError when there is none, the
    file is not an image, or the decoder is not installed."""
    try:
        import zxingcpp  # noqa: PLC0415 - optional extra, needed by `--qr` only
        from PIL import Image, UnidentifiedImageError  # noqa: PLC0415
    except ImportError as exc:
        raise AppError(
            "reading a QR image needs the decoder: pip install 'twofold[authenticator]'"
        ) from exc
    try:
        with Image.open(image) as picture:
            found = zxingcpp.read_barcodes(picture)
    except FileNotFoundError as exc:
        raise AppError(f"no such image: {image}") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise AppError(f"not an image: {image}") from exc
    codes = [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]
    if not codes:
        raise AppError(f"no QR code found in {image}")
    return str(codes[0])
