"""The district's master key: the key-encryption key that wraps every data key.

The data keys (``keys``) are kept in each service's database beside the ciphertext they
open, so they are stored wrapped (AES-256-GCM, the subject's id as associated data, so a
wrapped key only opens as the key of its own row) under a key that is in no database: a
dump or a backup of every database opens nothing without it.

It comes from ``COACHOPS_MASTER_KEY_FILE`` (a file holding the key) or
``COACHOPS_MASTER_KEY`` (the key itself): 32 random bytes in base64, e.g.
``head -c 32 /dev/urandom | base64`` (read by ``coachops.settings``). Without either,
development uses ``DEV_MASTER_KEY``; in production (``COACHOPS_ENV=production``) a
missing, default or weak key stops the service at start. Each wrapped key is stored with
the id of the master key that wrapped it (``key_id``, derived from the key), so a
rotation (``coachops.privacy.rotate``) can tell what it has re-wrapped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from Crypto.Cipher import AES

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
# For development and tests only: production refuses it.
DEV_MASTER_KEY = base64.b64encode(b"coachops development master key!").decode("ascii")
# Random bytes have about 31 distinct values in 32; fewer than this is a typed or
# repeated key, not a random one.
MIN_DISTINCT_BYTES = 16


class MasterKeyError(RuntimeError):
    """The master key is missing, unreadable, weak, or not the one a key was wrapped with."""


@dataclass(frozen=True)
class MasterKey:
    secret: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        """Names the key without revealing it: stored beside each key it wraps."""
        return hmac.new(self.secret, b"coachops master key id", hashlib.sha256).hexdigest()[:16]

    def wrap(self, subject: UUID, data_key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        cipher = AES.new(self.secret, AES.MODE_GCM, nonce=nonce)
        cipher.update(subject.bytes)
        sealed, tag = cipher.encrypt_and_digest(data_key)
        return nonce + tag + sealed

    def unwrap(self, subject: UUID, wrapped: bytes) -> bytes:
        nonce, tag = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:NONCE_BYTES + TAG_BYTES]
        cipher = AES.new(self.secret, AES.MODE_GCM, nonce=nonce)
        cipher.update(subject.bytes)
        try:
            return cipher.decrypt_and_verify(wrapped[NONCE_BYTES + TAG_BYTES:], tag)
        except ValueError:
            raise MasterKeyError(f"the key of subject {subject} does not open with master key "
                                 f"{self.key_id}") from None


def parse(text: str, where: str) -> MasterKey:
    """A master key from its base64 text; ``where`` names the setting or file it came from."""
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{where} is not base64 (make one with: "
                             "head -c 32 /dev/urandom | base64)") from None
    if len(secret) != KEY_BYTES:
        raise MasterKeyError(f"{where} must be {KEY_BYTES} random bytes in base64, "
                             f"not {len(secret)}")
    if len(set(secret)) < MIN_DISTINCT_BYTES:
        raise MasterKeyError(f"{where} is too weak: use {KEY_BYTES} random bytes")
    return MasterKey(secret)


def read_file(path: str | Path, where: str) -> MasterKey:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise MasterKeyError(f"{where}: cannot read {path}: {exc.strerror}") from None
    return parse(text, f"{where} ({path})")

