"""Easy read and SMS length: GSM-7 and UCS-2 segment counting, and the wording
advice check_flow_wording gives for long sentences and long steps.
"""

import pytest

from flows.easyread import check_flow_wording, sms_segments
from flows.loader import BUNDLED_FLOWS, load_library, parse_flow

EMOJI = "\N{GRINNING FACE}"  # outside the BMP: two UTF-16 units


def flow_with(kind_and_text: str) -> str:
    return (
        f"id: demo\nversion: 1\ntitle: Demo\nsteps:\n  - id: the-step\n{kind_and_text}"
    )


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "count"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("é£$@" * 40, "GSM-7", 160, 1),
        ("\u20ac", "GSM-7", 2, 1),
        ("\u20ac" * 80, "GSM-7", 160, 1),
        ("\u20ac" * 81, "GSM-7", 162, 2),
        ("[x]" + "a" * 155, "GSM-7", 160, 1),
        (EMOJI, "UCS-2", 2, 1),
        ("a" * 68 + EMOJI, "UCS-2", 70, 1),
        ("a" * 69 + EMOJI, "UCS-2", 71, 2),
        ("\u0639" * 70, "UCS-2", 70, 1),
        ("\u0639" * 71, "UCS-2", 71, 2),
        ("\u2019" + "a" * 69, "UCS-2", 70, 1),
    ],
    ids=[
        "160",
        "161",
        "306",
        "307",
        "gsm-accents",
        "euro",
        "80-euros",
        "81-euros",
        "brackets",
        "emoji",
        "68+emoji",
        "69+emoji",
        "arabic-70",
        "arabic-71",
        "curly-quote",
    ],
)
def test_sms_segments(text, encoding, characters, count):
    segments = sms_segments(text)
    assert (segments.encoding, segments.characters, segments.count) == (
        encoding,
        characters,
        count,
    )


def test_one_emoji_turns_a_single_gsm_message_into_three():
    text = "a" * 150
    assert sms_segments(text).count == 1
    assert sms_segments(text + EMOJI).count == 3  # 152 units in 67-unit parts


@pytest.mark.parametrize(
    "flow",
    sorted(load_library([BUNDLED_FLOWS]).values(), key=lambda f: f.id),
    ids=lambda flow: flow.id,
)
def test_bundled_flows_need_no_advice(flow):
    assert check_flow_wording(flow) == []


def test_long_sentence_gets_advice_naming_the_step():
    sentence = " ".join(["word"] * 20) + "."
    flow = parse_flow(flow_with(f"    kind: text\n    text: {sentence}\n"))
    (advice,) = check_flow_wording(flow)
    assert advice.step == "the-step"
    assert "20 words" in advice.message


def test_fifteen_word_sentence_is_fine():
    sentence = " ".join(["word"] * 15) + "."
    flow = parse_flow(flow_with(f"    kind: text\n    text: {sentence}\n"))
    assert check_flow_wording(flow) == []


def test_over_long_step_gets_segment_advice_naming_the_step():
    text = "We want to hear from you. " * 8  # short sentences, 208 characters
    flow = parse_flow(flow_with(f"    kind: text\n    text: {text}\n"))
    (advice,) = check_flow_wording(flow)
    assert advice.step == "the-step"
    assert "2 SMS segments" in advice.message
    assert "GSM-7" in advice.message


def test_options_count_towards_the_length():
    options = "".join(
        f"      - Option number {n} with quite a few words\n" for n in range(1, 6)
    )
    flow = parse_flow(
        flow_with(f"    kind: choice\n    text: Which one?\n    options:\n{options}")
    )
    advice = check_flow_wording(flow)
    assert [a.step for a in advice] == ["the-step"]
    assert "SMS segments" in advice[0].message


def test_advice_names_each_step_that_needs_it():
    text = (
        "id: demo\nversion: 1\ntitle: Demo\nsteps:\n"
        "  - {id: short, kind: text, text: How was lunch}\n"
        f"  - {{id: wordy, kind: text, text: {' '.join(['too'] * 18)}}}\n"
        "  - {id: fine, kind: yesno, text: Was it warm}\n"
    )
    advice = check_flow_wording(parse_flow(text))
    assert [a.step for a in advice] == ["wordy"]


def test_non_latin_script_gets_two_segments_of_budget():
    two_parts = "\u0639" * 120  # 120 UCS-2 characters: two segments
    three_parts = "\u0639" * 140  # three segments
    fits = parse_flow(flow_with(f"    kind: text\n    text: {two_parts}\n"))
    too_long = parse_flow(flow_with(f"    kind: text\n    text: {three_parts}\n"))
    assert check_flow_wording(fits) == []
    assert [a.step for a in check_flow_wording(too_long)] == ["the-step"]


@pytest.mark.parametrize("length", [71, 81, 130])
def test_an_english_question_with_an_emoji_is_warned_past_one_segment(length):
    """An emoji forces UCS-2 (70 a segment); the words are still English, so
    the budget is one segment, not the two a non-Latin script gets."""
    text = "a" * (length - 2) + EMOJI  # the emoji is two UTF-16 units
    flow = parse_flow(flow_with(f"    kind: text\n    text: {text}\n"))
    (advice,) = check_flow_wording(flow)
    assert "2 SMS segments" in advice.message or "3 SMS segments" in advice.message
    assert "UCS-2" in advice.message


def test_an_english_question_with_an_emoji_that_fits_is_fine():
    text = "a" * 68 + EMOJI  # 70 UCS-2 units: one segment
    flow = parse_flow(flow_with(f"    kind: text\n    text: {text}\n"))
    assert check_flow_wording(flow) == []
