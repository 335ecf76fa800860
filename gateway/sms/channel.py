"""SMS as a channel: text, and quiet for `GATEWAY_SMS_SESSION_HOURS` at most."""

from __future__ import annotations

from datetime import timedelta

from flows.model import Family
from gateway.channels import Channel

CHANNEL = Channel(
    name="sms",
    family=Family.TEXT,
    idle_limit=lambda config: timedelta(hours=config["SMS_SESSION_HOURS"]),
    web="gateway.sms.webhooks:install",
)
