"""Timestamps and numbers, written the one way everything shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from flows.formats import iso, parse_iso, plain_number


def test_a_moment_is_written_to_the_second_in_utc_and_read_back():
    moment = datetime(2026, 11, 23, 10, 0, 5, 999_999, tzinfo=UTC)
    assert iso(moment) == "2026-11-23T10:00:05Z"
    assert parse_iso("2026-11-23T10:00:05Z") == moment.replace(microsecond=0)


def test_a_time_with_an_offset_is_read_as_the_same_moment():
    written = "2026-11-23T11:00:05+01:00"
    assert parse_iso(written) == datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)
    assert parse_iso(written).utcoffset() == timedelta(hours=1)
    assert iso(parse_iso(written)) == written  # an offset that is not UTC stays
    assert iso(datetime(2026, 1, 1, tzinfo=timezone(timedelta(0)))).endswith("Z")


@pytest.mark.parametrize(
    "number, written",
    [(3, "3"), (3.0, "3"), (-2.0, "-2"), (0.0, "0"), (2.5, "2.5"), (10.25, "10.25")],
)
def test_a_number_is_written_as_people_write_it(number, written):
    assert plain_number(number) == written
