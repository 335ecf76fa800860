"""The pictures a flow's options can name with `symbol:`.

Each name is an SVG the kiosk ships in kiosk/static/symbols/, drawn for
easy read: bold shapes, high contrast, no words. A test keeps this list and
those files the same.
"""

from __future__ import annotations

OPTION_SYMBOLS = frozenset(
    {
        "face-very-happy",
        "face-happy",
        "face-neutral",
        "face-sad",
        "face-very-sad",
        "question-mark",
        "thumbs-up",
        "thumbs-down",
        "music",
        "tree",
        "dice",
        "paintbrush",
        "tick",
        "pencil",
        "dot",
    }
)
# Drawn on the kiosk's own buttons, not chosen by flows.
INTERFACE_SYMBOLS = frozenset(
    {"speaker", "arrow-back", "hand", "plus", "minus", "stop"}
)
FALLBACK_SYMBOL = "dot"  # an option with no picture of its own
