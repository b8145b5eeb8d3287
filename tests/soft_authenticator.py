"""A software WebAuthn authenticator for the service tests (never used by the product).

It builds registration ("none" attestation) and assertion responses as a browser would send them,
from an EC P-256 key, with a sign counter the test controls. The encoding follows the WebAuthn
spec independently of py_webauthn (cbor2 for the CBOR), so the product's verification is checked
against responses it did not make.
"""

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, *, rp_id: str = "testserver", origin: str = "http://testserver"):
        self.rp_id, self.origin = rp_id, origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: bytes, origin: str | None = None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": b64url(challenge),
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def register(self, options_json: str, *, origin: str | None = None) -> str:
        options = json.loads(options_json)
        challenge = unb64url(options["challenge"])
        rp_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth_data = rp_hash + bytes([UP | UV | AT]) + struct.pack(">I", 0) + attested
        auth_data += self._cose_key()
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(
                        self._client_data("webauthn.create", challenge, origin)
                    ),
                    "attestationObject": b64url(attestation),
                    "transports": ["internal", "bogus"],
                },
            }
        )

    def assert_(
        self, options_json: str, *, sign_count: int | None = None, tamper: bool = False
    ) -> str:
        """An assertion; the counter grows by one unless `sign_count` is given."""
        options = json.loads(options_json)
        challenge = unb64url(options["challenge"])
        if sign_count is None:
            self.sign_count += 1
            sign_count = self.sign_count
        rp_hash = hashlib.sha256(options["rpId"].encode()).digest()
        auth_data = rp_hash + bytes([UP | UV]) + struct.pack(">I", sign_count)
        client_data = self._client_data("webauthn.get", challenge)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if tamper:
            signature = self.key.sign(signed + b"x", ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                },
            }
        )
