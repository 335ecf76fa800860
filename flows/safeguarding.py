"""Spotting possible disclosures of harm in what a person types.

Rules are phrases grouped by category, for each language, in a YAML file
(flows/rules/safeguarding.yaml says how to write one). A phrase matches as
whole words after the same normalising the answer parser uses, so case,
accents and punctuation never hide one. Two lists keep everyday words from
raising alarms: a negation just before a phrase ("not suicidal") and an idiom
around it ("it hurts me to see") mean it does not count. A phrase that holds
its own negation ("don't want to live") always does, and so does a negated
one with a reversal after it ("he would never hit me again").

A file may also be the simpler shape `{category: [phrases]}`: one list for
every language, with no negations or idioms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from flows.answers import normalise

BUNDLED_RULES = Path(__file__).parent / "rules" / "safeguarding.yaml"
ENGLISH = "en"  # always checked too: people mix languages, and English is fullest
EVERY_LANGUAGE = "*"  # the simple shape's one list
MOST_SOFTENERS = 2  # words like "really" that may stand between "not" and a phrase
LOOK_BACK = 80  # characters before a phrase its negation may be in (and no more)
# A negation stops at these: sentence marks, dashes, and a hyphen with spaces.
CLAUSE_ENDS = re.compile(r"[.!?;:,\n\u2026\u2013\u2014]+| - ")


@dataclass(frozen=True)
class RuleMatch:
    category: str
    phrase: str


def _any_of(phrases) -> str:
    """One regex alternative for every phrase, longest first, so the longest
    phrase wins where one holds another ("dont want to live", "want to")."""
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


@dataclass(frozen=True)
class LanguageRules:
    """One language's phrases, negations and idioms, each list one pattern."""

    phrases: dict[str, tuple[str, str]]  # normalised words -> (category, phrase)
    negations: tuple[str, ...] = ()
    softeners: tuple[str, ...] = ()
    reversals: tuple[str, ...] = ()  # after a phrase: its negation does not count
    idioms: tuple[str, ...] = ()
    _patterns: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        words = r"(?<!\w)({})(?!\w)"
        found = {"phrases": re.compile(words.format(_any_of(self.phrases)))}
        if self.idioms:
            found["idioms"] = re.compile(words.format(_any_of(self.idioms)))
        if self.reversals:
            found["reversals"] = re.compile(words.format(_any_of(self.reversals)))
        if self.negations:
            between = f"(?: (?:{_any_of(self.softeners)}))" if self.softeners else ""
            limit = f"{{0,{MOST_SOFTENERS}}}" if between else ""
            found["negated"] = re.compile(
                rf"(?<!\w)(?:{_any_of(self.negations)}){between}{limit}$"
            )
        self._patterns.update(found)

    def first_disclosure(self, words: str, clause_starts: list[int]):
        """The first phrase in `words` (normalised) that counts, or None."""
        idioms = self._patterns.get("idioms")
        inside = [m.span() for m in idioms.finditer(words)] if idioms else []
        for match in self._patterns["phrases"].finditer(words):
            start, end = match.span()
            if any(a <= start and end <= b for a, b in inside):
                continue
            if self._negated(words, start, end, clause_starts):
                continue
            return RuleMatch(*self.phrases[match.group(1)])
        return None

    def _negated(self, words: str, start: int, end: int, clause_starts) -> bool:
        """A negation just before the phrase, in its clause, and nothing after
        it in the clause that undoes that ("never hit me again")."""
        negated = self._patterns.get("negated")
        if negated is None:
            return False
        clause_start = max(s for s in clause_starts if s <= start)
        clause_end = min((s for s in clause_starts if s > start), default=len(words))
        before = words[max(clause_start, start - LOOK_BACK) : start].strip()
        if not before or not negated.search(before):
            return False
        reversals = self._patterns.get("reversals")
        return not (reversals and reversals.search(words[end:clause_end]))


@dataclass(frozen=True)
class SafeguardingRules:
    languages: dict[str, LanguageRules]

    def check(self, text: str, language: str | None = None) -> RuleMatch | None:
        """The first rule `text` matches, or None. `language`: the one the
        person answers in, checked with English; None checks every language."""
        words, clause_starts = _words_and_clauses(text)
        if not words:
            return None
        for rules in self._for(language):
            found = rules.first_disclosure(words, clause_starts)
            if found:
                return found
        return None

    def _for(self, language: str | None) -> list[LanguageRules]:
        if language is None:
            return list(self.languages.values())
        wanted = (EVERY_LANGUAGE, ENGLISH, language)
        return [self.languages[w] for w in dict.fromkeys(wanted) if w in self.languages]

    def every_phrase(self) -> list[tuple[str, str, str]]:
        """(language, category, phrase as written) for every rule."""
        return [
            (language, category, phrase)
            for language, rules in self.languages.items()
            for category, phrase in rules.phrases.values()
        ]


def _words_and_clauses(text: str) -> tuple[str, list[int]]:
    """`text` normalised, and where each of its clauses starts in it. Phrases
    are matched across clauses ("want to... die"); a negation is looked for
    only in the clause where its phrase starts ("No, I want to die")."""
    words, starts = "", [0]
    for clause in CLAUSE_ENDS.split(text):
        part = normalise(clause)
        if part:
            if words:
                words += " "
                starts.append(len(words))
            words += part
    return words, starts


def parse_rules(data: dict) -> SafeguardingRules:
    if not isinstance(data, dict) or not data:
        raise ValueError("safeguarding rules must map categories to phrase lists")
    if "languages" not in data:
        return SafeguardingRules({EVERY_LANGUAGE: LanguageRules(_phrases(data, ""))})
    languages = data["languages"]
    if not isinstance(languages, dict) or not languages:
        raise ValueError("safeguarding 'languages' must map language codes to rules")
    return SafeguardingRules(
        {str(code): _language(str(code), rules) for code, rules in languages.items()}
    )


def _language(code: str, rules) -> LanguageRules:
    if not isinstance(rules, dict) or not isinstance(rules.get("phrases"), dict):
        raise ValueError(f"safeguarding language '{code}' has no phrases")
    unknown = set(rules) - {"phrases", "negations", "softeners", "reversals", "idioms"}
    if unknown:
        raise ValueError(
            f"safeguarding language '{code}' has unknown lists: {sorted(unknown)}"
        )
    return LanguageRules(
        _phrases(rules["phrases"], f" in '{code}'"),
        **{
            name: _word_list(rules.get(name, []), f"'{code}' {name}")
            for name in ("negations", "softeners", "reversals", "idioms")
        },
    )


def _phrases(data: dict, where: str) -> dict[str, tuple[str, str]]:
    if not data:
        raise ValueError(f"safeguarding rules{where} have no categories")
    phrases: dict[str, tuple[str, str]] = {}
    for category, listed in data.items():
        if not isinstance(listed, list) or not listed:
            raise ValueError(
                f"safeguarding category '{category}'{where} has no phrases"
            )
        _no_yaml_booleans(listed, f"category '{category}'{where}")
        for item in listed:
            words = normalise(str(item))
            if not words:
                raise ValueError(
                    f"empty phrase in safeguarding category '{category}'{where}"
                )
            phrases.setdefault(words, (str(category), str(item)))
    return phrases


def _word_list(listed, what: str) -> tuple[str, ...]:
    if not isinstance(listed, list):
        raise ValueError(f"safeguarding {what} must be a list")
    _no_yaml_booleans(listed, what)
    words = tuple(normalise(str(item)) for item in listed)
    if not all(words):
        raise ValueError(f"empty phrase in safeguarding {what}")
    return words


def _no_yaml_booleans(listed: list, what: str) -> None:
    """YAML reads a bare no, yes, on or off as true or false, and a bare ~ or
    null as nothing, not as words."""
    if any(isinstance(item, bool) for item in listed):
        raise ValueError(
            f"safeguarding {what} has true or false in it: "
            'put words such as "no" in quotes'
        )
    if any(item is None for item in listed):
        raise ValueError(f"empty phrase in safeguarding {what}")


def load_rules(path: str | Path | None = None) -> SafeguardingRules:
    text = Path(path or BUNDLED_RULES).read_text(encoding="utf-8")
    return parse_rules(yaml.safe_load(text))
