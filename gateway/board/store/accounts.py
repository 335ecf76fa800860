"""The people who use the board: accounts, the sites each may see, sign-in
failures, one-time password links, second steps and the board's own settings.

What the rules are (how long a link lasts, when a try must wait) is decided
in `gateway.board.accounts`; here is only the SQL.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, delete, func, insert, select, update

from gateway.board.schema import (
    board_settings,
    password_links,
    sign_in_failures,
    user_sites,
    users,
)
from gateway.board.store.portable import insert_if_new, one_at_a_time

ROLES = ("admin", "staff", "member")


def add_user(
    conn: Connection,
    *,
    email: str,
    name: str,
    role: str,
    now: str,
    sites: tuple[str, ...] = (),
    password_hash: str | None = None,
) -> int:
    """A new account; its id. `sites` limits what it sees (none: every site)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user_id = conn.execute(
        insert(users).values(
            email=email.strip().lower(),
            name=name,
            role=role,
            password_hash=password_hash,
            created_at=now,
            session_version=1,
        )
    ).inserted_primary_key[0]
    set_sites(conn, user_id, sites)
    return user_id


def set_sites(conn: Connection, user_id: int, sites: tuple[str, ...]) -> None:
    conn.execute(delete(user_sites).where(user_sites.c.user_id == user_id))
    if sites:
        conn.execute(
            insert(user_sites), [{"user_id": user_id, "site_name": s} for s in sites]
        )


def user(conn: Connection, user_id: int) -> dict | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return _with_sites(conn, dict(row)) if row else None


def user_by_email(conn: Connection, email: str) -> dict | None:
    row = (
        conn.execute(select(users).where(users.c.email == email.strip().lower()))
        .mappings()
        .first()
    )
    return _with_sites(conn, dict(row)) if row else None


def _with_sites(conn: Connection, found: dict) -> dict:
    found["sites"] = tuple(
        conn.execute(
            select(user_sites.c.site_name)
            .where(user_sites.c.user_id == found["id"])
            .order_by(user_sites.c.site_name)
        ).scalars()
    )
    return found


def list_users(conn: Connection) -> list[dict]:
    """Everyone, by name, with their sites; never a password hash or secret."""
    sites_of = defaultdict(list)
    for row in conn.execute(
        select(user_sites).order_by(user_sites.c.user_id, user_sites.c.site_name)
    ):
        sites_of[row.user_id].append(row.site_name)
    query = select(
        users.c.id,
        users.c.email,
        users.c.name,
        users.c.role,
        users.c.created_at,
        users.c.disabled_at,
        users.c.last_signed_in_at,
        users.c.password_hash.is_not(None).label("has_password"),
        users.c.totp_secret.is_not(None).label("uses_second_step"),
    ).order_by(func.lower(users.c.name), users.c.id)
    return [
        {**row, "sites": tuple(sites_of[row["id"]])}
        for row in conn.execute(query).mappings()
    ]


def set_role(conn: Connection, user_id: int, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    conn.execute(update(users).where(users.c.id == user_id).values(role=role))


def enabled_admins(conn: Connection) -> int:
    return conn.execute(
        select(func.count()).where(
            users.c.role == "admin", users.c.disabled_at.is_(None)
        )
    ).scalar_one()


def disable_user(conn: Connection, user_id: int, now: str) -> None:
    """Turned off: every session ends and no link works."""
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(disabled_at=now, session_version=users.c.session_version + 1)
    )
    retire_links(conn, user_id, now)


def enable_user(conn: Connection, user_id: int) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(disabled_at=None))


def record_sign_in(conn: Connection, user_id: int, now: str) -> None:
    conn.execute(
        update(users).where(users.c.id == user_id).values(last_signed_in_at=now)
    )


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    """A new password also ends every session signed in before it."""
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(
            password_hash=password_hash, session_version=users.c.session_version + 1
        )
    )


# One-time links to set a password -----------------------------------------------


def add_password_link(
    conn: Connection, *, user_id: int, token_hash: str, now: str, expires_at: str
) -> None:
    """A new link; any older link of the account's stops working."""
    retire_links(conn, user_id, now)
    conn.execute(
        insert(password_links).values(
            token_hash=token_hash,
            user_id=user_id,
            expires_at=expires_at,
            created_at=now,
        )
    )


def retire_links(conn: Connection, user_id: int, now: str) -> None:
    conn.execute(
        update(password_links)
        .where(password_links.c.user_id == user_id, password_links.c.used_at.is_(None))
        .values(used_at=now)
    )


def _working_link(token_hash: str, now: str):
    return (
        password_links.c.token_hash == token_hash,
        password_links.c.used_at.is_(None),
        password_links.c.expires_at > now,
    )


def link_holder(conn: Connection, token_hash: str, now: str) -> dict | None:
    """The enabled account a working (unused, unexpired) link is for."""
    user_id = conn.execute(
        select(users.c.id)
        .select_from(password_links.join(users))
        .where(*_working_link(token_hash, now), users.c.disabled_at.is_(None))
    ).scalar()
    return None if user_id is None else user(conn, user_id)


def use_password_link(conn: Connection, token_hash: str, now: str) -> dict | None:
    """The link's account, if the link worked; it never works again."""
    holder = link_holder(conn, token_hash, now)
    if holder is None:
        return None
    used = conn.execute(
        update(password_links)
        .where(*_working_link(token_hash, now))
        .values(used_at=now)
    )
    return holder if used.rowcount == 1 else None


# Sign-in failures: counted per key, in the database -------------------------------


def forget_failures(conn: Connection, before: str) -> None:
    conn.execute(
        delete(sign_in_failures).where(sign_in_failures.c.last_failed_at < before)
    )


def sign_in_failures_for(conn: Connection, keys: tuple[str, ...]) -> dict:
    """Each key's (failures, last_failed_at), or None. Tries under the same
    key take turns until the transaction ends (SQLite: IMMEDIATE; PostgreSQL:
    an advisory lock per key, as FOR UPDATE cannot lock a row not there yet,
    and in sorted order, so two tries never wait for each other's)."""
    for key in sorted(keys):
        one_at_a_time(conn, f"sign-in tries under {key}")
    rows = conn.execute(
        select(sign_in_failures)
        .where(sign_in_failures.c.key.in_(keys))
        .with_for_update()
    )
    found = {row.key: (row.failures, row.last_failed_at) for row in rows}
    return {key: found.get(key) for key in keys}


def count_failure(conn: Connection, key: str, at: str) -> None:
    table = sign_in_failures
    values = {"failures": table.c.failures + 1, "last_failed_at": at}
    changed = conn.execute(update(table).where(table.c.key == key).values(values))
    if changed.rowcount == 0 and not insert_if_new(
        conn, table, {"key": key, "failures": 1, "last_failed_at": at}
    ):
        conn.execute(update(table).where(table.c.key == key).values(values))


def uncount_failure(conn: Connection, key: str, at: str, before) -> None:
    """Take back a failure counted `at`: as it was before, if nothing else was
    counted since; else one fewer."""
    table = sign_in_failures
    as_left = (
        table.c.key == key,
        table.c.failures == (before[0] + 1 if before else 1),
        table.c.last_failed_at == at,
    )
    if before is None:
        restored = conn.execute(delete(table).where(*as_left))
    else:
        restored = conn.execute(
            update(table)
            .where(*as_left)
            .values(failures=before[0], last_failed_at=before[1])
        )
    if restored.rowcount == 0:
        conn.execute(
            update(table)
            .where(table.c.key == key, table.c.failures > 0)
            .values(failures=table.c.failures - 1)
        )


def clear_failures(conn: Connection, key: str) -> None:
    conn.execute(delete(sign_in_failures).where(sign_in_failures.c.key == key))


# The second step ------------------------------------------------------------------


def set_second_step(conn: Connection, user_id: int, secret: str | None, step) -> None:
    """Turn the second step on with `secret` (None: off); `step` is the code
    just used, so it cannot be used again."""
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(totp_secret=secret, totp_last_step=step)
    )


def use_code_step(conn: Connection, user_id: int, step: int) -> bool:
    """False if a code of this time step, or a later one, was used already."""
    used = conn.execute(
        update(users)
        .where(
            users.c.id == user_id,
            users.c.totp_secret.is_not(None),
            (users.c.totp_last_step.is_(None)) | (users.c.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return used.rowcount == 1


# The board's own settings ---------------------------------------------------------


def setting(conn: Connection, key: str, default: str | None = None) -> str | None:
    value = conn.execute(
        select(board_settings.c.value).where(board_settings.c.key == key)
    ).scalar()
    return default if value is None else value


def set_setting(conn: Connection, key: str, value: str) -> None:
    table = board_settings
    change = update(table).where(table.c.key == key).values(value=value)
    if conn.execute(change).rowcount == 0 and not insert_if_new(
        conn, table, {"key": key, "value": value}
    ):
        conn.execute(change)
