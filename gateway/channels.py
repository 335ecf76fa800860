"""The channels people answer on, registered in one place, and what each tells
the core: its name, its family, how long it may go quiet, how it renders.

The core never names a channel: it asks the registry. A channel is a module
that defines `CHANNEL` and is listed in CHANNEL_MODULES; its conversation
must pass the contract suite in tests/channels/ (a test fails for a channel
registered without a driver there). A channel with web endpoints names the
function that adds them to the app, and create_app calls it: the composition
root imports no channel by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flows.model import Family

CHANNEL_MODULES = ("gateway.sms.channel", "kiosk.channel", "gateway.simulator")


@dataclass(frozen=True)
class Channel:
    name: str  # stored with each response: the `channel` column of exports
    family: Family  # which steps it asks, and how a question is worded
    # How long a conversation may go quiet before it closes as partial, from
    # the settings.
    idle_limit: Callable[[Mapping], timedelta]
    # How a turn's replies reach the person: the words of a text, or None for
    # a channel that draws its own screens from the conversation's state.
    renders_as_text: bool = True
    test_data_only: bool = False  # everything it records is test data
    # "package.module:function" that adds the channel's routes (and whatever
    # they need) to a Flask app; None for a channel with no web endpoints.
    # Named, not imported, so the registry loads no Flask code of its own.
    web: str | None = None


class UnknownChannel(KeyError):
    """No channel is registered under that name."""


@cache
def registered() -> dict[str, Channel]:
    """Every channel, by name, read once from CHANNEL_MODULES."""
    channels = {}
    for module in CHANNEL_MODULES:
        channel = importlib.import_module(module).CHANNEL
        if channel.name in channels:
            raise ValueError(f"two channels are called {channel.name!r}")
        channels[channel.name] = channel
    return channels


def channel(name: str) -> Channel:
    try:
        return registered()[name]
    except KeyError:
        raise UnknownChannel(name) from None


def install_web(app) -> None:
    """Add every registered channel's web endpoints to the app."""
    for found in registered().values():
        if found.web is not None:
            module, _, function = found.web.partition(":")
            getattr(importlib.import_module(module), function)(app)


def by_idle_limit(config: Mapping) -> dict[timedelta, list[str]]:
    """Channel names grouped by how long they may go quiet."""
    groups: dict[timedelta, list[str]] = {}
    for found in registered().values():
        groups.setdefault(found.idle_limit(config), []).append(found.name)
    return groups
