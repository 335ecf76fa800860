"""Easy-read and SMS-length checks for the words in a flow.

Warnings, not errors: a co-production group may decide a longer message is
right. One SMS segment holds 160 GSM-7 characters, or 70 when any character
forces UCS-2 (emoji, most non-Latin scripts, curly quotes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.model import Family, Flow, Step
from flows.render import prompt_as_shown

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # each costs two characters
LONG_SENTENCE_WORDS = 15
# Scripts that always need UCS-2 get a bigger budget: two segments.
UCS2_SEGMENT_BUDGET = 2


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int
    count: int


def sms_segments(text: str) -> Segments:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        length = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi = 160, 153
        encoding = "GSM-7"
    else:
        # UTF-16 code units: an emoji counts twice.
        length = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
        encoding = "UCS-2"
    count = 1 if length <= single else -(-length // multi)
    return Segments(encoding, length, count)


@dataclass(frozen=True)
class Advice:
    step: str
    message: str


def check_flow_wording(flow: Flow) -> list[Advice]:
    """Advice on each step's wording, as it would be sent by SMS."""
    advice: list[Advice] = []
    for step in flow.steps:
        advice.extend(_check_step(step))
    return advice


def _check_step(step: Step) -> list[Advice]:
    advice = []
    text = prompt_as_shown(step, Family.TEXT, str)
    segments = sms_segments(text)
    budget = 1 if _latin(step.text) else UCS2_SEGMENT_BUDGET
    if segments.count > budget:
        advice.append(
            Advice(
                step.id,
                f"needs {segments.count} SMS segments ({segments.characters} "
                f"{segments.encoding} characters); try to fit one",
            )
        )
    for words in long_sentences(step.text):
        advice.append(
            Advice(
                step.id,
                f"a sentence of {words} words; easy read keeps to about "
                f"{LONG_SENTENCE_WORDS}",
            )
        )
    return advice


def long_sentences(text: str) -> list[int]:
    """The length in words of each sentence over LONG_SENTENCE_WORDS."""
    lengths = [len(s.split()) for s in re.split(r"(?<=[.?!])\s+", text)]
    return [words for words in lengths if words > LONG_SENTENCE_WORDS]


def _latin(text: str) -> bool:
    """Whether the words are in a Latin script. Only letters count: an emoji
    or a symbol forces UCS-2, but the words are no longer for it."""
    return all(ord(ch) < 0x250 for ch in text if ch.isalpha())
