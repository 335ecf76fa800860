"""Small numbers: which counts to hide, by NHS England's rules for FFT data.

Everything members see, and everything published beyond staff, hides a
count small enough to pick a person out. The rules, with the threshold
GATEWAY_SMALL_NUMBERS_BELOW (5):

1. A row with 1 to 4 responses has its counts and its percentages hidden.
   A row with none is not hidden: there is no one to pick out.
2. Among rows of the same parent (sites of the organisation, wards of a
   site), when the smallest is hidden by rule 1, the next smallest has its
   counts hidden too, so the first cannot be worked out by subtracting the
   others from the parent's total. Its percentages stay.
3. When a parent's counts are hidden, so are its two smallest children's.

"Smallest" counts only rows with responses, ordered by their total and then
by name, so ties always fall the same way. This module is pure: callers
pass totals and get back what to hide; `STAR` is what stands in its place.
Staff-only exports and the statutory return are exact and never call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STAR = "*"


@dataclass(frozen=True)
class Hidden:
    """What of one row to show as STAR."""

    counts: bool = False
    percentages: bool = False

    @property
    def anything(self) -> bool:
        return self.counts or self.percentages


SHOWN = Hidden()
ALL_HIDDEN = Hidden(counts=True, percentages=True)
COUNTS_HIDDEN = Hidden(counts=True)


def too_few(total: int, threshold: int) -> bool:
    """Rule 1: 1 to threshold - 1 responses."""
    return 0 < total < threshold


def among_siblings(
    totals: Mapping[str, int], threshold: int, parent_hidden: bool = False
) -> dict[str, Hidden]:
    """What to hide of each row of one parent, by name (rules 1 to 3).

    `parent_hidden`: whether the parent row's counts are hidden."""
    hidden = {
        name: ALL_HIDDEN if too_few(total, threshold) else SHOWN
        for name, total in totals.items()
    }
    smallest = sorted(
        (name for name, total in totals.items() if total > 0),
        key=lambda name: (totals[name], name),
    )
    if len(smallest) >= 2 and hidden[smallest[0]].anything:  # rule 2
        second = smallest[1]
        if not hidden[second].anything:
            hidden[second] = COUNTS_HIDDEN
    if parent_hidden:  # rule 3
        for name in smallest[:2]:
            if not hidden[name].anything:
                hidden[name] = COUNTS_HIDDEN
    return hidden


def for_one(total: int, threshold: int) -> Hidden:
    """What to hide of a row with no siblings (the organisation's own)."""
    return ALL_HIDDEN if too_few(total, threshold) else SHOWN


def either(one: Hidden, other: Hidden) -> Hidden:
    """Hidden wherever either says so: two views of the same figure."""
    return Hidden(one.counts or other.counts, one.percentages or other.percentages)
