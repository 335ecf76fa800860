"""The month's Friends and Family Test answers, counted for the return.

One grouped query: the answers to the FFT question of responses closed in
the month, by site, ward or kiosk, channel and answer. Test responses never
count; a partial response counts when the FFT question was answered. The
index answers(step_id, value, response_id) finds the answers, and each is
checked against its response by primary key.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, false, func, or_, select

from gateway.board.fft import ANSWERED, ANSWERS, Count, ReturnRow, build_return
from gateway.board.schema import answers, responses, sites


def month_return(
    conn: Connection,
    fft_steps: tuple[tuple[str, str], ...],
    bounds: tuple[str, str],
    modes: dict[str, str],
    site_names: tuple[str, ...] | None = None,
    samples: bool = False,
) -> list[ReturnRow]:
    """The month's return, exact: the organisation, each site, each ward.
    `samples`: count sample (test) responses too, as a demo does."""
    counts = month_counts(conn, fft_steps, *bounds, site_names, samples)
    return build_return(counts, sites_to_show(conn, site_names), modes)


def month_counts(
    conn: Connection,
    fft_steps: tuple[tuple[str, str], ...],
    start: str,
    end: str,
    site_names: tuple[str, ...] | None = None,
    samples: bool = False,
) -> list[Count]:
    """Counts of the answers to `fft_steps` ((flow id, step id) pairs) in
    responses closed from `start` up to `end` (ISO UTC), at these sites
    (None: every site)."""
    r, a = responses.c, answers.c
    asked = or_(
        false(),
        *(and_(r.flow_id == flow, a.step_id == step) for flow, step in fft_steps),
    )
    query = (
        select(
            sites.c.name,
            r.kiosk,
            r.channel,
            a.value,
            func.count().label("count"),
        )
        .select_from(
            answers.join(responses, r.id == a.response_id).join(
                sites, sites.c.site_id == r.site_id
            )
        )
        .where(
            a.step_id.in_(sorted({step for _, step in fft_steps}) or [""]),
            a.value.in_(ANSWERS),
            a.state.in_(ANSWERED),
            asked,
            r.closed_at >= start,
            r.closed_at < end,
        )
        .group_by(sites.c.name, r.kiosk, r.channel, a.value)
    )
    if site_names is not None:
        query = query.where(sites.c.name.in_(site_names))
    if not samples:
        query = query.where(r.is_test.is_(False))
    return [
        Count(site=name, ward=kiosk, channel=channel, answer=value, count=count)
        for name, kiosk, channel, value, count in conn.execute(query)
    ]


def sites_to_show(conn: Connection, site_names: tuple[str, ...] | None = None):
    """Every enrolled site's name (revoked ones too: they may have answers)."""
    query = select(sites.c.name).where(sites.c.site_id.is_not(None))
    if site_names is not None:
        query = query.where(sites.c.name.in_(site_names))
    return list(conn.execute(query.order_by(sites.c.name)).scalars())
