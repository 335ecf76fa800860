"""Quiet hours: the local times when ordinary messages wait until morning."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SPAN = re.compile(r"^\d{2}:\d{2}\s*-\s*\d{2}:\d{2}$")


def parse_span(text: str) -> tuple[time, time] | None:
    """'21:00-09:00' as (start, end); an empty text means no quiet hours."""
    if not text.strip():
        return None
    if not SPAN.match(text.strip()):
        raise ValueError("write it as HH:MM-HH:MM, such as 21:00-09:00")
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError("write it as HH:MM-HH:MM, such as 21:00-09:00") from None
    if start == end:
        raise ValueError("start and end are the same")
    return start, end


def quiet_until(now: datetime, span: str, zone: str) -> datetime | None:
    """When quiet hours end, if `now` (aware) falls inside them; else None."""
    bounds = parse_span(span)
    if bounds is None:
        return None
    start, end = bounds
    local = now.astimezone(ZoneInfo(zone))
    clock = local.time()
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    ending = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ending <= local:
        ending += timedelta(days=1)
    return ending.astimezone(now.tzinfo)
