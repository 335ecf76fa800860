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
    patterns: tuple[tuple[str, str, re.Pattern], ...]

    def check(self, text: str) -> RuleMatch | None:
        """The first rule `text` matches, or None."""
        said = normalise(text)
        for category, phrase, pattern in self.patterns:
            if pattern.search(said):
                return RuleMatch(category, phrase)
        return None


def parse_rules(data: dict) -> SafeguardingRules:
    if not isinstance(data, dict) or not data:
        raise ValueError("safeguarding rules must map categories to phrase lists")
    patterns = []
    for category, phrases in data.items():
        if not isinstance(phrases, list) or not phrases:
            raise ValueError(f"safeguarding category '{category}' has no phrases")
        for phrase in phrases:
            words = normalise(str(phrase))
            if not words:
                raise ValueError(f"empty phrase in safeguarding category '{category}'")
            pattern = re.compile(r"(?<!\w)" + re.escape(words) + r"(?!\w)")
            patterns.append((str(category), str(phrase), pattern))
    return SafeguardingRules(tuple(patterns))


def load_rules(path: str | Path | None = None) -> SafeguardingRules:
    text = Path(path or BUNDLED_RULES).read_text(encoding="utf-8")
    return parse_rules(yaml.safe_load(text))
