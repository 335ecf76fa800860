"""UUIDv7 ids: valid, unique, and sorting in the order they were made."""

from __future__ import annotations

import threading
import uuid

from gateway.ids import UuidV7Generator, uuid7


def test_ids_are_version_7_with_the_rfc_variant():
    parsed = uuid.UUID(uuid7())
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ids_carry_their_millisecond():
    uuid7 = UuidV7Generator()
    made = uuid7(now_ms=1_795_000_000_123)
    assert int(made.replace("-", "")[:12], 16) == 1_795_000_000_123


def test_ids_made_in_one_millisecond_still_sort_in_order():
    uuid7 = UuidV7Generator()
    ids = [uuid7(now_ms=1_800_000_000_000) for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_a_clock_that_steps_back_does_not_break_the_order():
    uuid7 = UuidV7Generator()
    first = uuid7(now_ms=1_900_000_000_000)
    second = uuid7(now_ms=1_899_999_999_000)
    assert second > first


def test_ids_from_many_threads_are_unique():
    made: list[str] = []

    def make() -> None:
        made.extend(uuid7() for _ in range(2000))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8000
