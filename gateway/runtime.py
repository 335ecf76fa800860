"""What an app loads once at start: flows, safeguarding rules, keys and catalogs.

Kept on `app.extensions["gateway"]` so views and commands share one copy.
Loading only reads: the database is changed by `gateway init` and `gateway
migrate`, never by starting the gateway.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml
from flask import current_app

from flows.engine import Context
from flows.loader import FlowError, load_library
from flows.model import Flow
from flows.safeguarding import SafeguardingRules, load_rules
from gateway import store
from gateway.config import ConfigError, flow_directories, pseudonym_key_file
from gateway.db import BUSY_TIMEOUT_SECONDS, GatewayDatabase
from gateway.i18n import load_catalogs, translator_for
from gateway.privacy import read_key

# How long a running gateway may go on using a pseudonym key after its file was
# replaced. Whatever is kept with a key checks the file again inside its write
# transaction (gateway.pseudonyms), so nothing is kept under an old key.
KEY_CHECK_SECONDS = 1.0


@dataclass
class Runtime:
    config: dict
    flows: dict[str, Flow]
    rules: SafeguardingRules
    catalogs: dict
    site_id: str
    key_file: Path  # the organisation's pseudonym key: replaced at enrolment
    # The one clock the web views use; tests put a fake one here.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _key: tuple[int, bytes | None] = field(default=(-1, None), repr=False)
    _key_checked: float = field(default=-KEY_CHECK_SECONDS, repr=False)

    @property
    def pseudonym_key(self) -> bytes | None:
        """Read again when the file changes: enrolling a site replaces the key
        under a server that is already running. Looked at once a second at
        most, not on every text."""
        now = time.monotonic()
        if now - self._key_checked < KEY_CHECK_SECONDS:
            return self._key[1]
        self._key_checked = now
        try:
            stamp = self.key_file.stat().st_mtime_ns
        except OSError:
            return self._key[1]
        if stamp != self._key[0]:
            self._key = (stamp, read_key(self.key_file))
        return self._key[1]

    def context(self, language: str) -> Context:
        return Context(translate=self.translate(language), rules=self.rules)

    def translate(self, language: str):
        return translator_for(self.catalogs, language)

    def flow(self, flow_id: str | None = None) -> Flow:
        flow_id = flow_id or self.config["DEFAULT_FLOW"]
        if flow_id not in self.flows:
            known = ", ".join(sorted(self.flows))
            raise KeyError(f"no flow called '{flow_id}' (flows here: {known})")
        return self.flows[flow_id]


def load_runtime(config: dict) -> Runtime:
    """Read what the gateway needs; refuse clearly if the install is not set up."""
    database = Path(config["DATABASE"])
    if not database.exists():
        raise ConfigError(
            f"There is no database at {database}. Run `gateway init` first."
        )
    site_id = _read_site_id(database)
    if site_id is None:
        raise ConfigError("This install has no site id. Run `gateway init` first.")
    try:
        flows = load_library(flow_directories(config))
    except FlowError as error:
        raise ConfigError(
            f"Some flow files have errors, so the gateway will not start:\n{error}"
        ) from None
    if config["DEFAULT_FLOW"] not in flows:
        raise ConfigError(
            f"GATEWAY_DEFAULT_FLOW is '{config['DEFAULT_FLOW']}', but there is no "
            f"such flow. Flows here: {', '.join(sorted(flows))}."
        )
    return Runtime(
        config=config,
        flows=flows,
        rules=_safeguarding_rules(config["SAFEGUARDING_RULES"]),
        catalogs=load_catalogs(),
        site_id=site_id,
        key_file=pseudonym_key_file(config["INSTANCE_PATH"]),
    )


def _safeguarding_rules(path) -> SafeguardingRules:
    try:
        return load_rules(path)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise ConfigError(
            f"The safeguarding rules in {path} cannot be used, so the gateway "
            f"will not start: {error}"
        ) from None


def _read_site_id(database: Path) -> str | None:
    # Not gateway.db.connect, which sets the journal mode; and query_only, so a
    # write here would be refused by SQLite rather than made.
    db = GatewayDatabase(sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS))
    try:
        db.execute("PRAGMA query_only = ON")
        if "meta" not in db.table_names():
            return None
        return store.core.get_meta(db, "site_id")
    finally:
        db.close()


def current_runtime() -> Runtime:
    return current_app.extensions["gateway"]
