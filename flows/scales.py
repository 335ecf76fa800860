"""Named answer scales a flow can use by name, such as the NHS Friends and Family Test.

Words here are English msgids; `N_` marks them for extraction, translation
happens when they are shown.
"""

from __future__ import annotations

from flows.model import AnswerState, Option


def N_(text: str) -> str:  # noqa: N802 - the gettext convention
    return text


SCALES: dict[str, tuple[Option, ...]] = {
    # NHS England, Friends and Family Test guidance (2020): the six responses.
    "friends-and-family": (
        Option("very_good", N_("Very good"), ("excellent", "great"), "face-very-happy"),
        Option("good", N_("Good"), ("fine",), "face-happy"),
        Option(
            "neither",
            N_("Neither good nor poor"),
            ("neither", "ok", "okay", "alright", "average", "so so", "meh"),
            "face-neutral",
        ),
        Option("poor", N_("Poor"), ("not good", "bad"), "face-sad"),
        Option(
            "very_poor",
            N_("Very poor"),
            ("very bad", "terrible", "awful", "horrible"),
            "face-very-sad",
        ),
        Option(
            "dont_know",
            N_("Don't know"),
            ("dont know", "do not know", "not sure", "dunno", "unsure", "idk"),
            "question-mark",
            AnswerState.DONT_KNOW,
        ),
    ),
    # A short three-face scale for quick questions.
    "three-faces": (
        Option("good", N_("Good"), ("great", "happy", "fine"), "face-happy"),
        Option("ok", N_("OK"), ("okay", "alright", "so so"), "face-neutral"),
        Option("bad", N_("Bad"), ("not good", "poor", "sad"), "face-sad"),
    ),
}

YES_NO: tuple[Option, ...] = (
    Option(
        "yes",
        N_("Yes"),
        ("y", "yeah", "yep", "yup", "yes please", "ok", "okay", "sure", "👍"),
        "thumbs-up",
    ),
    Option(
        "no",
        N_("No"),
        ("n", "nope", "nah", "no thanks", "no thank you", "👎"),
        "thumbs-down",
    ),
)
