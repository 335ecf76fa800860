"""What a setting is, and how each kind of value is read and checked.

A parser takes the environment variable's text and returns the value, or
raises ValueError saying in plain words what is allowed (load_config turns
it into a ConfigError naming the variable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    env: str  # the environment variable
    key: str  # the Flask config key
    default: object
    help: str
    parse: Callable[[str], object] = str
    secret: bool = False
    empty_allowed: bool = False  # an empty value means "none", not the default


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def minutes_in_a_day(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 24 * 60:
        raise ValueError("must be from 1 to 1440 (a day)")
    return value


def between(low: int, high: int, unit: str):
    def read(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high} {unit}")
        return value

    return read


def flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("use 1 or 0")


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be more than 0")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def at_least_20(text: str) -> int:
    value = int(text)
    if value < 20:
        raise ValueError("must be 20 or more, so that people have time to answer")
    return value


def a_role(text: str) -> str:
    if text not in ("site", "board", "both"):
        raise ValueError("use site, board or both")
    return text


def time_zone(text: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a time zone name, such as Europe/London") from None
    return text


def hours_span(text: str) -> str:
    """'21:00-09:00': checked here, read by gateway.sms.quiet_hours."""
    from gateway.sms.quiet_hours import parse_span

    parse_span(text)
    return text


FFT_MODE_NAMES = (
    "Mode SMS",
    "Mode Electronic Discharge",
    "Mode Electronic Home",
    "Mode Paper Discharge",
    "Mode Paper Home",
    "Mode Telephone",
    "Mode Online",
    "Mode Other",
)


def channel_modes(text: str) -> dict[str, str]:
    """channel=FFT mode pairs, such as "sms=Mode SMS,kiosk=Mode Online"."""
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        channel, _, mode = (p.strip() for p in part.partition("="))
        if not channel or mode not in FFT_MODE_NAMES:
            raise ValueError(
                "use channel=mode pairs, with modes from: " + ", ".join(FFT_MODE_NAMES)
            )
        found[channel.lower()] = mode
    return found
