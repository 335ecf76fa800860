"""What it costs to turn a phone number into its pseudonym, against a fast hash.

Someone with a copy of the board's database and the organisation's key could
try every UK mobile number and see which pseudonyms come out. This measures
one guess with `gateway.privacy.pseudonym` (scrypt) and, in the same run, the
baseline: HMAC-SHA256 of the number under the same key, which is what
pseudonyms were before. Prints both, the ratio, and how long trying every
number from 07000 000000 to 07999 999999 (10^9 numbers, every UK mobile
among them) would take one core. Target: at least one core-year.

    .venv/bin/python benchmarks/pseudonym_cost.py [--guesses N]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.privacy import (  # noqa: E402 - after the path is set
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    new_key,
    pseudonym,
)

UK_MOBILE_SPAN = 10**9  # 07000 000000 to 07999 999999
SECONDS_A_YEAR = 365.25 * 24 * 3600


def seconds_a_guess(make, key: bytes, guesses: int) -> float:
    """The median of five timed runs of `guesses` numbers, per number."""
    runs = []
    for run in range(5):
        numbers = [f"+447{run}{i:08d}" for i in range(guesses)]
        started = time.perf_counter()
        for number in numbers:
            make(key, number)
        runs.append((time.perf_counter() - started) / guesses)
    return statistics.median(runs)


def fast_hash(key: bytes, number: str) -> str:
    return hmac.new(key, number.encode("ascii"), hashlib.sha256).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guesses", type=int, default=20, help="per timed run")
    args = parser.parse_args()
    key = new_key()
    slow = seconds_a_guess(pseudonym, key, args.guesses)
    fast = seconds_a_guess(fast_hash, key, args.guesses * 1000)
    memory = 128 * SCRYPT_R * SCRYPT_N * SCRYPT_P / 2**20
    years = slow * UK_MOBILE_SPAN / SECONDS_A_YEAR
    print(f"scrypt n={SCRYPT_N} r={SCRYPT_R} p={SCRYPT_P}: {memory:.0f} MiB a guess")
    print(f"pseudonym:   {slow * 1000:8.2f} ms a guess")
    print(f"HMAC-SHA256: {fast * 1e6:8.2f} us a guess (baseline)")
    print(f"ratio:       {slow / fast:8.0f}x the baseline")
    print(
        f"every number 07000 000000 to 07999 999999 on one core: "
        f"{years:.2f} core-years (target: at least 1; the baseline: "
        f"{fast * UK_MOBILE_SPAN / 60:.0f} minutes)"
    )


if __name__ == "__main__":
    main()
