"""The one retry rule the outbox and sync share, and reading Retry-After."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from gateway.backoff import backoff_seconds, retry_after_seconds


class Extreme:
    """An rng that always draws the lowest (or the highest) wait allowed."""

    def __init__(self, highest: bool):
        self.highest = highest

    def uniform(self, low: float, high: float) -> float:
        return high if self.highest else low


def test_the_longest_wait_doubles_from_the_first_up_to_the_cap():
    waits = [
        backoff_seconds(n, 900, None, first=30, rng=Extreme(True)) for n in range(1, 8)
    ]
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    assert backoff_seconds(10**6, 900, None, rng=Extreme(True)) == 900


@pytest.mark.parametrize("cap, shortest", [(3600, 1.0), (900, 1.0), (0.5, 0.5)])
def test_a_retry_never_comes_at_once(cap, shortest):
    assert backoff_seconds(1, cap, None, rng=Extreme(False)) == shortest


@pytest.mark.parametrize(
    "retry_after, waited",
    [(120, 120), (7200, 3600), (math.inf, 1.0), (math.nan, 1.0), (-5, 1.0)],
)
def test_retry_after_is_waited_for_up_to_an_hour(retry_after, waited):
    assert backoff_seconds(1, 900, retry_after, rng=Extreme(False)) == waited


def test_a_cap_longer_than_an_hour_lets_retry_after_be_as_long():
    assert backoff_seconds(1, 7200, 5000, rng=Extreme(False)) == 5000


@pytest.mark.parametrize(
    "header, seconds",
    [("120", 120.0), ("0", 0.0), ("-3", 0.0), ("inf", None), ("", None)],
)
def test_retry_after_in_seconds(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_retry_after_as_an_http_date():
    soon = format_datetime(datetime.now(UTC) + timedelta(minutes=2), usegmt=True)
    assert 100 < retry_after_seconds(soon) <= 120
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=2), usegmt=True)
    assert retry_after_seconds(past) == 0.0
    assert retry_after_seconds("next Tuesday") is None
    assert retry_after_seconds(None) is None
