"""Reading the settings: from the environment, checked, with paths resolved.

What the settings are is gateway/settings.py (SETTINGS, re-exported here);
the kinds of value they take, gateway/setting_types.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gateway.setting_types import Setting
from gateway.settings import SETTINGS

__all__ = ["SETTINGS", "ConfigError", "Setting", "load_config"]


class ConfigError(Exception):
    """A setting is missing or wrong; the message says how to put it right."""


def load_config(
    environ: Mapping[str, str] | None = None, overrides: Mapping | None = None
) -> dict:
    """Settings from the environment, then `overrides` (tests), with paths resolved."""
    environ = os.environ if environ is None else environ
    config: dict = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None or (raw == "" and not setting.empty_allowed):
            config[setting.key] = setting.default
            continue
        try:
            config[setting.key] = setting.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{setting.env}={raw!r} is not valid: {error}") from None
    config.update(overrides or {})
    instance = Path(config["INSTANCE_PATH"]).resolve()
    config["INSTANCE_PATH"] = str(instance)
    if not config["DATABASE"]:
        config["DATABASE"] = str(instance / "gateway.sqlite3")
    if config["BOARD_DATABASE_URL"]:
        config["BOARD_DATABASE"] = config["BOARD_DATABASE_URL"]
    if not config["BOARD_DATABASE"]:
        config["BOARD_DATABASE"] = str(instance / "board.sqlite3")
    return config


def secret_key_file(instance_path: str | Path) -> Path:
    return Path(instance_path) / "secret_key"


def pseudonym_key_file(instance_path: str | Path) -> Path:
    return Path(instance_path) / "keys" / "pseudonym.key"


def flow_directories(config: Mapping) -> list[Path]:
    from flows.loader import BUNDLED_FLOWS

    extra = [Path(p) for p in str(config["FLOWS_PATH"]).split(":") if p.strip()]
    return [BUNDLED_FLOWS, *extra]
