"""The files a kiosk keeps for when the gateway cannot be reached, and the
version that tells tablets to drop their old copies (the service worker)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
# What a kiosk keeps for a reload while the gateway cannot be reached.
OFFLINE_ASSETS = ("kiosk.css", "kiosk.js")


@cache
def offline_files() -> tuple[str, ...]:
    symbols = sorted(f"symbols/{p.name}" for p in (STATIC / "symbols").glob("*.svg"))
    return (*OFFLINE_ASSETS, *symbols)


@cache
def assets_version() -> str:
    """Changes whenever a kiosk asset does, so tablets drop their old copies."""
    digest = hashlib.sha256()
    for name in offline_files():
        digest.update(name.encode())
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:12]
