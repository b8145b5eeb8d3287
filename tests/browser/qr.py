"""Decoding the enrollment page's QR code from a screenshot, as a phone's scanner would."""

import io

import zxingcpp
from PIL import Image
from playwright.sync_api import Page


def decode_qr(page: Page) -> str:
    """The text of the one QR code on the page. The reader may report one symbol twice (seen on a
    loaded machine); two different texts, or another format, fail."""
    png = page.locator('[data-testid="qr"] svg').screenshot()
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    texts = {r.text for r in results}
    assert len(texts) == 1, f"expected one QR code in the screenshot, found {len(texts)}"
    assert all(r.format == zxingcpp.BarcodeFormat.QRCode for r in results)
    return texts.pop()
