"""An RFC 6238 TOTP written from the RFC, independent of the product's (pyotp-based) code."""

import base64
import hashlib
import hmac
import struct


def totp(secret_b32: str, unix_time: float, *, digits: int = 6, step: int = 30) -> str:
    key = base64.b32decode(
        secret_b32.replace(" ", "").upper() + "=" * (-len(secret_b32.replace(" ", "")) % 8)
    )
    counter = struct.pack(">Q", int(unix_time) // step)
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)
