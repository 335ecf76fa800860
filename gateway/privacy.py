"""Phone numbers: normalising to E.164 and turning them into pseudonyms.

A participant is known everywhere by HMAC-SHA256 of their E.164 number under
the organisation's key, so the same person has the same pseudonym at every
site while the number itself never leaves the site that received it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SEPARATORS = re.compile(r"[\s\-().]")


class InvalidNumber(ValueError):
    """Not a phone number we can text."""


def to_e164(number: str, default_country_code: str = "44") -> str:
    """'+44 7700 900123', '07700900123' and '0044...' all become '+447700900123'."""
    text = SEPARATORS.sub("", number or "")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = f"+{default_country_code}{text[1:]}"
    if not E164.match(text):
        raise InvalidNumber("not a phone number in international form")
    return text


def pseudonym(key: bytes, e164_number: str) -> str:
    return hmac.new(key, e164_number.encode("ascii"), hashlib.sha256).hexdigest()


def new_key() -> bytes:
    return secrets.token_bytes(32)


def write_key(path: Path, key: bytes) -> None:
    """Write a key readable by its owner only, all at once: a running server
    that reads it again never sees half a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def read_key(path: Path) -> bytes | None:
    if not path.exists():
        return None
    return bytes.fromhex(path.read_text(encoding="ascii").strip())
