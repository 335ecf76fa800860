"""Understanding what a person typed, as forgivingly as people text.

"1", "1.", " 1 ", "one", an option's words or synonyms (matched against the
whole answer, so "not good" is never "good"), yes/y/yeah, a thumbs-up emoji;
case, accents and punctuation ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from flows.formats import plain_number
from flows.model import OPTION_KINDS, AnswerState, Option, Step, StepKind

NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
# Variation selectors and skin tones, so every thumbs-up is the same thumbs-up.
EMOJI_MODIFIERS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff\u200d]")
DECIMAL = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class Interpretation:
    value: str
    state: AnswerState = AnswerState.ANSWERED


@lru_cache(maxsize=8192)  # option words and synonyms recur on every answer
def normalise(text: str) -> str:
    """Lower-case, accent-free, punctuation-free words separated by single spaces."""
    text = EMOJI_MODIFIERS.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("'", "").replace("\u2019", "")
    text = "".join(
        " " if unicodedata.category(ch).startswith(("P", "Z", "C")) else ch
        for ch in text
    )
    return " ".join(text.split())


def interpret(step: Step, text: str) -> Interpretation | None:
    """The answer `text` gives to `step`, or None if it is not a valid answer."""
    if step.kind in OPTION_KINDS:
        return _pick_option(step.options, text)
    if step.kind is StepKind.NUMBER:
        return _read_number(step, text)
    if step.kind is StepKind.TEXT:
        cleaned = text.strip()
        if not cleaned:
            return None
        return Interpretation(cleaned[: step.max_length])
    return None


def _pick_option(options: tuple[Option, ...], text: str) -> Interpretation | None:
    said = normalise(text)
    if not said:
        return None
    position = _position(said)
    if position is not None:
        if 1 <= position <= len(options):
            return _chosen(options[position - 1])
        return None
    for option in options:
        if said in {normalise(p) for p in (option.words, *option.synonyms)}:
            return _chosen(option)
    # "1 Very good", copied from the list we sent, means option 1.
    number, _, rest = said.partition(" ")
    position = _position(number)
    if position is not None and 1 <= position <= len(options):
        option = options[position - 1]
        if rest in {normalise(p) for p in (option.words, *option.synonyms)}:
            return _chosen(option)
    return None


def _position(said: str) -> int | None:
    if said.isdigit() and len(said) <= 3:
        return int(said)
    return NUMBER_WORDS.get(said) or ORDINALS.get(said)


def _chosen(option: Option) -> Interpretation:
    return Interpretation(option.value, option.state)


def _read_number(step: Step, text: str) -> Interpretation | None:
    said = text.strip().rstrip(".!?)").lstrip("#").replace(" ", "")
    if DECIMAL.match(said):
        number = float(said.replace(",", "."))
    elif normalise(text) in NUMBER_WORDS:
        number = float(NUMBER_WORDS[normalise(text)])
    else:
        return None
    if step.minimum is not None and number < step.minimum:
        return None
    if step.maximum is not None and number > step.maximum:
        return None
    return Interpretation(plain_number(number))
