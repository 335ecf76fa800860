"""How times and numbers are written: ISO 8601 timestamps for storage and sync,
and numbers as people write them ("3", not "3.0").

Pure, with nothing from the rest of the project, so anything may use it.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache


@lru_cache(maxsize=256)  # one turn writes the same instant several times
def iso(moment: datetime) -> str:
    """'2026-11-23T10:00:00Z': to the second, in UTC written as Z."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """The moment iso() wrote (or any ISO 8601 time, Z or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_iso_time(value) -> bool:
    """Whether `value` is text parse_iso() reads."""
    try:
        parse_iso(value)
    except (AttributeError, TypeError, ValueError):
        return False
    return True


def plain_number(number: float) -> str:
    """A number as people write it: 3.0 is '3', 2.5 is '2.5'."""
    return str(int(number)) if float(number).is_integer() else str(number)
