"""Reading a text for keywords: STOP however it is dressed, START, HELP.

Twilio itself acts on a keyword sent as a single word. People also write
"Stop 🙏", "Please stop" or "STOP STOP": those opt out too, and since Twilio
does not catch them, the gateway confirms in one line. A stop word inside an
answer ("the staff never stop smiling") is an answer. A short message about
our texts ("stop texting me") is unclear: we ask once.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from flows.answers import normalise

OPT_OUT = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN = frozenset({"START", "UNSTOP"})  # and YES, from someone who has opted out
HELP = frozenset({"HELP", "INFO"})
# Words that dress a STOP up without changing what it means.
POLITE = frozenset({
    "please", "pls", "plz", "thanks", "thank", "you", "thankyou", "ty", "thx",
    "ta", "now", "just", "kindly", "ok", "okay", "sorry", "x", "xx",
})  # fmt: skip
# Stop words that can only be about our texts ("end" and "quit" can be anything).
ONLY_ABOUT_TEXTS = frozenset({"STOPALL", "UNSUBSCRIBE", "OPTOUT", "REVOKE"})
# A message is about our texts only if it names them: "stop texting me".
TEXTING_WORDS = frozenset({
    "texting", "texts", "text", "txt", "txts", "messaging", "messages",
    "message", "msgs", "sending", "send", "contacting", "contact", "number",
})  # fmt: skip
# Words that may stand beside a stop word and a texting word in such a message.
ABOUT_OUR_TEXTS = TEXTING_WORDS | frozenset({
    "me", "it", "this", "these", "them", "all", "any", "more", "us", "the",
    "your", "to", "my", "from", "can", "you", "i", "want", "would", "like",
})  # fmt: skip
UNCLEAR_AT_MOST_WORDS = 6
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "yup", "sure"})
NO_WORDS = frozenset({"no", "n", "nope", "nah", "dont", "do", "not"})


class OptOutReading(StrEnum):
    CLEAR = "clear"  # opt out, and say so (Twilio did not)
    UNCLEAR = "unclear"  # ask once whether they want to stop


def keyword(body: str) -> str | None:
    """The message as a keyword, if it is a single word: ' Stop! ' is STOP.
    These are the messages Twilio acts on itself."""
    words = normalise(body).split()
    return words[0].upper() if len(words) == 1 else None


def words_of(body: str) -> list[str]:
    """The words of a message, with emoji and other symbols set aside."""
    text = "".join(
        " " if unicodedata.category(ch).startswith("S") else ch
        for ch in normalise(body)
    )
    return text.split()


def read_opt_out(body: str) -> OptOutReading | None:
    """Whether a message that is not a bare keyword still asks us to stop."""
    words = words_of(body)
    if not any(word.upper() in OPT_OUT for word in words):
        return None
    meant = [word for word in words if word not in POLITE]
    if meant and all(word.upper() in OPT_OUT for word in meant):
        return OptOutReading.CLEAR
    short = len(words) <= UNCLEAR_AT_MOST_WORDS
    names_our_texts = any(
        word in TEXTING_WORDS or word.upper() in ONLY_ABOUT_TEXTS for word in words
    )
    if (
        short
        and names_our_texts
        and all(
            word in POLITE or word in ABOUT_OUR_TEXTS or word.upper() in OPT_OUT
            for word in words
        )
    ):
        return OptOutReading.UNCLEAR
    return None


def answers_yes(body: str) -> bool:
    """A yes to "Do you want us to stop texting you?": "Yes", "yes please", "Stop"."""
    words = words_of(body)
    meant = [word for word in words if word not in POLITE]
    if not meant:
        return "please" in words
    return all(word in YES_WORDS or word.upper() in OPT_OUT for word in meant)


def answers_no(body: str) -> bool:
    """A no to the same question: "No", "no thanks", "Don't"."""
    meant = [word for word in words_of(body) if word not in POLITE]
    return bool(meant) and all(word in NO_WORDS for word in meant)
