"""Every setting the gateway reads: its name, default and a one-line help.

Settings come from `GATEWAY_*` environment variables (Twilio's own keep Twilio's
names). docs/settings.md must list every one; a test checks it. How they are
read is gateway/config.py; what kinds of values they take, setting_types.py.
"""

from __future__ import annotations

from gateway.setting_types import (
    Setting,
    a_role,
    at_least_20,
    between,
    channel_modes,
    flag,
    hours_span,
    minutes_in_a_day,
    non_negative_int,
    positive_float,
    positive_int,
    time_zone,
)

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
        "GATEWAY_BOARD_DATABASE_URL",
        "BOARD_DATABASE_URL",
        None,
        "A board on PostgreSQL: its SQLAlchemy URL, such as "
        "postgresql+psycopg://gateway@db.example/board. Wins over "
        "GATEWAY_BOARD_DATABASE. Several board processes may share it.",
        secret=True,
    ),
    Setting(
        "GATEWAY_BOARD_IDLE_MINUTES",
        "BOARD_IDLE_MINUTES",
        30,
        "Minutes without using the board before someone is signed out. A "
        "warning comes 2 minutes before, and what they typed is kept.",
        positive_int,
    ),
    Setting(
        "GATEWAY_SECURE_COOKIES",
        "SECURE_COOKIES",
        True,
        "Send the board's sign-in cookie over HTTPS only. Turn off (0) only "
        "for a board on this machine with no HTTPS, such as `gateway demo`.",
        flag,
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
        positive_int,
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
        minutes_in_a_day,
    ),
    Setting(
        "GATEWAY_RETENTION_MONTHS",
        "RETENTION_MONTHS",
        24,
        "Months a response (with its texts and alerts) is kept after it closed, "
        "at a site and on the board; never deleted before it reached the board.",
        between(1, 240, "months"),
    ),
    Setting(
        "GATEWAY_NUMBER_RETENTION_DAYS",
        "NUMBER_RETENTION_DAYS",
        30,
        "Days a phone number is kept with nothing happening, unless the person "
        "said yes to texts, has a conversation open or a text waiting, or is a "
        "duty contact. Their pseudonym stays.",
        between(1, 3650, "days"),
    ),
    Setting(
        "GATEWAY_WORKER_INTERVAL",
        "WORKER_INTERVAL",
        30,
        "Seconds between passes of `gateway worker` when it has nothing to send.",
        positive_int,
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
        non_negative_int,
    ),
    Setting(
        "GATEWAY_SMS_INSECURE_DEV",
        "SMS_INSECURE_DEV",
        False,
        "Development only: accept unsigned SMS webhooks when there is no "
        "auth token. Logs a warning at start.",
        flag,
    ),
    Setting(
        "GATEWAY_SMS_FLOOD_PER_MINUTE",
        "SMS_FLOOD_PER_MINUTE",
        10,
        "Messages a minute from one phone that get answers. More are kept "
        "but not answered.",
        positive_int,
    ),
    Setting(
        "GATEWAY_SMS_DAILY_LIMIT",
        "SMS_DAILY_LIMIT",
        100,
        "Messages a day (24 hours) from one phone that get acted on. More are "
        "kept, and still read for harm, but not answered.",
        between(1, 10_000, "messages"),
    ),
    Setting(
        "GATEWAY_KIOSK_STARTS_PER_MINUTE",
        "KIOSK_STARTS_PER_MINUTE",
        6,
        "Conversations one kiosk may start in a minute. More wait: the screen "
        "asks the person to wait a moment.",
        between(1, 600, "conversations"),
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
        positive_float,
    ),
    Setting(
        "GATEWAY_OUTBOX_GIVE_UP_HOURS",
        "OUTBOX_GIVE_UP_HOURS",
        24,
        "Hours of failed tries after which a message is marked failed.",
        positive_int,
    ),
    Setting(
        "GATEWAY_QUIET_HOURS",
        "QUIET_HOURS",
        "21:00-09:00",
        "Local hours when ordinary messages wait. Alerts still go. Empty for none.",
        hours_span,
        empty_allowed=True,
    ),
    Setting(
        "GATEWAY_TIMEZONE",
        "TIMEZONE",
        "Europe/London",
        "Time zone for quiet hours.",
        time_zone,
    ),
    Setting(
        "GATEWAY_KIOSK_IDLE_SECONDS",
        "KIOSK_IDLE_SECONDS",
        60,
        'Seconds without a tap before a kiosk asks "Are you still there?".',
        positive_int,
    ),
    Setting(
        "GATEWAY_KIOSK_STILL_THERE_SECONDS",
        "KIOSK_STILL_THERE_SECONDS",
        30,
        'Seconds "Are you still there?" waits before the kiosk saves the '
        "answers so far and starts again. At least 20 (WCAG 2.2.1).",
        at_least_20,
    ),
    Setting(
        "GATEWAY_KIOSK_ABANDONED_MINUTES",
        "KIOSK_ABANDONED_MINUTES",
        30,
        "Minutes after the last tap when a kiosk conversation is saved as "
        "partial even if its tablet went off. Answers a tablet holds while "
        "its Wi-Fi is down are taken until then.",
        positive_int,
    ),
    Setting(
        "GATEWAY_ROLE",
        "ROLE",
        "both",
        "site (gathers answers and syncs them to a board), board (gathers "
        "every site's), or both in one install, whose worker hands its answers "
        "to its own board.",
        a_role,
    ),
    Setting(
        "GATEWAY_SYNC_BATCH",
        "SYNC_BATCH",
        500,
        "Records a site sends in one request. A board that answers 413 "
        "(too large) gets half as many for the rest of that pass. A record "
        "refused even alone is skipped, and set aside after 3 such passes.",
        positive_int,
    ),
    Setting(
        "GATEWAY_SYNC_MAX_BACKOFF_SECONDS",
        "SYNC_MAX_BACKOFF_SECONDS",
        900,
        "Longest wait between tries while the board cannot be reached. A "
        "site keeps trying for as long as it takes.",
        positive_int,
    ),
    Setting(
        "GATEWAY_SYNC_SKEW_SECONDS",
        "SYNC_SKEW_SECONDS",
        300,
        "Board: how far a signed request's time may be from the board's "
        "(after the site's correction). Also the clock difference that gets "
        "a site flagged.",
        positive_int,
    ),
    Setting(
        "GATEWAY_BOARD_QUIET_HOURS",
        "BOARD_QUIET_HOURS",
        48,
        "Board: a site not heard from for this many hours is flagged.",
        positive_int,
    ),
    Setting(
        "GATEWAY_SMALL_NUMBERS_BELOW",
        "SMALL_NUMBERS_BELOW",
        5,
        "Board: a count from 1 to one less than this is shown to members, and "
        "in anything published, as * (NHS England's rule for FFT data).",
        between(2, 100, "responses"),
    ),
    Setting(
        "GATEWAY_SAMPLES_IN_FIGURES",
        "SAMPLES_IN_FIGURES",
        False,
        "Board: 1 counts sample feedback (the demo's, the simulator's) in the "
        "Figures and Friends and Family Test pages, and they say so. "
        "`gateway demo` turns it on. Leave it off on a real board.",
        flag,
    ),
    Setting(
        "GATEWAY_FFT_MODES",
        "FFT_MODES",
        channel_modes(
            "sms=Mode SMS,kiosk=Mode Electronic Discharge,paper=Mode Paper Discharge"
        ),
        "Board: which FFT collection mode each channel counts as in the "
        "monthly return: channel=mode, separated by commas. Others count "
        "as Mode Other.",
        channel_modes,
    ),
    Setting(
        "GATEWAY_FFT_ORG_CODE",
        "FFT_ORG_CODE",
        "",
        "Board: the organisation's ODS code, for the FFT return's Org code.",
        empty_allowed=True,
    ),
    Setting(
        "GATEWAY_FFT_ORG_NAME",
        "FFT_ORG_NAME",
        "",
        "Board: the organisation's name, for the FFT return's Org name.",
        empty_allowed=True,
    ),
    Setting(
        "GATEWAY_FFT_PARENT_CODE",
        "FFT_PARENT_CODE",
        "",
        "Board: the parent (ICB) code, for the FFT return's Parent org code.",
        empty_allowed=True,
    ),
    Setting(
        "GATEWAY_FFT_PARENT_NAME",
        "FFT_PARENT_NAME",
        "",
        "Board: the parent (ICB) name, for the FFT return's Parent name.",
        empty_allowed=True,
    ),
    Setting(
        "GATEWAY_FFT_SITE_CODES",
        "FFT_SITE_CODES",
        "",
        "Board: each site's ODS code for the FFT return: site name=code, "
        "separated by commas.",
        empty_allowed=True,
    ),
    Setting(
        "GATEWAY_SERVE_ONE_CORE",
        "SERVE_ONE_CORE",
        True,
        "1: `gateway serve` runs on one CPU core (Linux, 2 or more cores), "
        "which answers texts faster. 0: it may use every core.",
        flag,
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
