"""How heavy the kiosk's pages are, and how long a tap takes to show the next one.

Starts the real gateway (`gateway init`, `gateway kiosk add`, `gateway serve`)
on 127.0.0.1 and measures, with one keep-alive client as a tablet would be:

- page weight: each screen of the Friends and Family flow (welcome, the scale
  question, the text question, thank you) with every stylesheet, script and
  picture it loads, as on a first visit. Target: under 100 KB each.
- tap round trip: a tap as kiosk.js sends it (one POST, answered with the
  next screen), against fetching a static file of the same size as that screen
  from the same server (written into kiosk/static for the run, then removed).
  Target: the median tap within 3x of the median static fetch. A tablet
  without JavaScript takes two requests a tap (POST, 303, GET): shown too.

Prints PASS/MISS against the targets, never asserts a time. Exits 1 only if a
page or tap did not work.

    .venv/bin/python benchmarks/kiosk_pages.py [--taps N]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
STATIC = REPO / "kiosk" / "static"
ASSET = re.compile(r'(?:href|src)="(/kiosk/static/[^"]+)"')
sys.path.insert(0, str(REPO))

from benchmarks.gateway_process import gateway, install, served  # noqa: E402


class Tablet:
    """One keep-alive connection, following the kiosk's 303s as a browser does."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")
        return body

    def post(self, path: str, fields: dict) -> str:
        """A plain form post: returns where its 303 points."""
        response = self._post(path, fields, {})
        if response.status != 303:
            raise RuntimeError(f"POST {path}: {response.status}")
        location = urlsplit(response.getheader("Location"))
        return location.path + (f"?{location.query}" if location.query else "")

    def tap(self, path: str, fields: dict) -> bytes:
        """A tap as kiosk.js sends it: the reply is the next screen."""
        response = self._post(path, fields, {"X-Kiosk-Tap": "1"})
        if response.status != 200 or not response.getheader("X-Kiosk-Location"):
            raise RuntimeError(f"tap {path}: {response.status}")
        return self.body

    def _post(self, path: str, fields: dict, headers: dict):
        self.conn.request(
            "POST",
            path,
            body=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        response = self.conn.getresponse()
        self.body = response.read()
        return response


def field(page: bytes, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"'.encode(), page)[1].decode()


def weight(tablet: Tablet, page: bytes) -> int:
    """The page and everything it loads, in bytes."""
    return len(page) + sum(
        len(tablet.get(path)) for path in set(ASSET.findall(page.decode()))
    )


def conversation(tablet: Tablet, welcome: str, scripted: bool, timings=None) -> dict:
    """Start, answer both questions; returns the pages seen, by name. With
    `scripted`, taps go as kiosk.js sends them; else as plain form posts."""
    pages = {"welcome": tablet.get(welcome)}
    start = {"start": field(pages["welcome"], "start")}
    where = tablet.post(welcome + "start", start)
    pages["scale question"] = tablet.get(where)
    for name, answer in (("text question", "good"), ("thank you", "Kind staff")):
        showing = pages[list(pages)[-1]]
        tap = {
            "screen": field(showing, "screen"),
            "step": field(showing, "step"),
            "answer": answer,
        }
        started = time.perf_counter()
        if scripted:
            pages[name] = tablet.tap(where, tap)
        else:
            pages[name] = tablet.get(tablet.post(where, tap))
        if timings is not None:
            timings.append((time.perf_counter() - started, len(pages[name])))
    return pages


def median_ms(timings) -> float:
    return statistics.median(t for t, _ in timings) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--taps", type=int, default=600, help="taps measured")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    same_size = STATIC / f"_benchmark_{os.getpid()}.html"
    try:
        env = install(folder / "instance")
        added = gateway(env, "kiosk", "add", "Bench")
        welcome_path = urlsplit(added.strip().splitlines()[-1]).path
        with served(env, folder / "serve.log") as (port, _server):
            return measure(args, port, welcome_path, same_size)
    except RuntimeError as error:
        print(f"a page or tap did not work: {error}")
        return 1
    finally:
        same_size.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def measure(args, port: int, welcome_path: str, same_size: Path) -> int:
    tablet = Tablet(port)
    first = conversation(tablet, welcome_path, scripted=False)
    print("page weight on first load (the page and everything it loads):")
    heaviest = 0
    for name, page in first.items():
        kb = weight(Tablet(port), page) / 1024
        heaviest = max(heaviest, kb)
        print(f"  {name:<15} {kb:6.1f} KB")
    for _ in range(20):  # warm up
        conversation(tablet, welcome_path, scripted=True)
    taps: list[tuple[float, int]] = []
    plain: list[tuple[float, int]] = []
    while len(taps) < args.taps:
        conversation(tablet, welcome_path, True, taps)
        conversation(tablet, welcome_path, False, plain)
    size = int(statistics.median(size for _, size in taps))
    same_size.write_bytes(b"x" * size)
    static_path = f"/kiosk/static/{same_size.name}"
    static = []
    for _ in range(len(taps)):
        started = time.perf_counter()
        tablet.get(static_path)
        static.append((time.perf_counter() - started, size))
    tap_ms, plain_ms, static_ms = (
        median_ms(taps),
        median_ms(plain),
        median_ms(static),
    )
    ratio = tap_ms / static_ms
    print(f"\nmedians of {len(taps)}:")
    print(f"  tap by kiosk.js (one POST, next screen back)  {tap_ms:5.2f} ms")
    print(f"  tap without JavaScript (POST, 303, GET)       {plain_ms:5.2f} ms")
    print(f"  static file of the same size ({size} bytes)    {static_ms:5.2f} ms")
    print()
    verdict = "PASS" if heaviest < 100 else "MISS"
    print(f"heaviest page     {heaviest:6.1f} KB  target < 100 KB  {verdict}")
    verdict = "PASS" if ratio <= 3 else "MISS"
    print(f"tap / static      {ratio:6.2f}x    target <= 3x     {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
