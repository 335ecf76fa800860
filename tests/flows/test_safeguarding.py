"""Safeguarding: rule phrases match whole words however they are typed, a
denial or an idiom is not a disclosure, a disclosure always gets signposting
and an alert, and the conversation goes on.
"""

import re
from datetime import UTC, datetime

import pytest
import yaml

from flows.engine import Context, advance_session, start_session
from flows.loader import BUNDLED_FLOWS, load_flow
from flows.model import Alert, ResponseStatus
from flows.render import signposting, sms_text
from flows.safeguarding import BUNDLED_RULES, load_rules, parse_rules
from tests.disclosure_examples import DISCLOSURES, EVERYDAY

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # never the real clock
BUNDLED_PHRASES = [
    (category, phrase) for _, category, phrase in load_rules().every_phrase()
]


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def fft():
    return load_flow(BUNDLED_FLOWS / "friends-and-family.yaml")


@pytest.mark.parametrize(
    ("said", "category"),
    [
        ("I want to die", "self_harm"),
        ("I can't go on", "self_harm"),
        ("he hits me", "abuse"),
        ("She took my money", "abuse"),
        ("I'm going to hurt someone", "harm_to_others"),
    ],
)
def test_each_category_matches(rules, said, category):
    match = rules.check(said)
    assert match is not None
    assert match.category == category


@pytest.mark.parametrize(
    "said",
    [
        "I WANT TO DIE!!!",
        "i want-to...die",
        "I want to d\u00eee",
        "He HITS me.",
        "h\u00e9 hits m\u00e9",
        "I can\u2019t go on",
        "  hits\n\tme  ",
    ],
)
def test_case_punctuation_accents_and_spacing_are_ignored(rules, said):
    assert rules.check(said) is not None


@pytest.mark.parametrize(
    "said",
    [
        "The food was lovely",
        "We should skill them up",  # "kill them" inside a word
        "It didn't hurt here at all",  # "hurt her" then more letters
        "The hit medley was great",  # "hit me" then more letters
        "Let me disabuse you of that",  # "abuse" inside a word
    ],
)
def test_only_whole_words_match(rules, said):
    assert rules.check(said) is None


def test_a_short_rule_does_not_match_inside_a_word():
    rules = parse_rules({"abuse": ["hit"]})
    assert rules.check("a white wall") is None
    assert rules.check("whitehall") is None
    assert rules.check("he hit") is not None


@pytest.mark.parametrize(
    ("category", "phrase"),
    BUNDLED_PHRASES,
    ids=[phrase for _, phrase in BUNDLED_PHRASES],
)
def test_every_bundled_phrase_matches_in_a_sentence(rules, category, phrase):
    match = rules.check(f"Honestly, {phrase.upper()}!")
    assert match is not None


def test_disclosure_as_invalid_scale_answer_signposts_and_continues(fft, rules):
    ctx = Context(rules=rules)
    start = start_session(fft, "sms", "en", NOW, ctx)
    outcome = advance_session(fft, start.state, "he hits me", NOW, ctx)
    assert [reply.kind for reply in outcome.replies] == ["signpost", "reprompt"]
    assert outcome.alerts == (Alert("abuse", "overall", "hits me"),)
    assert outcome.state.status is ResponseStatus.OPEN
    assert not outcome.done
    assert outcome.state.current_step == "overall"


def test_second_disclosure_still_signposts_and_moves_on(fft, rules):
    ctx = Context(rules=rules)
    state = start_session(fft, "sms", "en", NOW, ctx).state
    state = advance_session(fft, state, "he hits me", NOW, ctx).state
    outcome = advance_session(fft, state, "I want to die", NOW, ctx)
    assert [reply.kind for reply in outcome.replies] == [
        "signpost",
        "moving_on",
        "question",
    ]
    assert [alert.category for alert in outcome.alerts] == ["self_harm"]
    assert outcome.state.status is ResponseStatus.OPEN
    assert outcome.state.current_step == "why"


def test_disclosure_in_free_text_is_kept_and_signposted(fft, rules):
    ctx = Context(rules=rules)
    state = start_session(fft, "sms", "en", NOW, ctx).state
    state = advance_session(fft, state, "4", NOW, ctx).state
    said = "Nobody visits. I want to die."
    outcome = advance_session(fft, state, said, NOW, ctx)
    assert [reply.kind for reply in outcome.replies] == ["signpost", "question"]
    assert outcome.alerts == (Alert("self_harm", "why", "want to die"),)
    assert outcome.state.answer_for("why").value == said
    assert outcome.state.current_step == "contact"


def test_no_rules_no_signpost(fft):
    start = start_session(fft, "sms", "en", NOW)
    outcome = advance_session(fft, start.state, "he hits me", NOW)
    assert [reply.kind for reply in outcome.replies] == ["reprompt"]
    assert outcome.alerts == ()


@pytest.mark.parametrize("number", ["116 123", "111", "999"])
def test_signposting_gives_the_numbers(number):
    assert number in signposting(str)


def test_sms_text_puts_signposting_first(fft, rules):
    ctx = Context(rules=rules)
    start = start_session(fft, "sms", "en", NOW, ctx)
    outcome = advance_session(fft, start.state, "he hits me", NOW, ctx)
    replies = tuple(reversed(outcome.replies))  # even if signpost comes last
    text = sms_text(fft, replies, "sms", str)
    first, _, rest = text.partition("\n\n")
    assert first == signposting(str)
    assert rest.startswith("Sorry, I did not understand.")


@pytest.mark.parametrize(
    "data",
    [{"abuse": []}, {"abuse": None}, {"abuse": "hits me"}, {}, [], None],
    ids=["empty-list", "none", "not-a-list", "no-categories", "list", "nothing"],
)
def test_parse_rules_rejects_empty_or_malformed(data):
    with pytest.raises(ValueError, match="safeguarding"):
        parse_rules(data)


def test_parse_rules_names_the_empty_category():
    with pytest.raises(ValueError, match="'abuse' has no phrases"):
        parse_rules({"self_harm": ["want to die"], "abuse": []})


@pytest.mark.parametrize("phrase", ["", "   ", "!!!"])
def test_parse_rules_rejects_empty_phrases(phrase):
    with pytest.raises(ValueError, match="empty phrase"):
        parse_rules({"abuse": [phrase]})


def test_load_rules_from_a_site_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("money:\n  - sold my house\n", encoding="utf-8")
    rules = load_rules(path)
    match = rules.check("They made me... SOLD my house!")
    assert (match.category, match.phrase) == ("money", "sold my house")
    assert rules.check("I want to die") is None


# The bundled rules against what people write -----------------------------------


@pytest.mark.parametrize(("said", "category"), DISCLOSURES)
def test_the_bundled_rules_catch_each_disclosure(rules, said, category):
    match = rules.check(said, "en")
    assert match is not None, said
    assert match.category == category


@pytest.mark.parametrize("said", EVERYDAY)
def test_everyday_words_idioms_and_denials_raise_no_alarm(rules, said):
    assert rules.check(said, "en") is None


def test_the_examples_cover_every_category_and_enough_of_each_kind():
    assert {category for _, category in DISCLOSURES} == {
        "self_harm",
        "abuse",
        "harm_to_others",
        "medical_emergency",
    }
    assert len(DISCLOSURES) >= 30 and len(EVERYDAY) >= 50


RULES_BY_LANGUAGE = {
    "languages": {
        "en": {
            "phrases": {"self_harm": ["want to die"], "abuse": ["hits me"]},
            "negations": ["not", "dont"],
            "softeners": ["really"],
            "reversals": ["again"],
            "idioms": ["it hits me"],
        },
        "pl": {"phrases": {"self_harm": ["chce umrzec"]}},
    }
}


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("I want to die", True),
        ("I don't want to die", False),  # a negation just before
        ("I don't really want to die", False),  # with a softener between
        ("I don't really want to die again", True),  # a reversal after it
        ("I don't think I want to die", True),  # too far before to count
        ("Don't. I want to die", True),  # another clause
        ("I dont... want to die", True),  # dots end the negation's clause too
        ("He hits me", True),
        ("It hits me how kind they are", False),  # inside an idiom
        ("It hits me. He hits me.", True),  # the second is no idiom
    ],
)
def test_negations_softeners_clauses_and_idioms(said, found):
    rules = parse_rules(RULES_BY_LANGUAGE)
    assert (rules.check(said, "en") is not None) is found


def test_each_language_is_checked_with_english():
    rules = parse_rules(RULES_BY_LANGUAGE)
    assert rules.check("Chcę umrzeć", "pl").category == "self_harm"
    assert rules.check("I want to die", "pl").category == "self_harm"
    assert rules.check("Chcę umrzeć", "en") is None  # not an English phrase
    assert rules.check("Chcę umrzeć") is not None  # no language: every one
    assert rules.check("Chcę umrzeć", "cy") is None  # no Welsh rules: English


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"languages": {}}, "must map language codes"),
        ({"languages": {"en": {"negations": ["not"]}}}, "'en' has no phrases"),
        (
            {"languages": {"en": {"phrases": {"abuse": ["hits me"]}, "idiom": []}}},
            "unknown lists",
        ),
        (
            {"languages": {"en": {"phrases": {"abuse": ["x"]}, "negations": "no"}}},
            "must be a list",
        ),
        (
            {"languages": {"en": {"phrases": {"abuse": ["x"]}, "negations": [False]}}},
            'put words such as "no" in quotes',
        ),
        ({"abuse": [True]}, "in quotes"),
        ({"abuse": ["hits me", None]}, "empty phrase"),
    ],
)
def test_a_rules_file_with_a_mistake_says_what_it_is(data, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        parse_rules(data)


def test_the_bundled_file_reads_no_as_a_word():
    negations = yaml.safe_load(BUNDLED_RULES.read_text())["languages"]["en"]
    assert "no" in negations["negations"]
