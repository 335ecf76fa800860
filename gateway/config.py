"""Every setting the gateway reads: its name, default and a one-line help.

Settings come from `GATEWAY_*` environment variables (Twilio's own keep Twilio's
names). The README's settings table must list every one; a test checks it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """A setting is missing or wrong; the message says how to put it right."""


@dataclass(frozen=True)
class Setting:
    env: str  # the environment variable
    key: str  # the Flask config key
    default: object
    help: str
    parse: Callable[[str], object] = str
    secret: bool = False


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "GATEWAY_INSTANCE_PATH",
        "INSTANCE_PATH",
        "instance",
        "Folder for this install's database, keys and secret key.",
    ),
    Setting(
        "GATEWAY_DATABASE",
        "DATABASE",
        None,
        "The SQLite file. Default: gateway.sqlite3 in the instance folder.",
    ),
    Setting(
        "GATEWAY_SECRET_KEY",
        "SECRET_KEY",
        None,
        "Signs browser sessions. Default: the key `gateway init` writes to "
        "the instance folder. No built-in value.",
        secret=True,
    ),
    Setting(
        "GATEWAY_SITE",
        "SITE",
        "Demo site",
        "This site's display name. Its identity is a UUID made at init.",
    ),
    Setting(
        "GATEWAY_DEFAULT_FLOW",
        "DEFAULT_FLOW",
        "friends-and-family",
        "The flow a new conversation starts when no trigger word is used.",
    ),
    Setting(
        "GATEWAY_FLOWS_PATH",
        "FLOWS_PATH",
        "",
        "Extra folders of flow files, separated by ':' (bundled flows are "
        "always loaded).",
    ),
    Setting(
        "GATEWAY_DEFAULT_LANGUAGE",
        "DEFAULT_LANGUAGE",
        "en",
        "Language for a conversation when the person has not chosen one.",
    ),
    Setting(
        "GATEWAY_SMS_SESSION_HOURS",
        "SMS_SESSION_HOURS",
        24,
        "Hours of silence after which an SMS conversation closes as partial.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_SAFEGUARDING_RULES",
        "SAFEGUARDING_RULES",
        None,
        "A YAML file of phrases that signpost and raise an alert. Default: "
        "the bundled flows/rules/safeguarding.yaml.",
    ),
    Setting(
        "GATEWAY_WORKER_INTERVAL",
        "WORKER_INTERVAL",
        30,
        "Seconds between passes of `gateway worker` (closing expired conversations).",
        _positive_int,
    ),
    Setting(
        "GATEWAY_LOG_LEVEL",
        "LOG_LEVEL",
        "INFO",
        "Logging level: DEBUG, INFO, WARNING or ERROR. Logs never hold "
        "phone numbers or answer text.",
    ),
)


def load_config(
    environ: Mapping[str, str] | None = None, overrides: Mapping | None = None
) -> dict:
    """Settings from the environment, then `overrides` (tests), with paths resolved."""
    environ = os.environ if environ is None else environ
    config: dict = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None or raw == "":
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
    return config


def secret_key_file(instance_path: str | Path) -> Path:
    return Path(instance_path) / "secret_key"


def pseudonym_key_file(instance_path: str | Path) -> Path:
    return Path(instance_path) / "keys" / "pseudonym.key"


def flow_directories(config: Mapping) -> list[Path]:
    from flows.loader import BUNDLED_FLOWS

    extra = [Path(p) for p in str(config["FLOWS_PATH"]).split(":") if p.strip()]
    return [BUNDLED_FLOWS, *extra]
