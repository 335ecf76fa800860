"""Answer parsing: how flows.answers.interpret and normalise read what people type
on scale, yes/no, choice, number and free-text steps.
"""

import pytest

from flows.answers import interpret, normalise
from flows.loader import BUNDLED_FLOWS, load_flow, parse_flow
from flows.model import AnswerState, Step


def value_read(step: Step, said: str) -> str:
    """The value `interpret` reads from what was said; it must read one."""
    understood = interpret(step, said)
    assert understood is not None, said
    return understood.value


DEMO = """
id: demo
version: 1
title: Demo
steps:
  - id: well
    kind: yesno
    text: Are you well?
  - id: visits
    kind: number
    min: 0
    max: 10
    text: How many visits this week?
  - id: short
    kind: text
    max_length: 20
    text: In a few words?
  - id: story
    kind: text
    text: Tell us more.
  - id: place
    kind: choice
    text: Where did you eat?
    options:
      - words: Café
      - words: Dining room
        synonyms: [salle à manger]
  - id: mood
    kind: scale
    scale: three-faces
    text: How do you feel?
"""


@pytest.fixture(scope="module")
def demo():
    return parse_flow(DEMO, "demo.yaml")


@pytest.fixture(scope="module")
def overall():
    return load_flow(BUNDLED_FLOWS / "friends-and-family.yaml").step("overall")


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("1", "very_good"),
        ("1.", "very_good"),
        (" 1 ", "very_good"),
        ("#1", "very_good"),
        ("one", "very_good"),
        ("first", "very_good"),
        ("Very good", "very_good"),
        ("VERY GOOD", "very_good"),
        ("very-good!", "very_good"),
        ("excellent", "very_good"),
        ("1 Very good", "very_good"),
        ("1. Very good", "very_good"),
        ("good", "good"),
        ("Good", "good"),
        ("2", "good"),
        ("not good", "poor"),
        ("Not good.", "poor"),
        ("so-so", "neither"),
        ("5", "very_poor"),
    ],
)
def test_scale_answers_people_type(overall, said, value):
    understood = interpret(overall, said)
    assert understood is not None
    assert understood.value == value
    assert understood.state is AnswerState.ANSWERED


@pytest.mark.parametrize(
    "said",
    [
        "7",
        "0",
        "",
        "   ",
        "\n\t",
        "très bien",
        "tres bien",
        "very",
        "1 Poor",
        "not very good",
        "1000",
    ],
)
def test_scale_answers_that_are_not_valid(overall, said):
    assert interpret(overall, said) is None


@pytest.mark.parametrize(
    "said", ["Don't know", "dont know", "DON\u2019T KNOW", "not sure", "6"]
)
def test_dont_know_is_its_own_state(overall, said):
    understood = interpret(overall, said)
    assert understood is not None
    assert understood.value == "dont_know"
    assert understood.state is AnswerState.DONT_KNOW


@pytest.mark.parametrize(
    ("said", "value"), [("not good", "bad"), ("good", "good"), ("ok", "ok")]
)
def test_three_faces_reads_whole_answers(demo, said, value):
    assert value_read(demo.step("mood"), said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("\N{THUMBS UP SIGN}", "yes"),
        ("\N{THUMBS UP SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4}", "yes"),
        ("\N{THUMBS UP SIGN}\ufe0f", "yes"),
        ("\N{THUMBS DOWN SIGN}", "no"),
        ("\N{THUMBS DOWN SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-6}", "no"),
        ("y", "yes"),
        ("Y", "yes"),
        ("yeah", "yes"),
        ("Yes!", "yes"),
        ("1", "yes"),
        ("nope", "no"),
        ("n", "no"),
        ("No.", "no"),
        ("no thanks", "no"),
        ("2", "no"),
    ],
)
def test_yes_no_answers(demo, said, value):
    assert value_read(demo.step("well"), said) == value


@pytest.mark.parametrize("said", ["maybe", "", " ", "3", "Don't know"])
def test_yes_no_answers_that_are_not_valid(demo, said):
    assert interpret(demo.step("well"), said) is None


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("cafe", "cafe"),
        ("CAFE", "cafe"),
        ("Café", "cafe"),
        ("1", "cafe"),
        ("salle a manger", "dining_room"),
        ("Salle à Manger!", "dining_room"),
    ],
)
def test_choice_ignores_accents(demo, said, value):
    assert value_read(demo.step("place"), said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("3", "3"),
        ("3.5", "3.5"),
        ("3,5", "3.5"),
        ("three", "3"),
        ("Three!", "3"),
        (" 7 ", "7"),
        ("0", "0"),
        ("10", "10"),
        ("ten", "10"),
    ],
)
def test_number_answers(demo, said, value):
    assert value_read(demo.step("visits"), said) == value


@pytest.mark.parametrize("said", ["11", "-1", "abc", "", "   ", "3.5.1", "eleven"])
def test_number_answers_that_are_not_valid(demo, said):
    assert interpret(demo.step("visits"), said) is None


def test_number_with_a_trailing_full_stop(demo):
    # People end texts with a full stop; "1." is read on a scale, so "3." here.
    assert value_read(demo.step("visits"), "3.") == "3"


def test_long_text_is_cut_to_max_length(demo):
    said = ("The staff were kind. " * 80)[:1600]
    assert len(said) == 1600
    understood = interpret(demo.step("short"), said)
    assert understood is not None
    assert understood.value == said[:20]
    assert len(understood.value) == 20


@pytest.mark.parametrize(
    "said",
    [
        "\N{SLIGHTLY SMILING FACE}\N{SLIGHTLY SMILING FACE}",
        "الطعام جيد جدا",
        "האוכל היה טוב",
        "'); DROP TABLE answers;--",
        "<script>alert(1)</script>",
    ],
    ids=["emoji", "arabic", "hebrew", "sql", "html"],
)
def test_text_is_kept_as_typed(demo, said):
    understood = interpret(demo.step("story"), said)
    assert understood is not None
    assert understood.value == said
    assert understood.state is AnswerState.ANSWERED


@pytest.mark.parametrize("said", ["", "   ", "\n\n"])
def test_empty_text_is_not_an_answer(demo, said):
    assert interpret(demo.step("story"), said) is None


def test_text_is_trimmed_of_surrounding_space(demo):
    assert value_read(demo.step("story"), "  Lovely lunch \n") == "Lovely lunch"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Very-Good!! ", "very good"),
        ("Café", "cafe"),
        ("Don\u2019t know", "dont know"),
        ("a\tb\nc", "a b c"),
        (
            "\N{THUMBS UP SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-3}",
            "\N{THUMBS UP SIGN}",
        ),
        ("ÉCOLE", "ecole"),
        ("#1.", "1"),
        ("", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected
