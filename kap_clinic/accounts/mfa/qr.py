"""The enrolment QR code, drawn here as SVG (the qrcode package): the secret never leaves the
server for a third-party QR service or CDN."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg


def qr_code_data_url(text: str) -> str:
    """An ``<img src>`` for ``text`` as a QR code; a data: URL, which the CSP allows for images."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
