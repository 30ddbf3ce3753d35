"""What someone holding a ``pg_dump`` of a database, and nothing else, could decrypt: every
32-byte value in the dump tried as a key on every sealed value in it."""

from __future__ import annotations

import base64
import binascii
import re
import subprocess
from collections.abc import Iterable
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from coachops.privacy.master import MasterKey
from tests.support.erasure import SEALED
from tests.support.platform import database_url

KEY_BYTES = 32
BYTEA = re.compile(r"\\\\x([0-9a-f]+)")  # a bytea value in COPY's text format
BASE64_KEY = re.compile(r"[A-Za-z0-9+/]{43}=")
HEX_KEY = re.compile(r"\b[0-9a-f]{64}\b")


def pg_dump(service: str) -> str:
    """The whole database as the real tool writes it: schema and every row."""
    return subprocess.run(["pg_dump", "--format=plain", database_url(service)], check=True,
                          capture_output=True, text=True, timeout=120).stdout


def readable(dump: str) -> str:
    """The dump with every bytea value also decoded (events are JSON stored as bytes)."""
    decoded = (binascii.unhexlify(h).decode("utf-8", "replace") for h in BYTEA.findall(dump))
    return "\n".join([dump, *decoded])


def candidate_keys(dump: str) -> set[bytes]:
    """Every 32 bytes in the dump that could be a key: each slice of every short bytea value
    (a key stored whole or inside a wrapping), and every base64 or hex text of 32 bytes."""
    found: set[bytes] = set()
    for value in (binascii.unhexlify(h) for h in BYTEA.findall(dump)):
        if len(value) <= 256:  # keys and wrapped keys; events are far longer
            found.update(value[i:i + KEY_BYTES] for i in range(len(value) - KEY_BYTES + 1))
    text = readable(dump)
    found.update(base64.b64decode(b) for b in BASE64_KEY.findall(text))
    found.update(binascii.unhexlify(h) for h in HEX_KEY.findall(text))
    return found


def sealed(dump: str, subjects: Iterable[UUID]) -> list[bytes]:
    """The ciphertexts in the dump sealed for ``subjects`` (those holding a test's markers:
    every candidate on every value of a long test session would take minutes)."""
    wanted = {str(s) for s in subjects}
    return [base64.b64decode(ct) for by, ct in SEALED.findall(readable(dump)) if by in wanted]


def opened(ciphertexts: Iterable[bytes], keys: Iterable[bytes]) -> list[str]:
    """What the keys open: AES-GCM as the store seals (nonce, tag, then the ciphertext).
    Tried with ``cryptography``'s AES-GCM, a tenth of pycryptodome's time a try: a session's
    dumps give hundreds of thousands of candidate keys."""
    texts = []
    ciphers = [AESGCM(key) for key in keys]
    for ciphertext in ciphertexts:
        nonce, tag, body = ciphertext[:12], ciphertext[12:28], ciphertext[28:]
        for cipher in ciphers:
            try:
                plain = cipher.decrypt(nonce, body + tag, None)
            except InvalidTag:
                continue
            texts.append(plain.decode("utf-8"))
            break
    return texts


def unwrapped_keys(dump: str, master: MasterKey) -> list[bytes]:
    """The data keys in the dump's ``personal_keys``, opened with the master key: what the
    dump would give away if the master key were kept with it."""
    block = re.search(r"COPY public\.personal_keys \(([^)]*)\) FROM stdin;\n((?:.*\n)*?)\\\.",
                      dump)
    if block is None:
        return []
    columns = [c.strip() for c in block.group(1).split(",")]
    keys = []
    for line in block.group(2).splitlines():
        row = dict(zip(columns, line.split("\t"), strict=True))
        if row["key"] != r"\N":
            wrapped = binascii.unhexlify(row["key"].removeprefix("\\\\x"))
            keys.append(master.unwrap(UUID(row["subject_id"]), wrapped))
    return keys
