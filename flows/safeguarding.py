"""Spotting possible disclosures of harm in what a person types.

Rules are phrases grouped by category in a YAML file; a phrase matches as whole
words after the same normalising the answer parser uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from flows.answers import normalise

BUNDLED_RULES = Path(__file__).parent / "rules" / "safeguarding.yaml"


@dataclass(frozen=True)
class RuleMatch:
    category: str
    phrase: str


@dataclass(frozen=True)
class SafeguardingRules:
    """Every phrase in one pattern, so a message is searched once, not per phrase."""

    pattern: re.Pattern
    phrases: dict[str, tuple[str, str]]  # normalised words -> (category, phrase)

    def check(self, text: str) -> RuleMatch | None:
        """The first rule `text` matches, or None."""
        found = self.pattern.search(normalise(text))
        if found is None:
            return None
        return RuleMatch(*self.phrases[found.group(1)])


def parse_rules(data: dict) -> SafeguardingRules:
    if not isinstance(data, dict) or not data:
        raise ValueError("safeguarding rules must map categories to phrase lists")
    phrases: dict[str, tuple[str, str]] = {}
    for category, listed in data.items():
        if not isinstance(listed, list) or not listed:
            raise ValueError(f"safeguarding category '{category}' has no phrases")
        for phrase in listed:
            words = normalise(str(phrase))
            if not words:
                raise ValueError(f"empty phrase in safeguarding category '{category}'")
            phrases.setdefault(words, (str(category), str(phrase)))
    # Longest first, so "kill myself" wins over a shorter phrase inside it.
    alternatives = "|".join(
        re.escape(w) for w in sorted(phrases, key=len, reverse=True)
    )
    pattern = re.compile(r"(?<!\w)(" + alternatives + r")(?!\w)")
    return SafeguardingRules(pattern, phrases)


def load_rules(path: str | Path | None = None) -> SafeguardingRules:
    text = Path(path or BUNDLED_RULES).read_text(encoding="utf-8")
    return parse_rules(yaml.safe_load(text))
