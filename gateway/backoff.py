"""How long to wait before trying again: for the outbox (Twilio) and for sync
(the board). One rule for both: full jitter, capped, and Retry-After heeded.
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from email.utils import parsedate_to_datetime

RETRY_AFTER_LIMIT_SECONDS = 3600.0  # a server's Retry-After is not a command
_JITTER = random.SystemRandom()


def backoff_seconds(
    failures: int,
    cap: float,
    retry_after: float | None,
    *,
    first: float = 5.0,
    rng: random.Random = _JITTER,
) -> float:
    """The wait after `failures` failures in a row (1 for the first): a random
    wait up to a ceiling that doubles from `first` to `cap` (full jitter, so
    many clients do not all come back at once), and at least a second so a
    retry never spins. Never sooner than Retry-After, which is trusted up to
    an hour, or the cap if that is longer."""
    doublings = min(max(failures - 1, 0), 30)  # 2**30 is far past any cap
    ceiling = min(cap, first * 2**doublings)
    delay = rng.uniform(min(1.0, ceiling), ceiling)
    if retry_after is not None and math.isfinite(retry_after):
        delay = max(delay, min(retry_after, max(cap, RETRY_AFTER_LIMIT_SECONDS)))
    return delay


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header as seconds from now: it may be a number of seconds
    or an HTTP date. None when it is missing or makes no sense."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(value)
        return max(0.0, (moment - datetime.now(tz=None).astimezone()).total_seconds())
    except (TypeError, ValueError):
        return None
