"""The NHS Friends and Family Test monthly return, worked out from counts.

Pure: `build_return` takes the month's answer counts (from
gateway/board/store/fft_return.py) and gives rows for the organisation,
each site and each ward or kiosk, with NHS England's column names. The
rules are NHS England's (../docs/figures.md says them in plain words):

- Total Responses is the sum of all six answers, so Don't know is in it.
- Prop_Pos = (Very good + Good) / Total; Prop_Neg = (Poor + Very poor) /
  Total. Worked out from summed counts at every level, never averaged. No
  responses: no proportion, not 0.
- Collection modes count each channel as its GATEWAY_FFT_MODES says; any
  other channel is Mode Other.

`suppressed` applies gateway/board/suppression.py for everything shown
beyond staff; the return sent to NHS England is exact.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import TextIO
from zoneinfo import ZoneInfo

from flows.model import StepKind
from gateway.board.suppression import (
    SHOWN,
    STAR,
    Hidden,
    among_siblings,
    either,
    for_one,
)
from gateway.export import safe_cell
from gateway.setting_types import FFT_MODE_NAMES

FFT_SCALE = "friends-and-family"
ANSWERS = ("very_good", "good", "neither", "poor", "very_poor", "dont_know")
ANSWER_COLUMNS = (
    "1 Very Good",
    "2 Good",
    "3 Neither good nor poor",
    "4 Poor",
    "5 Very poor",
    "6 Dont Know",
)
ANSWERED = ("answered", "dont_know")  # answer states that count
POSITIVE = ("very_good", "good")
NEGATIVE = ("poor", "very_poor")
OTHER_MODE = "Mode Other"
NO_WARD = ""  # answers with no ward or kiosk (texts, most paper cards)
MONTH_NAMES = (  # Periodname, in NHS England's words whatever the locale
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
)
COLUMNS = (
    "Yearnumber",
    "Periodname",
    "Level",
    "Parent org code",
    "Parent name",
    "Org code",
    "Org name",
    "Site code",
    "Site name",
    "Ward name",
    *ANSWER_COLUMNS,
    "Total Responses",
    "Total Eligible",
    "Response Rate",
    "Prop_Pos",
    "Prop_Neg",
    *FFT_MODE_NAMES,
)


@dataclass(frozen=True)
class Organisation:
    """Who the return is from: the GATEWAY_FFT_* settings."""

    code: str = ""
    name: str = ""
    parent_code: str = ""
    parent_name: str = ""
    site_codes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReturnRow:
    level: str  # organisation, site or ward
    site: str = ""  # the site's name ("" for the organisation)
    ward: str = ""  # the ward or kiosk ("" for the site and organisation)
    counts: Mapping[str, int] = field(default_factory=dict)  # by answer value
    modes: Mapping[str, int] = field(default_factory=dict)  # by mode name
    hidden: Hidden = Hidden()
    exact: bool = True  # False: shown beyond staff (see `suppressed`)

    @property
    def modes_shown(self) -> bool:
        return (self.exact or self.level == "organisation") and not self.hidden.counts

    @property
    def total(self) -> int:
        return sum(self.counts.get(answer, 0) for answer in ANSWERS)

    @property
    def positive(self) -> float | None:
        return self._share(POSITIVE)

    @property
    def negative(self) -> float | None:
        return self._share(NEGATIVE)

    def _share(self, answers: tuple[str, ...]) -> float | None:
        total = self.total
        if not total:
            return None
        return sum(self.counts.get(a, 0) for a in answers) / total


@dataclass(frozen=True)
class Count:
    """One group of the month's answers, as the store counts them."""

    site: str
    ward: str | None
    channel: str
    answer: str
    count: int


def build_return(
    counts: Iterable[Count], site_names: Iterable[str], modes: Mapping[str, str]
) -> list[ReturnRow]:
    """The organisation's row, then each site's (by name), each followed by
    its wards (by name) when it has any. `site_names`: every site to show,
    with or without answers this month."""
    by_site: dict[str, dict[str, list[Count]]] = {name: {} for name in site_names}
    for count in counts:
        wards = by_site.setdefault(count.site, {})
        wards.setdefault(count.ward or NO_WARD, []).append(count)
    rows: list[ReturnRow] = []
    for site in sorted(by_site):
        wards = by_site[site]
        site_row = _summed("site", [c for cs in wards.values() for c in cs], modes)
        rows.append(replace(site_row, site=site))
        if any(ward != NO_WARD for ward in wards):
            for ward in sorted(wards):
                ward_row = _summed("ward", wards[ward], modes)
                rows.append(replace(ward_row, site=site, ward=ward))
    sites = [row for row in rows if row.level == "site"]
    organisation = ReturnRow(
        "organisation",
        counts=_sum(row.counts for row in sites),
        modes=_sum(row.modes for row in sites),
    )
    return [organisation, *rows]


def _summed(level: str, counts: list[Count], modes: Mapping[str, str]) -> ReturnRow:
    answers = dict.fromkeys(ANSWERS, 0)
    by_mode = dict.fromkeys(FFT_MODE_NAMES, 0)
    for count in counts:
        if count.answer in answers:
            answers[count.answer] += count.count
            by_mode[modes.get(count.channel, OTHER_MODE)] += count.count
    return ReturnRow(level, counts=answers, modes=by_mode)


def _sum(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def suppressed(rows: list[ReturnRow], threshold: int) -> list[ReturnRow]:
    """The rows as members and anything published may show them: each row
    says what of it to hide (gateway/board/suppression.py).

    Beyond the three rules: collection modes are shown for the organisation
    only, as NHS England publishes them (a site's modes would give away its
    wards), and proportions to whole percents, so a shown proportion cannot
    be matched to the one total that gives it."""
    organisation, *rest = rows
    org_hidden = for_one(organisation.total, threshold)
    sites = {row.site: row for row in rest if row.level == "site"}
    site_hidden = among_siblings(
        {name: row.total for name, row in sites.items()}, threshold, org_hidden.counts
    )
    ward_hidden: dict[tuple[str, str], Hidden] = {}
    for site in sites:
        wards = {r.ward: r.total for r in rest if r.level == "ward" and r.site == site}
        for ward, hidden in among_siblings(
            wards, threshold, site_hidden[site].counts
        ).items():
            ward_hidden[(site, ward)] = hidden
    shown = [replace(organisation, hidden=org_hidden, exact=False)]
    for row in rest:
        if row.level == "site":
            hidden = site_hidden[row.site]
        else:
            hidden = ward_hidden[(row.site, row.ward)]
        shown.append(replace(row, hidden=hidden, exact=False))
    return shown


def suppressed_within(
    whole: list[ReturnRow], scope: list[ReturnRow], threshold: int
) -> list[ReturnRow]:
    """`scope` (some sites' rows) as someone limited to those sites may see
    it: hidden where the whole organisation's figures hide it, or where the
    scope's own do, so seeing fewer sites never shows more. Their sum (the
    top row) hides its counts when any of its sites' are hidden, since
    taking the others away would give them."""
    in_whole = {_key(row): row.hidden for row in suppressed(whole, threshold)}
    top, *rest = suppressed(scope, threshold)
    shown = [
        replace(row, hidden=either(row.hidden, in_whole.get(_key(row), SHOWN)))
        for row in rest
    ]
    if any(row.hidden.counts for row in shown if row.level == "site"):
        top = replace(top, hidden=either(top.hidden, Hidden(counts=True)))
    return [top, *shown]


def _key(row: ReturnRow) -> tuple[str, str, str]:
    return (row.level, row.site, row.ward)


def financial_year(month: date) -> str:
    """NHS England's Yearnumber: April to March, such as 2026-27."""
    start = month.year if month.month >= 4 else month.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def csv_cells(
    row: ReturnRow, month: date, organisation: Organisation, every_site: bool = True
) -> list:
    """One row of the return's CSV, in COLUMNS order; STAR where hidden.
    Not `every_site`: the top row is the sum of some sites, not the
    organisation's, and is named so."""

    def count(value: int):
        return STAR if row.hidden.counts else value

    def share(value: float | None):
        if row.hidden.percentages:
            return STAR
        return "" if value is None else f"{value:.{4 if row.exact else 2}f}"

    def mode(name: str):
        if row.hidden.counts:
            return STAR
        return row.modes.get(name, 0) if row.modes_shown else ""

    whole = row.level != "organisation" or every_site
    return [
        financial_year(month),
        MONTH_NAMES[month.month - 1],
        row.level.title() if whole else "Your sites",
        organisation.parent_code,
        organisation.parent_name,
        organisation.code if whole else "",
        organisation.name if whole else "",
        organisation.site_codes.get(row.site, "") if row.site else "",
        row.site,
        ward_name(row),
        *(count(row.counts.get(answer, 0)) for answer in ANSWERS),
        count(row.total),
        "",  # Total Eligible: the board does not know who could have answered
        "",  # Response Rate: Total Responses / Total Eligible, so none either
        share(row.positive),
        share(row.negative),
        *(mode(name) for name in FFT_MODE_NAMES),
    ]


def ward_name(row: ReturnRow) -> str:
    if row.level != "ward":
        return ""
    return row.ward or "No ward or kiosk"


def write_csv(
    rows: list[ReturnRow],
    month: date,
    organisation: Organisation,
    out: TextIO,
    every_site: bool = True,
) -> None:
    """The return as CSV; a name that could start a spreadsheet formula is
    defused (gateway/export.py), since sites and kiosks are named by people."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        cells = csv_cells(row, month, organisation, every_site)
        writer.writerow([safe_cell(cell) for cell in cells])


def organisation_from(config: Mapping) -> Organisation:
    """The GATEWAY_FFT_* settings as an Organisation."""
    codes = {}
    for part in str(config.get("FFT_SITE_CODES") or "").split(","):
        name, _, code = part.partition("=")
        if name.strip() and code.strip():
            codes[name.strip()] = code.strip()
    return Organisation(
        code=config.get("FFT_ORG_CODE") or "",
        name=config.get("FFT_ORG_NAME") or "",
        parent_code=config.get("FFT_PARENT_CODE") or "",
        parent_name=config.get("FFT_PARENT_NAME") or "",
        site_codes=codes,
    )


def fft_steps(flows: Mapping) -> tuple[tuple[str, str], ...]:
    """(flow id, step id) of every loaded step that asks the FFT question."""
    return tuple(
        sorted(
            (flow_id, step.id)
            for flow_id, flow in flows.items()
            for step in flow.steps
            if step.kind == StepKind.SCALE and step.scale == FFT_SCALE
        )
    )


def parse_month(text: str) -> date:
    """ "2026-11" as the first day of that month; ValueError in plain words."""
    try:
        found = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValueError(
            f"'{text}' is not a month. Use the year and month, like 2026-11."
        ) from None
    if found.year < 2000:
        raise ValueError("Use a month from 2000 on, like 2026-11.")
    return found


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_bounds(month: date, zone: str) -> tuple[str, str]:
    """The month in local time (GATEWAY_TIMEZONE) as ISO UTC start and end."""

    def utc_start(day: date) -> str:
        local = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return utc_start(month), utc_start(next_month(month))
