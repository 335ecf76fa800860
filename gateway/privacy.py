"""Phone numbers: reading them as E.164 (with phonenumbers), and pseudonyms.

Anything that could be a phone's number is a person when they text us; a number
we text first (an invitation) must be a real one of a kind that gets texts.
Refusals say why in plain words, never with the number.

A participant is known everywhere by a pseudonym: scrypt of their E.164 number
with the organisation's key as salt. The same person has the same pseudonym at
every site, while the number itself never leaves the site that received it.
scrypt is slow and needs memory on purpose (about 0.1 s and 32 MiB a number on
one core): with the board's database and the key, trying every UK mobile
number would take more than a core-year (`benchmarks/pseudonym_cost.py`
measures it). So it is worked out once per person, in the background (see
`gateway.pseudonyms`); a site finds a returning person by the number it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import uuid
from functools import lru_cache
from pathlib import Path

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType
from phonenumbers import ValidationResult as Length

PSEUDONYM = re.compile(r"[0-9a-f]{64}")  # what pseudonym() makes: 32 bytes, hex
# scrypt's cost. Every site and the board must use the same, or one person
# would have two pseudonyms: changing it is re-keying everyone.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # 32 MiB of memory a number
SCRYPT_MAXMEM = 64 * 1024 * 1024
NEW_PERSON = "new-"  # how a first-come id starts, before its pseudonym is known
# Digits and the marks people write between them; nothing else. Letters would
# be read as a keypad's digits (0800-FLOWERS), which a named sender is not.
WRITTEN_NUMBER = re.compile(r"\(?\+?[0-9\s\-().]*[0-9][0-9\s\-().]*")  # (+44) 7700...
# Ofcom keeps 07700 900000 to 07700 900999 for drama and examples: they reach
# no one, so phonenumbers calls them invalid. Here they stand for the mobiles
# they are made to look like, so the documented examples and the tests work.
DRAMA_MOBILES = re.compile(r"\+447700900[0-9]{3}")
# FIXED_LINE_OR_MOBILE: some countries (the US, Canada) cannot tell them apart
# by the number, and most such numbers get texts; a landline fails at sending.
TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}

NOT_A_NUMBER = "not a phone number"
TOO_SHORT = "too short to be a phone number"
TOO_LONG = "too long to be a phone number"
WRONG_LENGTH = "wrong length for a phone number"
UNKNOWN_COUNTRY = "unknown country code"
NO_DEFAULT_COUNTRY = (
    "missing its country code, and GATEWAY_DEFAULT_COUNTRY_CODE is not a country code"
)
NO_SUCH_NUMBER = "no such number in its country"
CANNOT_GET_TEXTS = "not a mobile number, so it cannot get texts"
# Why each kind of number that is not a mobile cannot be invited.
NOT_TEXTABLE = {
    PhoneNumberType.FIXED_LINE: "landline, which cannot get texts",
    PhoneNumberType.TOLL_FREE: "freephone number, which cannot get texts",
    PhoneNumberType.PREMIUM_RATE: "premium rate number, which cannot get texts",
    PhoneNumberType.SHARED_COST: "shared cost number, which cannot get texts",
    PhoneNumberType.UAN: "company number, which cannot get texts",
    PhoneNumberType.VOIP: "internet phone number, which cannot get texts",
    PhoneNumberType.PERSONAL_NUMBER: "forwarding number, which cannot get texts",
    PhoneNumberType.PAGER: "pager number, which cannot get texts",
    PhoneNumberType.VOICEMAIL: "voicemail number, which cannot get texts",
}
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: UNKNOWN_COUNTRY,
    NumberParseException.TOO_SHORT_AFTER_IDD: TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: TOO_SHORT,
    NumberParseException.TOO_LONG: TOO_LONG,
}
_LENGTH_REASONS = {
    Length.INVALID_COUNTRY_CODE: UNKNOWN_COUNTRY,
    Length.TOO_SHORT: TOO_SHORT,
    Length.TOO_LONG: TOO_LONG,
    Length.INVALID_LENGTH: WRONG_LENGTH,
    # Dialled without an area code: too short for a text to find it.
    Length.IS_POSSIBLE_LOCAL_ONLY: TOO_SHORT,
}


class InvalidNumber(ValueError):
    """Not a phone number we can use. `reason` says why in plain words, and
    never holds the number, so it can be shown and logged."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# A person texts several times in a conversation, and parsing their number is
# a good share of handling a text: remember the last few thousand readings.
# A refusal is not remembered (lru_cache keeps no exceptions).
@lru_cache(maxsize=4096)
def to_e164(number: str, default_country_code: str = "44") -> str:
    """'+44 7700 900123', '07700900123', '0044...' and '447700900123' all become
    '+447700900123'. Any number that could be a phone's, landlines too: a text
    from one is from a person. Short codes and names raise InvalidNumber."""
    return _e164(_read(number, default_country_code))


def to_textable_e164(number: str, default_country_code: str = "44") -> str:
    """As to_e164, for a number we are to text first: it must be a real number
    of a kind that gets texts, or InvalidNumber says why not."""
    parsed = _read(number, default_country_code)
    if not _is_real(parsed):
        raise InvalidNumber(NO_SUCH_NUMBER)
    kind = phonenumbers.number_type(parsed)
    if kind not in TEXTABLE and not _is_drama_mobile(parsed):
        raise InvalidNumber(NOT_TEXTABLE.get(kind, CANNOT_GET_TEXTS))
    return _e164(parsed)


def region_for_country_code(country_code: str) -> str | None:
    """The region phonenumbers reads national numbers in: '44' is 'GB'. None
    when no one country has the code."""
    code = country_code.strip().removeprefix("+")
    if not re.fullmatch(r"[0-9]{1,3}", code):
        return None
    region = phonenumbers.region_code_for_country_code(int(code))
    return None if region in ("ZZ", "001") else region  # 001: +800 and the like


def _read(number: str, default_country_code: str) -> PhoneNumber:
    """The number as written, or, for digits alone such as '447700900123', with
    a + before them, whichever is a real number (else whichever could be one).
    Raises InvalidNumber with the reason the number as written is refused."""
    text = (number or "").strip()
    if not WRITTEN_NUMBER.fullmatch(text):
        raise InvalidNumber(NOT_A_NUMBER)
    if text.startswith("00"):  # the international prefix in the UK and Europe
        text = "+" + text[2:]
    region = region_for_country_code(default_country_code)
    readings: list[PhoneNumber | str] = [_parse(text, region)]
    if text[0] in "123456789":  # no + and no national 0: it may be a country code
        readings.append(_parse("+" + text, None))
    parsed = [r for r in readings if isinstance(r, PhoneNumber)]
    for reading in parsed:
        if _is_real(reading):
            return reading
    for reading in parsed:
        if phonenumbers.is_possible_number_with_reason(reading) == Length.IS_POSSIBLE:
            return reading
    first = readings[0]
    if isinstance(first, str):
        raise InvalidNumber(first)
    reason = phonenumbers.is_possible_number_with_reason(first)
    raise InvalidNumber(_LENGTH_REASONS.get(reason, NOT_A_NUMBER))


def _parse(text: str, region: str | None) -> PhoneNumber | str:
    """The parsed number, or the reason it could not be parsed."""
    if region is None and not text.startswith("+"):
        return NO_DEFAULT_COUNTRY
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as error:
        return _PARSE_REASONS.get(error.error_type, NOT_A_NUMBER)


def _is_real(parsed: PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(parsed) or _is_drama_mobile(parsed)


def _is_drama_mobile(parsed: PhoneNumber) -> bool:
    return DRAMA_MOBILES.fullmatch(_e164(parsed)) is not None


def _e164(parsed: PhoneNumber) -> str:
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_pseudonym(value: object) -> bool:
    """A participant's pseudonym as pseudonym() makes it, and nothing else."""
    return isinstance(value, str) and PSEUDONYM.fullmatch(value) is not None


def pseudonym(key: bytes, e164_number: str) -> str:
    """The person's pseudonym under the organisation's `key`. Slow on purpose:
    never call it while holding the write lock."""
    return hashlib.scrypt(
        e164_number.encode("ascii"),
        salt=key,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=SCRYPT_MAXMEM,
        dklen=32,
    ).hex()


def first_come_id() -> str:
    """An id for someone new, until their pseudonym is worked out. Random, so it
    says nothing of the number; never a pseudonym, so it is never synced."""
    return NEW_PERSON + uuid.uuid4().hex


def key_fingerprint(key: bytes) -> str:
    """Which key a pseudonym was made with, without giving the key away."""
    return hmac.new(key, b"pseudonym key fingerprint", hashlib.sha256).hexdigest()[:16]


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
