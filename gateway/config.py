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
    empty_allowed: bool = False  # an empty value means "none", not the default


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def _minutes_in_a_day(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 24 * 60:
        raise ValueError("must be from 1 to 1440 (a day)")
    return value


def _between(low: int, high: int, unit: str):
    def read(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high} {unit}")
        return value

    return read


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("use 1 or 0")


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be more than 0")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _at_least_20(text: str) -> int:
    value = int(text)
    if value < 20:
        raise ValueError("must be 20 or more, so that people have time to answer")
    return value


def _role(text: str) -> str:
    if text not in ("site", "board", "both"):
        raise ValueError("use site, board or both")
    return text


def _time_zone(text: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a time zone name, such as Europe/London") from None
    return text


def _hours_span(text: str) -> str:
    """'21:00-09:00': checked here, read by gateway.sms.quiet_hours."""
    from gateway.sms.quiet_hours import parse_span

    parse_span(text)
    return text


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
        "GATEWAY_BOARD_DATABASE",
        "BOARD_DATABASE",
        None,
        "Where a board keeps every site's responses, its users and their "
        "reviews: a SQLite file, or a SQLAlchemy database URL. Default: "
        "board.sqlite3 in the instance folder. Only roles board and both.",
    ),
    Setting(
        "GATEWAY_BOARD_IDLE_MINUTES",
        "BOARD_IDLE_MINUTES",
        30,
        "Minutes without using the board before someone is signed out. A "
        "warning comes 2 minutes before, and what they typed is kept.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_SECURE_COOKIES",
        "SECURE_COOKIES",
        True,
        "Send the board's sign-in cookie over HTTPS only. Turn off (0) only "
        "for a board on this machine with no HTTPS, such as `gateway demo`.",
        _flag,
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
        "GATEWAY_ALERT_REMINDER_MINUTES",
        "ALERT_REMINDER_MINUTES",
        30,
        "Minutes an alert may stay open before its duty contacts are texted "
        "again; after a second reminder the escalation contacts are texted too.",
        _minutes_in_a_day,
    ),
    Setting(
        "GATEWAY_RETENTION_MONTHS",
        "RETENTION_MONTHS",
        24,
        "Months a response (with its texts and alerts) is kept after it closed, "
        "at a site and on the board; never deleted before it reached the board.",
        _between(1, 240, "months"),
    ),
    Setting(
        "GATEWAY_NUMBER_RETENTION_DAYS",
        "NUMBER_RETENTION_DAYS",
        30,
        "Days a phone number is kept with nothing happening, unless the person "
        "said yes to texts, has a conversation open or a text waiting, or is a "
        "duty contact. Their pseudonym stays.",
        _between(1, 3650, "days"),
    ),
    Setting(
        "GATEWAY_WORKER_INTERVAL",
        "WORKER_INTERVAL",
        30,
        "Seconds between passes of `gateway worker` when it has nothing to send.",
        _positive_int,
    ),
    Setting(
        "TWILIO_ACCOUNT_SID",
        "TWILIO_ACCOUNT_SID",
        None,
        "Twilio account SID (starts AC). Without it, messages wait in the "
        "outbox, shown by `gateway outbox`.",
    ),
    Setting(
        "TWILIO_AUTH_TOKEN",
        "TWILIO_AUTH_TOKEN",
        None,
        "Twilio auth token: signs webhooks and sends messages. Without it "
        "the SMS webhook refuses every request.",
        secret=True,
    ),
    Setting(
        "GATEWAY_TWILIO_MESSAGING_SERVICE_SID",
        "TWILIO_MESSAGING_SERVICE_SID",
        None,
        "Send through this Twilio Messaging Service (starts MG).",
    ),
    Setting(
        "GATEWAY_TWILIO_FROM_NUMBER",
        "TWILIO_FROM_NUMBER",
        None,
        "Or send from this number, in +44 form, if there is no Messaging Service.",
    ),
    Setting(
        "GATEWAY_TWILIO_API_BASE",
        "TWILIO_API_BASE",
        None,
        "Another base URL for Twilio's REST API: a Twilio-compatible "
        "provider, or a test server.",
    ),
    Setting(
        "GATEWAY_PUBLIC_URL",
        "PUBLIC_URL",
        None,
        "This gateway's public https address, for delivery status callbacks "
        "and the board's one-time sign-in links (such as "
        "https://feedback.example.nhs.uk).",
    ),
    Setting(
        "GATEWAY_TRUST_PROXY",
        "TRUST_PROXY",
        0,
        "How many reverse proxies stand in front of the gateway. Their "
        "X-Forwarded-* headers rebuild the public URL that Twilio signed.",
        _non_negative_int,
    ),
    Setting(
        "GATEWAY_SMS_INSECURE_DEV",
        "SMS_INSECURE_DEV",
        False,
        "Development only: accept unsigned SMS webhooks when there is no "
        "auth token. Logs a warning at start.",
        _flag,
    ),
    Setting(
        "GATEWAY_SMS_FLOOD_PER_MINUTE",
        "SMS_FLOOD_PER_MINUTE",
        10,
        "Messages a minute from one phone that get answers. More are kept "
        "but not answered.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_SMS_DAILY_LIMIT",
        "SMS_DAILY_LIMIT",
        100,
        "Messages a day (24 hours) from one phone that get acted on. More are "
        "kept, and still read for harm, but not answered.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_KIOSK_STARTS_PER_MINUTE",
        "KIOSK_STARTS_PER_MINUTE",
        6,
        "Conversations one kiosk may start in a minute. More wait: the screen "
        "asks the person to wait a moment.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_DEFAULT_COUNTRY_CODE",
        "DEFAULT_COUNTRY_CODE",
        "44",
        "Country code for numbers written without one, such as 07700 900123.",
    ),
    Setting(
        "GATEWAY_OUTBOX_RATE",
        "OUTBOX_RATE",
        1.0,
        "Messages a second the worker sends (Twilio allows one a second "
        "from a UK long code).",
        _positive_float,
    ),
    Setting(
        "GATEWAY_OUTBOX_GIVE_UP_HOURS",
        "OUTBOX_GIVE_UP_HOURS",
        24,
        "Hours of failed tries after which a message is marked failed.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_QUIET_HOURS",
        "QUIET_HOURS",
        "21:00-09:00",
        "Local hours when ordinary messages wait. Alerts still go. Empty for none.",
        _hours_span,
        empty_allowed=True,
    ),
    Setting(
        "GATEWAY_TIMEZONE",
        "TIMEZONE",
        "Europe/London",
        "Time zone for quiet hours.",
        _time_zone,
    ),
    Setting(
        "GATEWAY_KIOSK_IDLE_SECONDS",
        "KIOSK_IDLE_SECONDS",
        60,
        'Seconds without a tap before a kiosk asks "Are you still there?".',
        _positive_int,
    ),
    Setting(
        "GATEWAY_KIOSK_STILL_THERE_SECONDS",
        "KIOSK_STILL_THERE_SECONDS",
        30,
        'Seconds "Are you still there?" waits before the kiosk saves the '
        "answers so far and starts again. At least 20 (WCAG 2.2.1).",
        _at_least_20,
    ),
    Setting(
        "GATEWAY_KIOSK_ABANDONED_MINUTES",
        "KIOSK_ABANDONED_MINUTES",
        30,
        "Minutes after the last tap when a kiosk conversation is saved as "
        "partial even if its tablet went off. Answers a tablet holds while "
        "its Wi-Fi is down are taken until then.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_ROLE",
        "ROLE",
        "both",
        "site (gathers answers and syncs them to a board), board (gathers "
        "every site's), or both in one install, whose worker hands its answers "
        "to its own board.",
        _role,
    ),
    Setting(
        "GATEWAY_SYNC_BATCH",
        "SYNC_BATCH",
        500,
        "Records a site sends in one request. A board that answers 413 "
        "(too large) gets half as many for the rest of that pass. A record "
        "refused even alone is skipped, and set aside after 3 such passes.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_SYNC_MAX_BACKOFF_SECONDS",
        "SYNC_MAX_BACKOFF_SECONDS",
        900,
        "Longest wait between tries while the board cannot be reached. A "
        "site keeps trying for as long as it takes.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_SYNC_SKEW_SECONDS",
        "SYNC_SKEW_SECONDS",
        300,
        "Board: how far a signed request's time may be from the board's "
        "(after the site's correction). Also the clock difference that gets "
        "a site flagged.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_BOARD_QUIET_HOURS",
        "BOARD_QUIET_HOURS",
        48,
        "Board: a site not heard from for this many hours is flagged.",
        _positive_int,
    ),
    Setting(
        "GATEWAY_SERVE_ONE_CORE",
        "SERVE_ONE_CORE",
        True,
        "1: `gateway serve` runs on one CPU core (Linux, 2 or more cores), "
        "which answers texts faster. 0: it may use every core.",
        _flag,
    ),
    Setting(
        "GATEWAY_HEALTH_TOKEN",
        "HEALTH_TOKEN",
        None,
        "A monitor that sends `Authorization: Bearer <token>` to /healthz gets "
        "the details (site, version, flows, counts). Without it, only this "
        "machine does; everyone else is told only whether the gateway is up.",
        secret=True,
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
