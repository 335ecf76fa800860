"""The kiosk as a channel: touch, drawing its own screens.

A kiosk asks "Are you still there?" and starts again after a minute or so
(its own screens do that); its idle limit here is for a tablet switched off
mid-flow, and lets in answers a tablet held through a Wi-Fi blip.
"""

from __future__ import annotations

from datetime import timedelta

from flows.model import Family
from gateway.channels import Channel

CHANNEL = Channel(
    name="kiosk",
    family=Family.TOUCH,
    idle_limit=lambda config: timedelta(minutes=config["KIOSK_ABANDONED_MINUTES"]),
    renders_as_text=False,
    web="kiosk.views:install",
)
